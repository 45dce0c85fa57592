"""Hand-written stand-ins for the speaker and microphone, for testing the code that drives them.

They keep the real classes' methods and timing semantics on an injected clock, so a session can
be tested without a sound server; the real adapters are tested against real streams.
"""

from __future__ import annotations

import itertools
import queue
from collections.abc import Callable

from audio_models.devices.microphone import AudioChunk
from audio_models.types import Clip, Playback


class FakeSpeaker:
    """Records what would be played and when; a cut clip ends at the cut."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.playbacks: list[Playback] = []
        self.last_callback_at = clock()

    def play(self, clip: Clip, at: float | None = None) -> Playback:
        start = self._clock() if at is None else at
        playback = Playback(clip.text, start, start + clip.duration, next(self._ids))
        self.playbacks.append(playback)
        return playback

    def cancel(self, playbacks: list[Playback] | None = None) -> None:
        now = self._clock()
        ids = None if playbacks is None else {p.id for p in playbacks}
        kept = []
        for p in self.playbacks:
            if (ids is None or p.id in ids) and p.end > now:
                if p.start >= now:
                    continue  # never heard
                p = Playback(p.text, p.start, now, p.id)
            kept.append(p)
        self.playbacks = kept

    def busy_until(self) -> float:
        return max((p.end for p in self.playbacks), default=0.0)

    def played_since(self, since: float) -> list[Playback]:
        return [p for p in self.playbacks if p.end >= since]

    def reopen(self) -> None:
        self.last_callback_at = self._clock()

    def close(self) -> None:
        pass


class FakeMicrophone:
    """Hands out chunks a test queued with ``feed``; None when there are none."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._chunks: queue.Queue[AudioChunk] = queue.Queue()
        self.last_callback_at = clock()

    def feed(self, pcm: bytes, start: float) -> None:
        self._chunks.put(AudioChunk(pcm, start))

    def read(self, timeout: float) -> AudioChunk | None:
        try:
            return self._chunks.get(timeout=timeout)
        except queue.Empty:
            return None

    def level(self) -> float:
        return -120.0

    def reopen(self) -> None:
        self.last_callback_at = self._clock()

    def close(self) -> None:
        pass
