"""What the recognizer receives from the listener's echo chain, pinned for a fixed input.

The chain (delay tracking, canceller, countdown gate, suppressor, comfort noise) was moved out of
the listener without changing a sample: this pins its output for a fixed input, reference, gate
and clock, so a later refactoring that changes what the recognizer hears shows up here first.
The audio is compared by its loudness in each quarter second, not by a hash of its bytes: the
chain is floating-point arithmetic, whose last bits may differ on another CPU or numpy build,
while a changed chain (a stage dropped or moved) changes these figures by far more than 5%.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.testing import FakeMicrophone, RecordedPlayback
from audio_models.types import Playback, Transcript
from voice_coach.runtime.clock import MockClock
from voice_coach.runtime.listener import Listener

SECONDS = 10.0
# RMS of each quarter second the recognizer received, recorded before the chain left the
# listener (bytes identical then): the coach alone, the canceller converging; the countdown's
# blanked numbers and comfort noise; the user talking over the coach from 7 s.
EXPECTED_RMS = [
    0.03214, 0.002256, 0.01788, 0.008863, 0.001971, 0.0003768, 0.000338, 0.0003338,
    0.0003223, 0.0003244, 0.0003184, 0.0003123, 0.0003198, 0.0003117, 0.0003164, 0.0003142,
    0.0003171, 0.0003134, 0.0003301, 0.0003142, 0.0003171, 0.0003224, 0.0003263, 0.0003154,
    0.000315, 0.0003175, 0.0003152, 0.000319, 0.05567, 0.05142, 0.03911, 0.03822,
    0.05667, 0.05291, 0.04486, 0.04758, 0.05646, 0.05435, 0.04221, 0.04379,
]  # fmt: skip
# (start, end, blanked, echo_cancelled) of each utterance, rounded to microseconds.
EXPECTED_UTTERANCES = [
    (0.198510, 0.902667, (), False),
    (1.207270, 1.904551, (), False),
    (2.203699, 2.895441, ((2.0, 2.4),), False),
    (3.195538, 3.902581, ((3.0, 3.4),), False),
    (4.204569, 4.903679, ((4.0, 4.4),), True),
    (5.205173, 5.903003, ((5.0, 5.4),), True),
    (6.205917, 6.908685, ((6.0, 6.4),), True),
    (7.203863, 7.900283, (), False),
    (8.200254, 8.898505, (), False),
    (9.197271, 9.911745, (), False),
]
EXPECTED_STEPS = [(0.262307, -0.037313), (5.303091, -0.028062), (5.988091, -0.030563)]


def _voice(rng: np.random.Generator, count: int) -> np.ndarray:
    """Speech-like: coloured noise in syllable-length bursts."""
    noise = np.convolve(rng.normal(0, 0.2, count), np.ones(6) / 6, mode="same")
    envelope = (np.sin(np.arange(count) / SAMPLE_RATE * 2 * np.pi * 3.0) > -0.2).astype(float)
    return noise * envelope


def _delayed(signal: np.ndarray, samples: int) -> np.ndarray:
    return np.concatenate([np.zeros(samples), signal[: len(signal) - samples]])


class KeepsAudio:
    """Keeps what it is fed and calls every 50th chunk the end of an utterance."""

    def __init__(self) -> None:
        self.pcm = bytearray()
        self.fed = 0

    def reset(self) -> None:
        pass

    def flush(self) -> list[Transcript]:
        return []

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        pass

    def accept(self, pcm: bytes) -> list[Transcript]:
        self.pcm += pcm
        self.fed += len(pcm) // 2
        if self.fed // 16_000 != (self.fed - len(pcm) // 2) // 16_000:
            end = self.fed / SAMPLE_RATE
            return [Transcript("x", 0.5, end - 0.8, end - 0.1)]
        return []


def _run() -> tuple[bytes, list, list]:
    rng = np.random.default_rng(11)
    count = int(SECONDS * SAMPLE_RATE)
    played = _voice(rng, count)
    played[int(4.0 * SAMPLE_RATE) : int(4.6 * SAMPLE_RATE)] = 0.0  # the coach pauses
    step = int(6.0 * SAMPLE_RATE)
    echo = np.concatenate([_delayed(played, 480)[:step], _delayed(played, 520)[step:]])
    user = _voice(np.random.default_rng(12), count) * 0.8
    user[: int(7.0 * SAMPLE_RATE)] = 0.0  # the user talks over the coach near the end
    mic = 0.5 * echo + user + rng.normal(0, 1e-4, count)
    pcm = np.clip(np.round(mic * 32768), -32768, 32767).astype("<i2").tobytes()

    numbers = [Playback(f"{5 - k}.", 2.0 + k, 2.4 + k) for k in range(5)]  # the countdown
    playback = RecordedPlayback(played, numbers)
    kept = KeepsAudio()
    blank = [p.text for p in numbers]
    listener = Listener(FakeMicrophone(), kept, playback=playback, blank=blank, clock=MockClock())
    jitter = np.random.default_rng(13)
    offset, n = 0, 0
    while offset < len(pcm):
        size = 640 if n % 3 else 320  # the microphone's chunks need not match the blocks
        start = offset / 2 / SAMPLE_RATE + float(jitter.normal(0, 0.004))
        if n == 300:
            start += 0.3  # lost audio: the stamps part from the sample count
        listener.feed(pcm[offset : offset + size], start=start)
        offset, n = offset + size, n + 1
    utterances = []
    while not listener.utterances.empty():
        u = listener.utterances.get()
        utterances.append((round(u.start, 6), round(u.end, 6), u.blanked, u.echo_cancelled))
    steps = [(round(at, 6), round(offset, 6)) for at, offset in listener.echo_steps()]
    return bytes(kept.pcm), utterances, steps


def test_the_recognizer_hears_what_it_heard_before_the_echo_chain_moved():
    pcm, utterances, steps = _run()
    assert len(pcm) == int(SECONDS * SAMPLE_RATE) * 2
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    rms = np.sqrt(np.mean(samples.reshape(len(EXPECTED_RMS), -1) ** 2, axis=1))
    np.testing.assert_allclose(rms, EXPECTED_RMS, rtol=0.05)
    assert utterances == EXPECTED_UTTERANCES
    assert steps == EXPECTED_STEPS
