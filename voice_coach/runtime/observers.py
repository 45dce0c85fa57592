"""Whoever wants to see every action the coach returns, beside the speaker and the screen.

The history recorder stores the coach's records; the session command saves the user's ball when
it is chosen. A session hands each batch of actions to one observer, which may be several.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from voice_coach.core.events import Action


class ActionObserver(Protocol):
    def observe(self, actions: Iterable[Action]) -> None: ...


class ActionObservers:
    """Several observers as one, each seeing every batch in the order they were added."""

    def __init__(self, observers: Iterable[ActionObserver] = ()) -> None:
        self._observers = list(observers)

    def add(self, observer: ActionObserver) -> None:
        self._observers.append(observer)

    def observe(self, actions: Iterable[Action]) -> None:
        batch = list(actions)
        for observer in self._observers:
            observer.observe(batch)
