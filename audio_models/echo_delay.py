"""Finds how far the microphone's copy of the speaker signal is from where the clocks put it.

Device clocks through a sound server can be off by hundreds of milliseconds while it settles,
and an echo canceller only models a short path. So the delay is measured from the signals
themselves: cross-correlate recent microphone audio with a wider window of what was played.
"""

from __future__ import annotations

import numpy as np


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
    # Sliding-window energy by running sums: a direct convolution holds the GIL for tens of
    # milliseconds, long enough to starve the audio callbacks.
    running = np.concatenate([[0.0], np.cumsum(reference.astype(np.float64) ** 2)])
    energy = running[n:] - running[:-n]
    norm = np.sqrt(np.maximum(energy, 0.0) * float(np.dot(microphone, microphone)))
    # Where the reference is (nearly) silent, rounding noise over a tiny norm is no match.
    score = np.where(norm > 1e-9 * n, correlation / np.maximum(norm, 1e-30), 0.0)
    lag = int(np.argmax(score))
    return lag, float(score[lag])


TRUSTED = 0.5  # correlation of an echo match; a room's reverberation and the user pull it lower
KEEP = 40  # measurements the drift is fitted over (10 s at four a second)
FIT_SPAN = 2.0  # seconds of measurements needed before a slope is believed
STEP = 0.004  # seconds: a measurement this far off the fitted line may be a jump in the path
SAME_STEP = 0.002  # seconds: two off-line measurements this close confirm the jump


class DelayTracker:
    """The echo's offset from the clocks' alignment, followed as it drifts and jumps.

    Two streams on different clocks part by up to a millisecond a second, and a sound server
    can move a stream by tens of milliseconds at once. Measurements (time, offset) are fitted
    with a straight line, so the reference can be read at the drifting offset sample by sample;
    the first measurement, and one far off the line, is believed only when the next one agrees
    with it, since the user talking over the coach can fake one match.
    """

    def __init__(self) -> None:
        self._points: list[tuple[float, float]] = []
        self._candidate: float | None = None

    def add(self, at: float, offset: float, strength: float) -> None:
        """Record a measurement taken at monotonic ``at`` (``offset`` in seconds)."""
        if strength < TRUSTED:
            return
        if not self._points or abs(offset - self.offset(at)) > STEP:
            if self._candidate is None or abs(offset - self._candidate) > SAME_STEP:
                self._candidate = offset
                return
            self._points = []  # confirmed: the path jumped, the old line is history
        self._candidate = None
        self._points = [*self._points[-(KEEP - 1) :], (at, offset)]

    @property
    def locked(self) -> bool:
        """Whether the echo has been found (two agreeing measurements)."""
        return bool(self._points)

    def offset(self, at: float) -> float:
        """The offset expected at monotonic ``at`` (0 before any measurement)."""
        if not self._points:
            return 0.0
        last_at, last = self._points[-1]
        if self._points[-1][0] - self._points[0][0] < FIT_SPAN:
            return last
        times = np.array([p[0] for p in self._points])
        offsets = np.array([p[1] for p in self._points])
        slope = np.polyfit(times - last_at, offsets, 1)[0]
        mean_at, mean = float(times.mean()), float(offsets.mean())
        return mean + slope * (at - mean_at)
