"""The one protocol every speech recognizer implements; its ``Transcript`` is in ``types``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from audio_models.types import Transcript

SAMPLE_RATE = 16_000
"""Every recognizer takes 16 kHz mono signed 16-bit little-endian PCM."""


class Recognizer(Protocol):
    """Streaming recognizer: feed PCM chunks of any size, collect transcripts."""

    description: str
    """What is listening, in words: the engine and its model ("Vosk, the model in ...")."""

    def reset(self) -> None:
        """Start a new stream: drop any utterance in progress and restart the clock at zero."""
        ...

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz mono s16le audio; return transcripts completed (or partial) so far."""
        ...

    def flush(self) -> list[Transcript]:
        """End of stream: finish any utterance in progress and return its transcript."""
        ...

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """The answers to a question the caller just asked, one group of phrases per meaning,
        its plainest wording first; () when no question is open. What is said next is likely
        one of them: an engine that can use this hears them better, one that cannot ignores it.
        """
        ...
