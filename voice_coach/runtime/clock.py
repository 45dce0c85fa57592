"""Clocks give session time in seconds; the virtual one moves only when told to."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the session started."""
        ...


class MonotonicClock:
    """Wall time that never jumps (NTP, suspend adjustments do not affect it)."""

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._origin

    def monotonic(self) -> float:
        """The device clock: ``time.monotonic()``, which speaker and microphone stamps use."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic_at(self, session_time: float) -> float:
        """The ``time.monotonic()`` value of a session time, for schedulers on that clock."""
        return self._origin + session_time

    def session_at(self, monotonic: float) -> float:
        """The session time of a ``time.monotonic()`` value (device timestamps)."""
        return monotonic - self._origin


class VirtualClock:
    """Time that stands still until ``advance_to``: a 15-minute session runs in milliseconds."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, at: float) -> None:
        self._now = max(self._now, at)


class SimulatedClock(MonotonicClock):
    """A monotonic clock that moves only when something sleeps or waits on it.

    Stands in for real time where a test drives the real-time session with fake devices: an
    hour of waiting passes in no time, and every timestamp is exact.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._time = start
        self._origin = start

    def now(self) -> float:
        return self._time - self._origin

    def monotonic(self) -> float:
        return self._time

    def sleep(self, seconds: float) -> None:
        self._time += max(0.0, seconds)

    def advance_to(self, monotonic: float) -> None:
        self._time = max(self._time, monotonic)
