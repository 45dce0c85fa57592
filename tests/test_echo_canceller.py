"""The echo canceller removes a known signal heard through an echo path and keeps the user."""

from __future__ import annotations

import numpy as np
import pytest

from audio_models.devices.output_history import OutputHistory
from audio_models.echo.canceller import EchoCanceller
from audio_models.echo.suppressor import HOP, ResidualEchoSuppressor
from audio_models.pcm import resample
from audio_models.tts import Pyttsx3Synthesizer


@pytest.fixture(scope="module")
def voices():
    synth = Pyttsx3Synthesizer()

    def say(text):
        clip = synth.render(text)
        return resample(clip.samples, clip.rate, 16_000).astype(np.float64)

    coach = np.concatenate(
        [say("Roll slowly up and down along the edge of the shoulder blade."), say("Five.")]
    )
    return coach, say("stop")


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-12))


def test_coach_echo_is_cancelled_and_the_user_kept(voices):
    coach, user = voices
    rng = np.random.default_rng(0)
    path = np.zeros(400)
    path[48] = 0.8  # 3 ms delay, a little quieter, then a short reverberant tail
    path[100:] = rng.normal(0, 0.01, 300) * np.exp(-np.arange(300) / 80)
    mic = np.convolve(coach, path)[: len(coach)] + rng.normal(0, 1e-4, len(coach))
    at = len(coach) - len(user) - 4000
    mic[at : at + len(user)] += 0.5 * user
    out = EchoCanceller().process(mic, coach)
    echo_only = slice(16_000, at)
    assert db(mic[echo_only]) - db(out[echo_only]) > 15  # at least 15 dB less coach
    assert db(out[at : at + len(user)]) == pytest.approx(db(0.5 * user), abs=2)


def test_without_reference_the_signal_passes_unchanged():
    mic = np.random.default_rng(1).normal(0, 0.1, 1600)
    out = EchoCanceller().process(mic, np.zeros(1600))
    assert np.allclose(out, mic)


def test_odd_sized_pieces_come_out_in_whole_blocks():
    canceller = EchoCanceller()
    got = sum(len(canceller.process(np.ones(n), np.zeros(n))) for n in (7, 300, 13, 160))
    assert got == 480


def test_output_history_returns_what_was_played_at_that_time():
    history = OutputHistory(48_000)
    tone = np.sin(2 * np.pi * 300 * np.arange(4800) / 48_000).astype(np.float32)
    history.append(10.0, tone[:2400])
    history.append(10.05, tone[2400:])
    piece = history.segment(10.02, 800, 16_000)
    expected = np.sin(2 * np.pi * 300 * (10.02 - 10.0 + np.arange(800) / 16_000))
    assert np.abs(piece[50:-50] - expected[50:-50]).max() < 0.02
    assert not history.segment(20.0, 160, 16_000).any()  # nothing played then


def test_output_history_lays_blocks_by_sample_count_until_an_underrun():
    history = OutputHistory(16_000)
    click = np.zeros(160, dtype=np.float32)
    click[0] = 1.0
    history.append(10.0, click)
    history.append(10.013, click)  # a stamp 3 ms late: jitter, the block still follows on
    assert history.segment(10.01, 160, 16_000)[0] == 1.0
    history.append(10.04, click, resync=True)  # after an underrun: the stamp is believed
    assert history.segment(10.04, 160, 16_000)[0] == 1.0
    assert not history.segment(10.02, 160, 16_000).any()


def echo_scene(voices, user_at: int):
    coach, user = voices
    rng = np.random.default_rng(2)
    path = np.zeros(400)
    path[48] = 0.8
    path[100:] = rng.normal(0, 0.01, 300) * np.exp(-np.arange(300) / 80)
    coach = np.concatenate([coach, coach])
    mic = np.convolve(coach, path)[: len(coach)] + rng.normal(0, 1e-4, len(coach))
    mic[user_at : user_at + len(user)] += 0.7 * user
    return mic, coach


def test_cancelling_goes_on_after_the_user_talked_over_the_coach(voices):
    # A single adaptive filter learns the user's voice as echo and is lost for a while after.
    user_at = 40_000
    mic, coach = echo_scene(voices, user_at)
    out = EchoCanceller().process(mic, coach)
    after = slice(user_at + len(voices[1]) + 1600, user_at + len(voices[1]) + 17_600)
    assert db(mic[after]) - db(out[after]) > 15


def test_the_suppressor_quietens_the_remnant_and_keeps_the_user(voices):
    user_at = len(voices[0]) + 12_000  # inside the second sentence, long after convergence
    mic, coach = echo_scene(voices, user_at)
    canceller, suppressor = EchoCanceller(), ResidualEchoSuppressor()
    cancelled, suppressed = [], []
    for at in range(0, len(mic), 320):
        e = canceller.process(mic[at : at + 320], coach[at : at + 320])
        cancelled.append(e)
        suppressed.append(suppressor.process(e, canceller.estimate))
    cancelled = np.concatenate(cancelled)
    suppressed = np.concatenate(suppressed)[HOP:]  # the suppressor runs one hop behind
    echo_only = slice(len(voices[0]) + 1600, user_at)
    assert db(cancelled[echo_only]) - db(suppressed[echo_only]) > 10
    user = slice(user_at, user_at + len(voices[1]))
    assert db(suppressed[user]) == pytest.approx(db(0.7 * voices[1]), abs=3)
