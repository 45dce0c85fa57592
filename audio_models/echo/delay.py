"""Finds how far the microphone's copy of the speaker signal is from where the clocks put it.

Device clocks through a sound server can be off by hundreds of milliseconds while it settles,
and an echo canceller only models a short path. So the delay is measured from the signals
themselves: cross-correlate recent microphone audio with a wider window of what was played.
"""

from __future__ import annotations

import numpy as np


def estimate_delay(microphone: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(lag, strength): ``microphone`` best matches ``reference[lag : lag + len(microphone)]``.

    ``reference`` must be longer than ``microphone``; strength is the normalised correlation.
    The lag is in samples, to a fraction of one: a converged canceller loses most of its echo
    reduction when its reference moves by a third of a millisecond (5 samples at 16 kHz), so
    the tracker has to put it back to within a few microseconds, not to the nearest sample.
    """
    n, m = len(microphone), len(reference)
    if n == 0 or m < n:
        return 0.0, 0.0
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
    return lag + _peak_offset(correlation, lag), float(score[lag])


def _peak_offset(correlation: np.ndarray, peak: int) -> float:
    """Where between samples the correlation peaks: the vertex of a parabola through three."""
    if not 0 < peak < len(correlation) - 1:
        return 0.0
    before, at, after = correlation[peak - 1 : peak + 2]
    curvature = before - 2 * at + after
    if curvature >= 0:  # not a peak (a plateau or rounding): stay on the sample
        return 0.0
    return float(np.clip(0.5 * (before - after) / curvature, -0.5, 0.5))


TRUSTED = 0.5  # correlation of an echo match; a room's reverberation and the user pull it lower
# Seconds off the held offset at which a measurement may be a step in the echo path. A clean
# echo is measured to within a few microseconds; a sound server moves a stream by a third of a
# millisecond and more, which already costs a converged canceller most of its echo reduction.
# Smaller moves the canceller follows by itself.
STEP = 0.0001
SAME_STEP = 0.00005  # seconds: two off-line measurements this close confirm the step...
# ...give or take this drift (seconds a second) between them: two devices on their own clocks
# part by a millisecond a second at the very most.
DRIFT_MAX = 0.001
# Measurements since the last step whose median is the offset: the two that confirm a step
# may straddle it, and the ones after it put the offset right to within microseconds.
KEEP = 9


class DelayTracker:
    """The echo's offset from the clocks' alignment, held still and moved when it steps.

    A sound server moves a stream by a fraction of a millisecond or by tens of milliseconds at
    once, and two streams on different clocks drift apart. Every movement of the reference
    under the canceller undoes what it has learned, so the offset is held where it was found
    and moved only when two measurements in a row agree that the echo sits elsewhere, by more
    than the canceller follows on its own (a drift thus moves it in steps of ``STEP``); between
    steps it is the median of the measurements since the last one, which agree to within
    microseconds on a still path. A
    lone measurement off the offset is not believed: the user talking over the coach can fake
    one match. (A line fitted through the measurements, as this once did, turned each step
    into a ramp that the canceller chased for as long as old measurements stayed in the fit.)
    """

    def __init__(self) -> None:
        self._since_step: list[float] = []
        self._offset: float | None = None
        self._candidate: tuple[float, float] | None = None  # (time, offset)
        self.steps: list[tuple[float, float]] = []  # (time, new offset) of each move, the first too

    def add(self, at: float, offset: float, strength: float) -> None:
        """Record a measurement taken at monotonic ``at`` (``offset`` in seconds)."""
        if strength < TRUSTED:
            return
        if self._offset is not None and abs(offset - self._offset) <= STEP:
            self._candidate = None
            self._since_step = [*self._since_step[-(KEEP - 1) :], offset]
            self._offset = float(np.median(self._since_step))
            return
        candidate, self._candidate = self._candidate, (at, offset)
        if candidate is None:
            return
        if abs(offset - candidate[1]) > SAME_STEP + DRIFT_MAX * abs(at - candidate[0]):
            return
        self._candidate = None
        self._since_step = [candidate[1], offset]
        self._offset = (candidate[1] + offset) / 2
        self.steps.append((at, self._offset))

    @property
    def locked(self) -> bool:
        """Whether the echo has been found (two agreeing measurements)."""
        return self._offset is not None

    @property
    def unconfirmed(self) -> bool:
        """Whether the last trusted measurement was off the offset and awaits a second."""
        return self._candidate is not None

    def offset(self, at: float) -> float:
        """The offset to read the reference at, at monotonic ``at`` (0 before the echo is found).

        ``at`` is unused while the offset is held; it stays in the signature so a tracker that
        models drift can be put in its place.
        """
        return 0.0 if self._offset is None else self._offset
