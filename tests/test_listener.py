"""The listener thread's bookkeeping, with a stand-in recognizer (the real one is tested in
test_echo_rejection.py and the live session tests)."""

from __future__ import annotations

import numpy as np

from audio_models.pcm import to_recognizer_pcm
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.testing import DeadRecognizer, FakeMicrophone, RecordedPlayback
from audio_models.types import Transcript
from tests.audio import ESPEAK_RATE, speech
from voice_coach.runtime.listener import Listener


def test_a_fault_on_every_chunk_is_reported_once_and_again_after_recovery():
    errors: list[Exception] = []
    recognizer = DeadRecognizer()
    listener = Listener(FakeMicrophone(), recognizer=recognizer, on_error=errors.append)
    for n in range(100):  # two seconds of 20 ms chunks
        listener.feed(b"\0\0" * 320, start=n * 0.02)
    assert len(errors) == 1
    recognizer.alive = True
    listener.feed(b"\0\0" * 320, start=2.0)
    recognizer.alive = False
    listener.feed(b"\0\0" * 320, start=2.02)
    assert len(errors) == 2


class LogsCalls:
    """A recognizer that logs what it is asked, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def accept(self, pcm: bytes) -> list[Transcript]:
        self.calls.append(("accept",))
        return []

    def expect(self, answers) -> None:
        self.calls.append(("expect", answers))


def test_the_answers_expected_reach_the_recognizer_on_its_thread_before_the_next_chunk():
    recognizer = LogsCalls()
    listener = Listener(FakeMicrophone(), recognizer=recognizer)  # type: ignore[arg-type]
    listener.feed(b"\0\0" * 320, start=0.0)
    listener.expect([["firm", "hard"], ["soft"]])  # from the session's thread: only kept
    assert recognizer.calls == [("accept",)]
    listener.feed(b"\0\0" * 320, start=0.02)
    listener.feed(b"\0\0" * 320, start=0.04)
    answers = (("firm", "hard"), ("soft",))
    assert recognizer.calls == [("accept",), ("expect", answers), ("accept",), ("accept",)]
    listener.expect(())
    listener.feed(b"\0\0" * 320, start=0.06)
    assert recognizer.calls[-2:] == [("expect", ()), ("accept",)]


class KeepsAudio:
    """A recognizer that only keeps what it is fed: the listener's echo-cancelled signal."""

    def __init__(self) -> None:
        self.pcm = bytearray()

    def accept(self, pcm: bytes) -> list[Transcript]:
        self.pcm += pcm
        return []


def _delayed(signal: np.ndarray, samples: float) -> np.ndarray:
    spectrum = np.fft.rfft(signal, 2 * len(signal))
    shift = np.exp(-2j * np.pi * np.fft.rfftfreq(2 * len(signal)) * samples)
    return np.fft.irfft(spectrum * shift)[: len(signal)]


def _coach_talking(seconds: float) -> np.ndarray:
    lines = [
        "Lean back so the ball sits between the spine and the shoulder blade.",
        "Roll slowly up and down along the edge, and breathe out as you sink in.",
        "Stop on the tightest point; it often sends a dull ache toward the shoulder.",
    ]
    voice = np.concatenate([speech(line) for line in lines * 4]).astype(np.float64)
    voice = np.frombuffer(to_recognizer_pcm(voice.astype(np.int16), ESPEAK_RATE), "<i2")
    return voice[: int(seconds * SAMPLE_RATE)].astype(np.float64) / 32768


def test_the_canceller_is_converged_again_within_a_second_of_a_step_in_the_echo_path():
    # The null sink moved a stream by 0.29 ms in a recorded session: a step too small for the
    # clocks to show, large enough to undo what the canceller had learned.
    rate, step_at, seconds = SAMPLE_RATE, 8.0, 12.0
    played = _coach_talking(seconds)
    cut = int(step_at * rate)
    before = _delayed(played, 0.030 * rate)
    after = _delayed(played, (0.030 - 0.00029) * rate)
    mic = 0.5 * np.concatenate([before[:cut], after[cut:]])
    mic += np.random.default_rng(3).normal(0, 1e-4, len(mic))

    kept = KeepsAudio()
    listener = Listener(FakeMicrophone(), kept, playback=RecordedPlayback(played))
    pcm = np.clip(np.round(mic * 32768), -32768, 32767).astype("<i2").tobytes()
    for offset in range(0, len(pcm), 640):
        listener.feed(pcm[offset : offset + 640], start=offset / 2 / rate)
    out = np.frombuffer(bytes(kept.pcm), "<i2").astype(np.float64) / 32768

    def reduction(begin: float, end: float) -> float:
        lo, hi = int(begin * rate), int(end * rate)
        return 10 * np.log10(np.mean(mic[lo:hi] ** 2) / np.mean(out[lo:hi] ** 2))

    assert reduction(step_at - 2.0, step_at) > 25.0  # converged before the step
    assert reduction(step_at + 1.0, seconds - 0.2) > 25.0  # and again a second after it
