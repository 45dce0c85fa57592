"""The value types shared across the audio side: rendered speech, what the speaker played, what
a recognizer heard; and the one view of the speaker's history that the microphone side uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Clip:
    """Rendered speech: float32 mono samples in -1..1 with the silent edges trimmed."""

    text: str
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class Playback:
    """A clip's time on the speaker: scheduled, then as actually played (monotonic seconds)."""

    text: str
    start: float
    end: float
    id: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance (or, when ``final`` is false, so far)."""

    text: str
    confidence: float  # 0..1
    start: float  # seconds since the start of the stream
    end: float
    final: bool = True


class PlaybackLog(Protocol):
    """What the speaker played, by monotonic time: the microphone side's one view of it.

    The echo canceller takes the sound (``samples``); the countdown gate and the echo filter
    take the clips (``played_since``).
    """

    def samples(self, start: float, count: int) -> np.ndarray:
        """``count`` samples at 16 kHz (float, -1..1) of what played from ``start`` on."""
        ...

    def played_since(self, since: float) -> list[Playback]:
        """Every clip played, playing or scheduled that ends at or after ``since``."""
        ...
