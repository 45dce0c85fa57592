"""Notices an audio device that went silent and reopens it with back-off.

An unplugged USB headset raises no error: PortAudio simply stops calling back. So each stream's
last callback time is the signal; a stream quiet for ``STALL_AFTER`` seconds is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

STALL_AFTER = 1.5  # callbacks come every 20-50 ms; this leaves margin and still reacts within 2 s
FIRST_RETRY = 0.5
MAX_RETRY = 8.0
START_GRACE = 3.0  # a sound server can take a second or two to start calling back


class Stream(Protocol):
    """A device stream the watchdog can observe and reopen."""

    @property
    def last_callback_at(self) -> float: ...

    def reopen(self) -> None: ...


@dataclass
class _Watched:
    name: str
    stream: Stream
    lost_at: float | None = None
    retry_at: float = 0.0
    delay: float = FIRST_RETRY
    reopened_at: float = field(default=-1.0)


class DeviceWatchdog:
    """Call ``check(now)`` often; it returns ("lost"|"back", device name) transitions."""

    def __init__(self, streams: dict[str, Stream], on_error: Callable[[str, Exception], None]):
        self._watched = [_Watched(name, stream) for name, stream in streams.items()]
        self._on_error = on_error
        self._started: float | None = None

    @property
    def lost(self) -> list[str]:
        return [w.name for w in self._watched if w.lost_at is not None]

    def check(self, now: float) -> list[tuple[str, str]]:
        """Look at every stream (``now`` is monotonic seconds); reopen lost ones when due."""
        changes: list[tuple[str, str]] = []
        if self._started is None:
            self._started = now
        for watched in self._watched:
            heard = max(watched.stream.last_callback_at, watched.reopened_at)
            since = now - max(heard, self._started + START_GRACE - STALL_AFTER)
            if watched.lost_at is None:
                if since > STALL_AFTER:
                    watched.lost_at, watched.retry_at = now, now
                    watched.delay = FIRST_RETRY
                    changes.append(("lost", watched.name))
            elif watched.stream.last_callback_at > watched.reopened_at >= 0:
                watched.lost_at = None  # callbacks flow again since the last reopen
                changes.append(("back", watched.name))
            if watched.lost_at is not None and now >= watched.retry_at:
                self._reopen(watched, now)
        return changes

    def _reopen(self, watched: _Watched, now: float) -> None:
        watched.retry_at = now + watched.delay
        watched.delay = min(MAX_RETRY, watched.delay * 2)
        watched.reopened_at = now
        try:
            watched.stream.reopen()
        except Exception as error:  # the device may still be gone; try again later
            self._on_error(watched.name, error)
