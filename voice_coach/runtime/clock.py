"""The session's clock: one protocol, the real clock, and a mock one that moves only when told.

Two timelines meet here. Session time (``now``) is seconds since the session started: the coach's
events and deadlines use it. Monotonic time (``monotonic``) is the device clock that speaker and
microphone stamps use. The runtime converts between them and waits through the clock, so a test
can hand the whole real-time session a ``MockClock`` and run an hour of it in no time.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the session started."""
        ...

    def monotonic(self) -> float:
        """The device clock, on which speaker and microphone stamps are given."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        ...

    def monotonic_at(self, session_time: float) -> float:
        """The monotonic time of a session time, for schedulers on the device clock."""
        ...

    def session_at(self, monotonic: float) -> float:
        """The session time of a monotonic time (device timestamps)."""
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
        return self._origin + session_time

    def session_at(self, monotonic: float) -> float:
        return monotonic - self._origin


class MockClock:
    """A clock that moves only when something sleeps on it or calls ``advance_to``.

    Stands in for real time where a test (or the text session's virtual mode) drives the
    session: an hour of waiting passes in no time, and every timestamp is exact. ``start`` is
    the monotonic time at which the session starts; with the default of zero, session time and
    monotonic time are the same number.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._origin = start
        self._time = start

    def now(self) -> float:
        return self._time - self._origin

    def monotonic(self) -> float:
        return self._time

    def sleep(self, seconds: float) -> None:
        self._time += max(0.0, seconds)

    def advance_to(self, monotonic: float) -> None:
        """Move to ``monotonic`` (never back)."""
        self._time = max(self._time, monotonic)

    def monotonic_at(self, session_time: float) -> float:
        return self._origin + session_time

    def session_at(self, monotonic: float) -> float:
        return monotonic - self._origin
