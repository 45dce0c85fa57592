"""The countdown numbers a runtime still has to print, each when it is due.

The speaker has every number scheduled the moment a hold starts (so its onset never waits for
the main loop); the printed line of each still waits for its second, and a runtime that prints
has to wake for it. This follows the coach's actions and says what is due when.
"""

from __future__ import annotations

from collections.abc import Iterable

from voice_coach.core.events import (
    Action,
    CancelCountdown,
    LineKind,
    Say,
    SessionFinished,
    StartCountdown,
)
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.core.timeline import DUE_SLACK


class CountdownLines:
    """The numbers of the running countdown not yet printed."""

    def __init__(self) -> None:
        self._ahead: list[tuple[float, int]] = []

    def follow(self, actions: Iterable[Action]) -> None:
        """Take in the coach's actions: a countdown starts, or is void."""
        for action in actions:
            if isinstance(action, StartCountdown):
                self._ahead = list(action.countdown.numbers)
            elif isinstance(action, CancelCountdown | SessionFinished):
                self._ahead = []

    def next_at(self) -> float | None:
        """The session time the next number is due, if any."""
        return self._ahead[0][0] if self._ahead else None

    def pop_due(self, now: float) -> list[Say]:
        """The numbers due at or before ``now``, as the lines to print, removed."""
        due = []
        while self._ahead and self._ahead[0][0] <= now + DUE_SLACK:
            at, number = self._ahead.pop(0)
            due.append(Say(NUMBER_WORDS[number], at, LineKind.COUNT))
        return due
