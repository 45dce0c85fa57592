"""Acoustic echo cancellation: removes the coach's own voice from the microphone signal.

A frequency-domain adaptive filter (partitioned-block NLMS, overlap-save) learns the echo path
from the speaker signal (the reference) to the microphone and subtracts its estimate, so the
recognizer hears the user, not the coach. The user talking over the coach would teach a single
filter to cancel the user and wreck it for the sentence after, and no double-talk detector
trips fast enough. So two filters run, as in Speex: a background filter adapts on every block,
and the foreground filter, the one whose output is used, takes the background's weights only
while they cancel clearly better; a background filter thrown off by the user goes back to the
foreground's weights. Pure numpy, no device access: the caller lines the reference up in time.
"""

from __future__ import annotations

import numpy as np

from audio_models.pcm import PairedBlocks

BLOCK = 160  # samples per step: 10 ms at 16 kHz
PARTITIONS = 8  # filter length = BLOCK * PARTITIONS: 80 ms of echo path
STEP = 0.5  # normalised step size; large, since a loudspeaker-to-microphone path changes slowly
SMOOTHING = 0.8  # per block, for the two filters' error energies (about 50 ms)
BETTER = 0.5  # background error energy below this share of the foreground's: copy it over
WORSE = 4.0  # background error energy above this multiple of the foreground's: reset it
REGULARISATION = 1e-6  # keeps the normalisation finite when the coach is silent
# Echo reduction (error energy below microphone energy, smoothed) at which the foreground's
# weights are worth keeping: a step in the echo path undoes them in a fraction of a second,
# and learning them again takes seconds; once the caller has put the reference back in line
# with the echo, the kept weights fit again at once.
GOOD_REDUCTION = 10 ** (-20 / 10)


class EchoCanceller:
    """Streaming echo canceller: feed equal-length microphone and reference blocks."""

    def __init__(self, block: int = BLOCK, partitions: int = PARTITIONS) -> None:
        self.block = block
        self.partitions = partitions
        self._size = 2 * block
        self._background = np.zeros((partitions, block + 1), dtype=np.complex128)
        self._foreground = self._background.copy()
        self._reference_spectra = np.zeros((partitions, block + 1), dtype=np.complex128)
        self._previous_reference = np.zeros(block, dtype=np.float64)
        self._power = np.full(block + 1, REGULARISATION)
        self._background_energy = 0.0
        self._foreground_energy = 0.0
        self._microphone_energy = 0.0
        self._good: np.ndarray | None = None  # the foreground's weights when last cancelling well
        self._good_energy = 0.0
        self._pending = PairedBlocks(block)
        self.estimate = np.zeros(0, dtype=np.float64)  # the echo removed by the last process()

    def process(self, microphone: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Echo-reduced microphone samples (float), for any number of samples in step.

        Output comes in whole blocks: sample k out is sample k in, only later. ``estimate``
        then holds the echo that was subtracted from those same samples.
        """
        errors, estimates = [], []
        for mic, ref in self._pending.feed(microphone, reference):
            error, estimate = self._step(mic, ref)
            errors.append(error)
            estimates.append(estimate)
        empty = np.zeros(0, dtype=np.float64)
        self.estimate = np.concatenate(estimates) if estimates else empty
        return np.concatenate(errors) if errors else empty

    def restore(self) -> bool:
        """Go back to the weights of the last time the echo was well cancelled.

        For the caller that has just moved the reference to follow a step in the echo path:
        what the filters learned since the step fitted the path out of line. Returns whether
        there were such weights.
        """
        if self._good is None:
            return False
        self._foreground = self._good.copy()
        self._background = self._good.copy()
        self._foreground_energy = self._background_energy = 0.0
        return True

    def _step(self, mic: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        spectrum = np.fft.rfft(np.concatenate([self._previous_reference, ref]))
        self._previous_reference = ref
        self._reference_spectra = np.roll(self._reference_spectra, 1, axis=0)
        self._reference_spectra[0] = spectrum
        estimate = self._filter(self._foreground)
        error = mic - estimate
        if not np.any(ref) and not np.any(self._reference_spectra[1:]):
            return error, estimate  # the coach has been silent for the whole filter length
        self._power = 0.9 * self._power + 0.1 * np.abs(spectrum) ** 2
        background_error = mic - self._filter(self._background)
        self._adapt(background_error)
        self._foreground_energy = SMOOTHING * self._foreground_energy + float(np.dot(error, error))
        self._microphone_energy = SMOOTHING * self._microphone_energy + float(np.dot(mic, mic))
        if self._foreground_energy < GOOD_REDUCTION * self._microphone_energy:
            self._good = self._foreground  # replaced, never changed in place, so no copy
            self._good_energy = self._foreground_energy
        elif self._good is not None:
            # The user talking over the coach can still lure both filters off the path; the
            # weights that last cancelled well are the way back (they fit a path that held).
            good_error = mic - self._filter(self._good)
            self._good_energy = SMOOTHING * self._good_energy + float(
                np.dot(good_error, good_error)
            )
            if self._good_energy < BETTER * self._foreground_energy:
                self._foreground = self._good
                self._background = self._good.copy()
                self._foreground_energy = self._background_energy = self._good_energy
        self._background_energy = SMOOTHING * self._background_energy + float(
            np.dot(background_error, background_error)
        )
        if self._background_energy < BETTER * self._foreground_energy:
            self._foreground = self._background.copy()
            self._foreground_energy = self._background_energy
        elif self._background_energy > WORSE * self._foreground_energy + REGULARISATION:
            self._background = self._foreground.copy()
            self._background_energy = self._foreground_energy
        return error, estimate

    def _filter(self, weights: np.ndarray) -> np.ndarray:
        estimate_spectrum = np.sum(weights * self._reference_spectra, axis=0)
        return np.fft.irfft(estimate_spectrum, n=self._size)[self.block :]

    def _adapt(self, error: np.ndarray) -> None:
        block = self.block
        error_spectrum = np.fft.rfft(np.concatenate([np.zeros(block), error]))
        normalised = STEP * error_spectrum / (self._power * self.partitions + REGULARISATION)
        gradient = np.conj(self._reference_spectra) * normalised
        # Constrain each partition to a causal block: keep the first half in time.
        update = np.fft.irfft(gradient, n=self._size, axis=1)
        update[:, block:] = 0.0
        self._background += np.fft.rfft(update, axis=1)
