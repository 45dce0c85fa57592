"""The microphone: a sounddevice input stream whose callback only copies and queues.

Audio comes out as 16 kHz mono s16 chunks stamped with the monotonic time of their first sample
(from ``inputBufferAdcTime``), so a transcript can be lined up with what the speaker was playing.
When the device will not open at 16 kHz, it runs at its own rate and the conversion happens on the
consumer side, never in the callback.
"""

from __future__ import annotations

import contextlib
import math
import queue
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import soxr

from audio_models.devices.portaudio import Stream, close_stream, open_stream_error, portaudio
from audio_models.devices.realtime import promote_current_thread
from audio_models.pcm import to_s16
from audio_models.recognizers.protocol import SAMPLE_RATE

QUEUE_BLOCKS = 500  # ten seconds of 20 ms blocks: a stalled consumer loses the oldest audio


@dataclass(frozen=True)
class AudioChunk:
    """16 kHz mono s16le audio and the monotonic time of its first sample."""

    pcm: bytes
    start: float


class Microphone:
    """Captures from an input device; ``read`` hands out converted, time-stamped chunks."""

    def __init__(
        self, device: int | str | None = None, block_ms: int = 20, samplerate: int | None = None
    ) -> None:
        self._device, self._block_ms = device, block_ms
        self._forced_rate = samplerate
        self._queue: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(QUEUE_BLOCKS)
        self.dropped = 0
        self.realtime: bool | None = None  # whether the callback thread runs at real-time priority
        self._level = -120.0
        self._stream: Stream | None = None
        self._open()

    @property
    def samplerate(self) -> int:
        """The device stream's rate (16000 unless the device refused it)."""
        return self._rate

    @property
    def last_callback_at(self) -> float:
        return self._last_callback

    def read(self, timeout: float) -> AudioChunk | None:
        """The next chunk, or None when none arrived within ``timeout`` seconds."""
        try:
            samples, start = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        rms = float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
        self._level = 20 * math.log10(max(rms, 1e-6))
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples)
        return AudioChunk(to_s16(samples).tobytes(), start)

    def level(self) -> float:
        """The loudness of the last chunk read, in dBFS."""
        return self._level

    def reopen(self) -> None:
        """Close and open the stream again (device replugged)."""
        self._close_stream()
        self.realtime = None  # a new stream, a new callback thread
        self._open()

    def close(self) -> None:
        self._close_stream()

    def _open(self) -> None:
        sd = portaudio()
        rates = [self._forced_rate] if self._forced_rate else [SAMPLE_RATE, None]
        last_error: Exception | None = None
        for rate in rates:
            try:
                if rate is None:
                    rate = int(sd.query_devices(self._device, "input")["default_samplerate"])
                self._stream = sd.InputStream(
                    device=self._device,
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=int(rate * self._block_ms / 1000),
                    latency="low",
                    callback=self._callback,
                )
                self._stream.start()
            except (sd.PortAudioError, ValueError) as error:
                last_error = error
                continue
            self._rate = rate
            self._resampler = None
            if rate != SAMPLE_RATE:
                self._resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, "float32")
            self._last_callback = time.monotonic()
            return
        raise open_stream_error("microphone", self._device, last_error or OSError("no stream"))

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        close_stream(stream)

    def _callback(self, indata: np.ndarray, frames: int, timing: Any, status: Any) -> None:
        if self.realtime is None:  # the stream's first callback, on PortAudio's thread
            self.realtime = promote_current_thread()
        now = time.monotonic()
        self._last_callback = now
        # Stream clock -> monotonic through the difference of two readings of "now".
        start = now - (timing.currentTime - timing.inputBufferAdcTime)
        item = (indata[:, 0].copy(), start if timing.currentTime else now)
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            # Drop the oldest: the newest audio is what the user is saying now.
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            self.dropped += 1
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(item)
