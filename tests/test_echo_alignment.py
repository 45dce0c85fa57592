"""Finding the coach's echo in the microphone signal: the delay, its drift and its jumps."""

from __future__ import annotations

import numpy as np
import pytest

from audio_models.echo.delay import SAME_STEP, STEP, DelayTracker, estimate_delay


def test_the_delay_of_a_copy_is_found_exactly():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 0.1, 16_000)
    lag, strength = estimate_delay(reference[3000:11_000], reference)
    assert abs(lag - 3000) < 0.01 and strength > 0.99


def test_a_delay_between_two_samples_is_found_to_a_fraction_of_one():
    # A sound server moves a stream by fractions of a millisecond (a third: 5.3 samples here),
    # and a canceller whose reference is a sample off loses most of its echo reduction.
    rng = np.random.default_rng(2)
    white = rng.normal(0, 0.1, 16_000)
    reference = np.convolve(white, np.ones(4) / 4, mode="same")  # speech is not white
    spectrum = np.fft.rfft(reference)
    shift = np.exp(-2j * np.pi * np.fft.rfftfreq(len(reference)) * 5.3)
    delayed = np.fft.irfft(spectrum * shift, len(reference))
    lag, _ = estimate_delay(delayed[3000:11_000], reference)
    assert abs(lag - (3000 - 5.3)) < 0.1


def test_a_silent_reference_is_no_match():
    # Rounding noise over a zero norm once scored in the hundreds of thousands.
    mic = np.random.default_rng(1).normal(0, 0.1, 4000)
    assert estimate_delay(mic, np.zeros(12_000)) == (0, 0.0)


@pytest.mark.parametrize("drift", [0.00005, 0.001])  # seconds a second: typical, extreme
def test_drift_is_followed_in_small_steps(drift):
    tracker = DelayTracker()
    worst = 0.0
    for n in range(80):  # measured four times a second for 20 s
        at = n * 0.25
        tracker.add(at, 0.010 + drift * at, strength=0.95)
        if n > 2:
            worst = max(worst, abs(tracker.offset(at) - (0.010 + drift * at)))
    # Within what the canceller follows by itself (80 ms of echo path, 10 ms of lead).
    assert worst < STEP + drift * 0.5 + SAME_STEP


def test_one_outlier_is_ignored_and_a_confirmed_jump_is_followed():
    tracker = DelayTracker()
    for n in range(4):
        tracker.add(n * 0.25, 0.010, strength=0.95)
    tracker.add(1.0, 0.300, strength=0.7)  # the user talking over the coach fakes a match
    tracker.add(1.25, 0.010, strength=0.95)
    assert abs(tracker.offset(1.5) - 0.010) < 1e-6
    tracker.add(1.5, 0.030, strength=0.95)  # the sound server moved the stream
    assert abs(tracker.offset(1.6) - 0.010) < 1e-6  # not yet believed
    tracker.add(1.75, 0.03002, strength=0.95)
    assert abs(tracker.offset(2.0) - 0.03001) < 1e-6


def test_a_small_step_is_followed_and_the_offset_then_held_still():
    # A third of a millisecond, as the null sink's stream moved in a recorded session.
    tracker = DelayTracker()
    for n in range(8):
        tracker.add(n * 0.25, 0.064435, strength=0.99)
    for n in range(8, 20):
        tracker.add(n * 0.25, 0.064142 + (1e-6 if n % 2 else -1e-6), strength=0.99)
    assert abs(tracker.offset(5.0) - 0.064142) < 2e-6
    assert [round(offset, 6) for _, offset in tracker.steps] == [0.064435, 0.064142]


def test_weak_matches_and_a_lone_first_match_are_not_believed():
    tracker = DelayTracker()
    tracker.add(0.0, 0.050, strength=0.3)
    tracker.add(0.25, 0.040, strength=0.9)
    assert tracker.offset(0.3) == 0.0
    tracker.add(0.5, 0.040, strength=0.9)
    assert tracker.offset(0.6) == 0.040
