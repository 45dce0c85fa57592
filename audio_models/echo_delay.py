"""Finds how far the microphone's copy of the speaker signal is from where the clocks put it.

Device clocks through a sound server can be off by hundreds of milliseconds while it settles,
and an echo canceller only models a short path. So the delay is measured from the signals
themselves: cross-correlate recent microphone audio with a wider window of what was played.
"""

from __future__ import annotations

import numpy as np

MIN_STRENGTH = 0.4  # normalised correlation below this is not a trustworthy echo match


def estimate_delay(microphone: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """(lag, strength): ``microphone`` best matches ``reference[lag : lag + len(microphone)]``.

    ``reference`` must be longer than ``microphone``; strength is the normalised correlation.
    """
    n, m = len(microphone), len(reference)
    if n == 0 or m < n:
        return 0, 0.0
    size = 1 << int(np.ceil(np.log2(n + m)))
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(microphone, size))
    correlation = np.fft.irfft(spectrum, size)[: m - n + 1]
    energy = np.convolve(reference**2, np.ones(n), mode="valid")
    norm = np.sqrt(energy * float(np.dot(microphone, microphone))) + 1e-12
    score = correlation / norm
    lag = int(np.argmax(score))
    return lag, float(score[lag])
