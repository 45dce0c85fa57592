"""PCM helpers: the conversions between device/file audio and the recognizers' 16 kHz mono s16."""

from __future__ import annotations

import numpy as np
import soxr  # type: ignore[import-untyped]

from audio_models.recognizers.protocol import SAMPLE_RATE

S16_FULL_SCALE = 32768.0
"""int16 <-> float with -32768 as -1.0: the inverse of ``to_float``, so a round trip is exact."""
S16_PEAK = 32767.0
"""``to_s16``'s scale: +1.0 lands on the largest int16 instead of clipping.

Rendered speech and files reach the recognizers through it; the echo chain's int16 round trip
uses ``S16_FULL_SCALE``. Unifying the two would change the samples recognizers hear (by under
0.01 %), so both stay, named.
"""


def s16_to_float(pcm: bytes) -> np.ndarray:
    """s16le bytes to float64 samples, -32768 -> -1.0."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / S16_FULL_SCALE


def float_to_s16(samples: np.ndarray) -> bytes:
    """Float samples (-1.0 is -32768) to s16le bytes, clipping rather than wrapping around."""
    return np.clip(np.round(samples * S16_FULL_SCALE), -32768, 32767).astype("<i2").tobytes()


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned unchanged."""
    if samples.ndim == 1:
        return samples
    return samples.mean(axis=1, dtype=np.float64).astype(samples.dtype, copy=False)


def to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM of any width to float32 in [-1, 1]."""
    if samples.dtype.kind == "f":
        return samples.astype(np.float32, copy=False)
    scale = float(np.iinfo(samples.dtype).max) + 1.0  # S16_FULL_SCALE for int16
    if samples.dtype == np.uint8:  # 8-bit WAV is unsigned, centred on 128
        return (samples.astype(np.float32) - 128.0) / 128.0
    return samples.astype(np.float32) / scale


def to_s16(samples: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] to int16, clipping rather than wrapping around."""
    return np.clip(np.round(samples * S16_PEAK), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, from_rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited rate conversion of a whole mono float signal."""
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples.astype(np.float32, copy=False), from_rate, to_rate)


def to_recognizer_pcm(samples: np.ndarray, rate: int) -> bytes:
    """Any-rate, any-channel PCM array to the 16 kHz mono s16le bytes recognizers take."""
    mono = to_float(to_mono(samples))
    return to_s16(resample(mono, rate, SAMPLE_RATE)).tobytes()


class PairedBlocks:
    """Two sample streams fed in step, handed back in whole, equal blocks of ``size``.

    Block-wise filters (the echo canceller, the suppressor) take whatever chunk sizes the
    microphone delivers; what does not fill a block waits for the next call.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._first = np.zeros(0, dtype=np.float64)
        self._second = np.zeros(0, dtype=np.float64)

    def feed(self, first: np.ndarray, second: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Add equal-length pieces of both streams; return every block now complete."""
        if len(first) != len(second):
            raise ValueError("the two streams must be fed the same number of samples")
        self._first = np.concatenate([self._first, first.astype(np.float64)])
        self._second = np.concatenate([self._second, second.astype(np.float64)])
        whole = len(self._first) // self.size * self.size
        firsts = self._first[:whole].reshape(-1, self.size)
        seconds = self._second[:whole].reshape(-1, self.size)
        self._first, self._second = self._first[whole:], self._second[whole:]
        return list(zip(firsts, seconds, strict=True))
