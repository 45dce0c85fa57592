"""Hand-written stand-ins for the speaker, microphone and recognizer, beside the seams they fill.

They keep the real classes' methods and timing semantics on an injected clock, so a session can
be tested without a sound server; the real adapters are tested against real streams.
"""

from __future__ import annotations

import itertools
import queue
import time
from collections.abc import Callable, Sequence

import numpy as np

from audio_models.devices.microphone import AudioChunk
from audio_models.errors import EngineUnavailable
from audio_models.types import Clip, Playback, Transcript


class FakeSpeaker:
    """Records what would be played and when; a cut clip ends at the cut."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.playbacks: list[Playback] = []
        self.last_callback_at = clock()
        self.underruns = 0
        self.callback_error: str | None = None  # the real speaker keeps its first failure here

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

    def samples(self, start: float, count: int) -> np.ndarray:
        """Silence: the fake plays no sound (``RecordedPlayback`` stands in for one that does)."""
        return np.zeros(count, dtype=np.float32)

    def reopen(self) -> None:
        self.last_callback_at = self._clock()

    def close(self) -> None:
        pass


class FakeMicrophone:
    """Hands out chunks a test queued with ``feed``; None when there are none."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
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


class RecordedPlayback:
    """A ``PlaybackLog`` over a fixed recording: ``audio`` (16 kHz float) played from monotonic
    time zero on, and the ``playbacks`` (clips) it is made of."""

    RATE = 16_000

    def __init__(self, audio: np.ndarray | None = None, playbacks: Sequence[Playback] = ()) -> None:
        self.audio = np.zeros(0) if audio is None else audio
        self.playbacks = list(playbacks)

    def samples(self, start: float, count: int) -> np.ndarray:
        first = round(start * self.RATE)
        out = np.zeros(count)
        lo, hi = max(first, 0), min(first + count, len(self.audio))
        if lo < hi:
            out[lo - first : hi - first] = self.audio[lo:hi]
        return out

    def played_since(self, since: float) -> list[Playback]:
        return [p for p in self.playbacks if p.end >= since]


class DeadRecognizer:
    """A recognizer whose process has ended: every chunk fails until ``alive`` is set."""

    description = "a recognizer whose process has ended"

    def __init__(self) -> None:
        self.alive = False

    def reset(self) -> None:
        pass

    def accept(self, pcm: bytes) -> list[Transcript]:
        if not self.alive:
            raise EngineUnavailable("The speech recognizer process has ended.")
        return []

    def flush(self) -> list[Transcript]:
        return []

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        pass
