"""Residual echo suppression: the post-filter after the adaptive echo canceller.

A linear canceller leaves 10-20 dB of the coach's voice (resampling, loudspeaker distortion, a
path that moves), enough to keep the recognizer's endpointer open for the whole sentence and to
bury a "stop" said over it. Where the canceller's echo estimate says the coach's voice should
be, each frequency band is attenuated unless it carries clearly more energy than the leak the
canceller is known to let through: the user's word stands out, the coach's remnant goes quiet.
Short-time spectra on 20 ms frames, half overlapping, square-root Hann windows.
"""

from __future__ import annotations

import numpy as np

from audio_models.pcm import PairedBlocks

HOP = 160  # samples: 10 ms at 16 kHz
OVER_SUBTRACT = 4.0  # how far above the expected leak a band must be to count as the user
FLOOR = 0.03  # about -30 dB: suppressed bands keep a trace, so the result never sounds gated
LEAK_START = 1.0  # before anything is learned, assume the canceller removes nothing
LEAK_SMOOTHING = 0.98  # per echo-only frame
ECHO_SMOOTHING = 0.6  # the echo estimate's power decays this much per frame: room reverberation
SILENT = 1e-10  # echo estimate power below which the coach is not playing


class ResidualEchoSuppressor:
    """Streaming post-filter: feed the canceller's output and its echo estimate, in step."""

    def __init__(self, hop: int = HOP) -> None:
        self.hop = hop
        size = 2 * hop
        self._window = np.sqrt(np.hanning(size + 1)[:size])
        self._error = np.zeros(size)
        self._echo = np.zeros(size)
        self._overlap = np.zeros(hop)
        self._leak = np.full(hop + 1, LEAK_START)
        self._echo_power = np.zeros(hop + 1)
        self._pending = PairedBlocks(hop)

    def process(self, error: np.ndarray, echo: np.ndarray) -> np.ndarray:
        """Suppressed samples; the output runs ``hop`` samples behind the input."""
        out = [self._frame(e, y) for e, y in self._pending.feed(error, echo)]
        return np.concatenate(out) if out else np.zeros(0)

    def _frame(self, error: np.ndarray, echo: np.ndarray) -> np.ndarray:
        hop = self.hop
        self._error = np.concatenate([self._error[hop:], error])
        self._echo = np.concatenate([self._echo[hop:], echo])
        spectrum = np.fft.rfft(self._window * self._error)
        echo_power = np.abs(np.fft.rfft(self._window * self._echo)) ** 2
        self._echo_power = np.maximum(echo_power, ECHO_SMOOTHING * self._echo_power)
        error_power = np.abs(spectrum) ** 2
        if self._echo_power.sum() > SILENT:
            expected = self._leak * self._echo_power
            # A frame no louder than the known leak is the coach alone: learn the leak from it.
            if error_power.sum() < OVER_SUBTRACT * expected.sum():
                ratio = np.minimum(error_power / (self._echo_power + SILENT), LEAK_START)
                self._leak = LEAK_SMOOTHING * self._leak + (1 - LEAK_SMOOTHING) * ratio
            gain = np.clip(1.0 - OVER_SUBTRACT * expected / (error_power + SILENT), FLOOR, 1.0)
            spectrum = spectrum * gain
        frame = np.fft.irfft(spectrum, n=2 * hop) * self._window
        out = self._overlap + frame[:hop]
        self._overlap = frame[hop:]
        return out
