"""The one protocol every speech recognizer implements, and the transcript it yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SAMPLE_RATE = 16_000
"""Every recognizer takes 16 kHz mono signed 16-bit little-endian PCM."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance (or, when ``final`` is false, so far)."""

    text: str
    confidence: float  # 0..1
    start: float  # seconds since the start of the stream
    end: float
    final: bool = True


class Recognizer(Protocol):
    """Streaming recognizer: feed PCM chunks of any size, collect transcripts."""

    def reset(self) -> None:
        """Start a new stream: drop any utterance in progress and restart the clock at zero."""
        ...

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz mono s16le audio; return transcripts completed (or partial) so far."""
        ...

    def flush(self) -> list[Transcript]:
        """End of stream: finish any utterance in progress and return its transcript."""
        ...
