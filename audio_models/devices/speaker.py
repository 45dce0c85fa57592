"""One persistent output stream that plays clips at absolute times on the monotonic clock.

Each callback knows when its first sample will reach the DAC (``outputBufferDacTime``, on the
stream's clock, mapped to ``time.monotonic()``), so a clip due at monotonic time T starts at the
exact sample of that block whose DAC time is T: no sleeping, no drift. The stream runs all session
long and outputs silence when idle, so there is no start-up latency on each line.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from audio_models.devices.output_history import OutputHistory
from audio_models.devices.portaudio import Stream, close_stream, open_stream_error, portaudio
from audio_models.devices.realtime import promote_current_thread
from audio_models.pcm import resample
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.types import Clip, Playback

FADE_SECONDS = 0.005  # a cut line fades out this fast: no click, still immediate
HISTORY_SECONDS = 120.0  # the echo filter never looks further back than this
# Seconds of output buffer. PortAudio's "low" (9 ms through the ALSA pulse plugin, refilled in
# 2 ms callbacks) underran every few seconds with one core busy, and each underrun delays all
# that is played after it: the echo path walked 260 ms in 27 s on the null sink. Worse, an
# underrun can stall the plugin for about 1.9 s. At 0.1 s there was no underrun under the same
# load, and none of eight reopened streams stalled (35-80 ms buffers: most of them did). A cut
# line goes quiet 0.11-0.15 s later: this buffer, plus the callback under way.
OUTPUT_LATENCY = 0.1


@dataclass
class _Scheduled:
    id: int
    text: str
    samples: np.ndarray
    at: float
    position: int = 0  # samples already played
    started_at: float | None = None
    ended_at: float | None = None
    cancel: bool = False


class Speaker:
    """Plays clips on one persistent sounddevice output stream; see the module docstring.

    With ``record``, the stream's output is kept for a few seconds (``played_audio``): the
    reference an echo canceller needs to take the coach's voice out of the microphone.
    """

    def __init__(
        self,
        device: int | str | None = None,
        samplerate: int | None = None,
        latency: str | float = OUTPUT_LATENCY,
        record: bool = False,
    ) -> None:
        self._device, self._latency = device, latency
        self._record = record
        self._history: OutputHistory | None = None
        self._requested_rate = samplerate
        self._lock = threading.Lock()
        self._clips: list[_Scheduled] = []
        self._ids = itertools.count(1)
        self._resampled: dict[tuple[str, int, int, int], np.ndarray] = {}
        self._last_callback = time.monotonic()
        # The first callback failure, "Type: message": the stream keeps running, so this is
        # how a session learns that lines may have gone unheard.
        self.callback_error: str | None = None
        self.underruns = 0  # output underflows PortAudio reported: each moves the echo path
        self.realtime: bool | None = None  # whether the callback thread runs at real-time priority
        self._stream: Stream | None = None
        self._open()

    # ----------------------------------------------------------------- public

    @property
    def samplerate(self) -> int:
        return self._rate

    @property
    def last_callback_at(self) -> float:
        return self._last_callback

    def play(self, clip: Clip, at: float | None = None) -> Playback:
        """Schedule ``clip`` to reach the speaker at monotonic time ``at`` (None: now)."""
        samples = self._at_stream_rate(clip)
        start = time.monotonic() if at is None else at
        item = _Scheduled(next(self._ids), clip.text, samples, start)
        with self._lock:
            self._clips.append(item)
        return Playback(clip.text, start, start + len(samples) / self._rate, item.id)

    def cancel(self, playbacks: list[Playback] | None = None) -> None:
        """Cut the given playbacks (all when None), whether playing or still scheduled."""
        ids = None if playbacks is None else {p.id for p in playbacks}
        with self._lock:
            for item in self._clips:
                if item.ended_at is None and (ids is None or item.id in ids):
                    item.cancel = True

    def busy_until(self) -> float:
        """Monotonic time the last scheduled clip ends (in the past when idle)."""
        with self._lock:
            live = [self._end_of(c) for c in self._clips if c.ended_at is None and not c.cancel]
        return max(live, default=0.0)

    def played_since(self, since: float) -> list[Playback]:
        """Every clip played, playing or scheduled that ends after ``since``."""
        with self._lock:
            items = list(self._clips)
        out = []
        for item in items:
            start = item.started_at if item.started_at is not None else item.at
            end = item.ended_at if item.ended_at is not None else self._end_of(item)
            if item.cancel and item.started_at is None:
                continue  # cancelled before a sample was heard
            if end >= since:
                out.append(Playback(item.text, start, end, item.id))
        return out

    def played_audio(self, start: float, count: int, rate: int) -> np.ndarray:
        """``count`` samples at ``rate`` of what the stream sent out from monotonic ``start``.

        The echo canceller's reference; silence unless the speaker was opened with ``record``.
        """
        history = self._history
        if history is None:
            return np.zeros(count, dtype=np.float32)
        return history.segment(start, count, rate)

    def samples(self, start: float, count: int) -> np.ndarray:
        """``played_audio`` at the recognizers' rate: the speaker as a ``PlaybackLog``."""
        return self.played_audio(start, count, SAMPLE_RATE)

    def reopen(self) -> None:
        """Close and reopen the stream (device replugged); scheduled clips keep their times."""
        self._close_stream()
        self.realtime = None  # a new stream, a new callback thread
        self._open()

    def close(self) -> None:
        self._close_stream()

    # ----------------------------------------------------------------- stream

    def _open(self) -> None:
        sd = portaudio()
        try:
            if self._requested_rate is None:
                info = sd.query_devices(self._device, "output")
                self._rate = int(info["default_samplerate"])
            else:
                self._rate = int(self._requested_rate)
            self._stream = sd.OutputStream(
                device=self._device,
                samplerate=self._rate,
                channels=1,
                dtype="float32",
                latency=self._latency,
                callback=self._callback,
            )
            if self._record and (self._history is None or self._history.rate != self._rate):
                self._history = OutputHistory(self._rate)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as error:
            raise open_stream_error("speaker", self._device, error) from error
        self._last_callback = time.monotonic()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        close_stream(stream)

    def _callback(self, outdata: np.ndarray, frames: int, timing: Any, status: Any) -> None:
        if self.realtime is None:  # the stream's first callback, on PortAudio's thread
            self.realtime = promote_current_thread()
        now = time.monotonic()
        self._last_callback = now
        out = outdata[:, 0]
        out.fill(0.0)
        try:
            # Stream clock -> monotonic: both read "now" here, so their difference maps DAC time.
            dac = timing.outputBufferDacTime - timing.currentTime + now
            if timing.outputBufferDacTime <= 0:  # some host APIs report no timing
                dac = now
            self._mix(out, frames, dac, now)
            if status.output_underflow:
                self.underruns += 1
            if self._history is not None:
                # After an underrun the samples lost their place on the timeline: follow the
                # stream's stamp rather than the sample count.
                self._history.append(dac, out, resync=bool(status.output_underflow))
        except Exception as error:  # never raise into PortAudio: that would stop the stream
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        if self.callback_error is None:
            self.callback_error = f"{type(error).__name__}: {error}"

    def _mix(self, out: np.ndarray, frames: int, dac: float, now: float) -> None:
        with self._lock:
            for item in self._clips:
                if item.ended_at is not None:
                    continue
                try:
                    if item.cancel:
                        self._fade_out(item, out, frames, dac)
                    else:
                        self._add(item, out, frames, dac)
                except Exception as error:
                    # Dropped: left in the list, a clip that cannot be mixed would fail every
                    # block from now on and silence every line after it.
                    item.ended_at = dac
                    self._failed(error)
            self._clips = [c for c in self._clips if not _expired(c, now)]
        np.clip(out, -1.0, 1.0, out=out)

    def _add(self, item: _Scheduled, out: np.ndarray, frames: int, dac: float) -> None:
        rate = self._rate
        offset = 0
        if item.position == 0:
            offset = round((item.at - dac) * rate)
            if offset >= frames:
                return  # due in a later block
            offset = max(0, offset)  # late (scheduled in the past): start at once
            item.started_at = dac + offset / rate
        take = min(frames - offset, len(item.samples) - item.position)
        out[offset : offset + take] += item.samples[item.position : item.position + take]
        item.position += take
        if item.position >= len(item.samples):
            item.ended_at = dac + (offset + take) / rate

    def _fade_out(self, item: _Scheduled, out: np.ndarray, frames: int, dac: float) -> None:
        if item.position == 0:
            item.ended_at = dac  # never started
            return
        fade = min(frames, int(FADE_SECONDS * self._rate), len(item.samples) - item.position)
        ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
        out[:fade] += item.samples[item.position : item.position + fade] * ramp
        item.ended_at = dac + fade / self._rate

    def _end_of(self, item: _Scheduled) -> float:
        start = item.started_at if item.started_at is not None else item.at
        return start + len(item.samples) / self._rate

    def _at_stream_rate(self, clip: Clip) -> np.ndarray:
        key = (clip.text, clip.rate, len(clip.samples), self._rate)
        cached = self._resampled.get(key)
        if cached is None:
            cached = resample(clip.samples, clip.rate, self._rate).astype(np.float32)
            if len(self._resampled) > 512:
                self._resampled.clear()
            self._resampled[key] = cached
        return cached


def _expired(item: _Scheduled, now: float) -> bool:
    return item.ended_at is not None and item.ended_at < now - HISTORY_SECONDS
