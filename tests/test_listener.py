"""The listener thread's bookkeeping, with a stand-in recognizer (the real one is tested in
test_echo_rejection.py and the live session tests)."""

from __future__ import annotations

from audio_models.errors import EngineUnavailable
from audio_models.recognizer import Transcript
from voice_coach.listener import Listener


class DeadRecognizer:
    def __init__(self) -> None:
        self.alive = False

    def accept(self, pcm: bytes) -> list[Transcript]:
        if not self.alive:
            raise EngineUnavailable("The speech recognizer process has ended.")
        return []


def test_a_fault_on_every_chunk_is_reported_once_and_again_after_recovery():
    errors: list[Exception] = []
    recognizer = DeadRecognizer()
    listener = Listener(microphone=None, recognizer=recognizer, on_error=errors.append)  # type: ignore[arg-type]
    for n in range(100):  # two seconds of 20 ms chunks
        listener.feed(b"\0\0" * 320, start=n * 0.02)
    assert len(errors) == 1
    recognizer.alive = True
    listener.feed(b"\0\0" * 320, start=2.0)
    recognizer.alive = False
    listener.feed(b"\0\0" * 320, start=2.02)
    assert len(errors) == 2
