"""Finding the coach's echo in the microphone signal: the delay, its drift and its jumps."""

from __future__ import annotations

import numpy as np

from audio_models.echo_delay import DelayTracker, estimate_delay


def test_the_delay_of_a_copy_is_found_exactly():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 0.1, 16_000)
    lag, strength = estimate_delay(reference[3000:11_000], reference)
    assert lag == 3000 and strength > 0.99


def test_a_silent_reference_is_no_match():
    # Rounding noise over a zero norm once scored in the hundreds of thousands.
    mic = np.random.default_rng(1).normal(0, 0.1, 4000)
    assert estimate_delay(mic, np.zeros(12_000)) == (0, 0.0)


def test_drift_is_followed_between_measurements():
    tracker = DelayTracker()
    for n in range(12):  # 1 ms a second of drift, measured four times a second
        tracker.add(n * 0.25, 0.010 + 0.001 * n * 0.25, strength=0.95)
    assert abs(tracker.offset(4.0) - 0.014) < 1e-4


def test_one_outlier_is_ignored_and_a_confirmed_jump_is_followed():
    tracker = DelayTracker()
    for n in range(4):
        tracker.add(n * 0.25, 0.010, strength=0.95)
    tracker.add(1.0, 0.300, strength=0.7)  # the user talking over the coach fakes a match
    tracker.add(1.25, 0.010, strength=0.95)
    assert abs(tracker.offset(1.5) - 0.010) < 1e-4
    tracker.add(1.5, 0.030, strength=0.95)  # the sound server moved the stream
    assert abs(tracker.offset(1.6) - 0.010) < 1e-4  # not yet believed
    tracker.add(1.75, 0.0305, strength=0.95)
    assert abs(tracker.offset(2.0) - 0.0305) < 1e-3


def test_weak_matches_and_a_lone_first_match_are_not_believed():
    tracker = DelayTracker()
    tracker.add(0.0, 0.050, strength=0.3)
    tracker.add(0.25, 0.040, strength=0.9)
    assert tracker.offset(0.3) == 0.0
    tracker.add(0.5, 0.040, strength=0.9)
    assert tracker.offset(0.6) == 0.040
