"""Acoustic echo cancellation: removes the coach's own voice from the microphone signal.

A frequency-domain adaptive filter (partitioned-block NLMS, overlap-save) learns the echo path
from the speaker signal (the reference) to the microphone and subtracts its estimate, so the
recognizer hears the user, not the coach. Adaptation pauses while the user talks over the coach
(a Geigel-style double-talk check): adapting then would teach the filter to cancel the user.
Pure numpy, no device access: the caller lines the reference up with the microphone by time.
"""

from __future__ import annotations

import numpy as np

BLOCK = 160  # samples per step: 10 ms at 16 kHz
PARTITIONS = 8  # filter length = BLOCK * PARTITIONS: 80 ms of echo path
STEP = 0.5  # normalised step size; large, since a loudspeaker-to-microphone path changes slowly
CONVERGED = 8.0  # smoothed mic/residual energy ratio (9 dB) from which the filter is trusted
DOUBLE_TALK = 4.0  # a converged filter removing less than this energy ratio: the user talks
REGULARISATION = 1e-6  # keeps the normalisation finite when the coach is silent


class EchoCanceller:
    """Streaming echo canceller: feed equal-length microphone and reference blocks."""

    def __init__(self, block: int = BLOCK, partitions: int = PARTITIONS) -> None:
        self.block = block
        self.partitions = partitions
        size = 2 * block
        self._weights = np.zeros((partitions, block + 1), dtype=np.complex128)
        self._reference_spectra = np.zeros((partitions, block + 1), dtype=np.complex128)
        self._previous_reference = np.zeros(block, dtype=np.float64)
        self._power = np.full(block + 1, REGULARISATION)
        self._size = size
        self._pending_mic = np.zeros(0, dtype=np.float64)
        self._pending_ref = np.zeros(0, dtype=np.float64)
        self._reduction = 1.0

    def process(self, microphone: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Echo-reduced microphone samples (float), for any number of samples in step."""
        if len(microphone) != len(reference):
            raise ValueError("microphone and reference must have the same length")
        self._pending_mic = np.concatenate([self._pending_mic, microphone.astype(np.float64)])
        self._pending_ref = np.concatenate([self._pending_ref, reference.astype(np.float64)])
        out = []
        while len(self._pending_mic) >= self.block:
            mic, self._pending_mic = np.split(self._pending_mic, [self.block])
            ref, self._pending_ref = np.split(self._pending_ref, [self.block])
            out.append(self._step(mic, ref))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float64)

    def _step(self, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
        block = self.block
        spectrum = np.fft.rfft(np.concatenate([self._previous_reference, ref]))
        self._previous_reference = ref
        self._reference_spectra = np.roll(self._reference_spectra, 1, axis=0)
        self._reference_spectra[0] = spectrum
        estimate_spectrum = np.sum(self._weights * self._reference_spectra, axis=0)
        estimate = np.fft.irfft(estimate_spectrum, n=self._size)[block:]
        error = mic - estimate
        if not np.any(ref) and not np.any(self._reference_spectra[1:]):
            return error  # the coach has been silent for the whole filter length
        self._power = 0.9 * self._power + 0.1 * np.abs(spectrum) ** 2
        mic_energy = float(np.dot(mic, mic)) + REGULARISATION
        error_energy = float(np.dot(error, error)) + REGULARISATION
        # Once the filter cancels well, a block it suddenly cannot cancel holds the user's voice.
        talking = self._reduction > CONVERGED and error_energy > mic_energy / DOUBLE_TALK
        if not talking:
            self._adapt(error)
            self._reduction = 0.95 * self._reduction + 0.05 * (mic_energy / error_energy)
        return error

    def _adapt(self, error: np.ndarray) -> None:
        block = self.block
        error_spectrum = np.fft.rfft(np.concatenate([np.zeros(block), error]))
        normalised = STEP * error_spectrum / (self._power * self.partitions + REGULARISATION)
        gradient = np.conj(self._reference_spectra) * normalised
        # Constrain each partition to a causal block: keep the first half in time.
        update = np.fft.irfft(gradient, n=self._size, axis=1)
        update[:, block:] = 0.0
        self._weights += np.fft.rfft(update, axis=1)
