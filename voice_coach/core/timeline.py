"""Deadline bookkeeping for the dialogue manager: what is due when, frozen while paused.

Holds are deadline arithmetic, not timers: each item carries the session time it is due, and
whatever fires it reports that time, so the result does not depend on how often ticks arrive.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

# A deadline computed as a midpoint ("halfway") can sit a rounding error past the time a clock
# reports when it wakes for it; a clock that cannot step by less than its float resolution (the
# virtual one, an hour into a session) would then wake for it forever. A microsecond early is
# nothing to a listener.
DUE_SLACK = 1e-6


@dataclass(order=True, frozen=True)
class Due:
    """Something the coach does at ``at``: ``kind`` says what, ``data`` carries its detail."""

    at: float
    seq: int
    kind: str = field(compare=False)
    data: object = field(default=None, compare=False)


class Timeline:
    """A queue of ``Due`` items ordered by time (then by insertion)."""

    def __init__(self) -> None:
        self._items: list[Due] = []
        self._counter = itertools.count()

    def add(self, at: float, kind: str, data: object = None) -> None:
        heapq.heappush(self._items, Due(at, next(self._counter), kind, data))

    def pop_due(self, now: float) -> Due | None:
        """The earliest item due at or before ``now``, removed; None when nothing is due."""
        if self._items and self._items[0].at <= now + DUE_SLACK:
            return heapq.heappop(self._items)
        return None

    def next_at(self) -> float | None:
        return self._items[0].at if self._items else None

    def clear(self) -> list[Due]:
        """Remove and return everything, earliest first."""
        items, self._items = sorted(self._items), []
        return items

    def defer(self, kind: str, not_before: float) -> None:
        """Move every ``kind`` item due before ``not_before`` to ``not_before``."""
        early = [item for item in self._items if item.kind == kind and item.at < not_before]
        for item in early:
            self._items.remove(item)
        heapq.heapify(self._items)
        for item in early:
            self.add(not_before, item.kind, item.data)

    def restore(self, items: list[Due], shift: float) -> None:
        """Put back items taken with ``clear``, each moved later by ``shift`` seconds."""
        for item in items:
            self.add(item.at + shift, item.kind, item.data)
