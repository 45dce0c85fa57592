"""What the speaker actually sent out, by time: the echo canceller's reference signal.

The output callback appends each block with the monotonic time its first sample reaches the
DAC (copying only); the microphone side asks for the same stretch of time at 16 kHz.
"""

from __future__ import annotations

import bisect
import threading

import numpy as np
import soxr  # type: ignore[import-untyped]

KEEP_SECONDS = 5.0  # the recognizer runs at most this far behind the speaker
REANCHOR_AFTER = 0.25  # seconds: only an underrun or a reopened stream parts them this far
PAD_SECONDS = 0.01  # extra context so the resampler has no edge effects inside the window


class OutputHistory:
    """A ring of recent output blocks: (DAC start time, samples at the stream rate)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        # Parallel lists, oldest first: a segment is found by bisection, never by a scan (a scan
        # over seconds of small blocks, fifty times a second, starves the audio callbacks).
        self._starts: list[float] = []
        self._blocks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._next: float | None = None  # where the next block continues the timeline

    def append(self, start: float, samples: np.ndarray, resync: bool = False) -> None:
        """Record one output block (called from the audio callback: a copy and an append).

        The stream's samples are contiguous, but the time reported for each block jitters by
        milliseconds; an echo canceller needs the reference without seams. So blocks are laid end
        to end by sample count, and the timeline re-anchors only when the reported time parts
        from it by more than a jitter (a reopened stream), or with ``resync`` (the stream reported
        an underrun, so the count no longer tells where these samples play).
        """
        block = samples.astype(np.float32, copy=True)
        if self._next is not None and not resync and abs(start - self._next) <= REANCHOR_AFTER:
            start = self._next
        self._next = start + len(block) / self.rate
        with self._lock:
            self._starts.append(start)
            self._blocks.append(block)
            if self._starts[0] < start - KEEP_SECONDS:
                cut = bisect.bisect_left(self._starts, start - KEEP_SECONDS)
                del self._starts[:cut], self._blocks[:cut]

    def segment(self, start: float, count: int, rate: int) -> np.ndarray:
        """``count`` samples at ``rate`` of what was played from monotonic ``start`` on.

        Times with no recorded output (before the stream, gaps) are silence.
        """
        pad = int(PAD_SECONDS * self.rate)
        first = start - pad / self.rate
        length = int(np.ceil(count * self.rate / rate)) + 2 * pad + 1
        window = np.zeros(length, dtype=np.float32)
        with self._lock:
            lo = max(0, bisect.bisect_right(self._starts, first) - 1)
            hi = bisect.bisect_left(self._starts, first + length / self.rate)
            blocks = list(zip(self._starts[lo:hi], self._blocks[lo:hi], strict=True))
        for block_start, samples in blocks:
            offset = round((block_start - first) * self.rate)
            lo, hi = max(0, offset), min(length, offset + len(samples))
            if lo < hi:
                window[lo:hi] = samples[lo - offset : hi - offset]
        if not window.any():
            return np.zeros(count, dtype=np.float32)
        converted = soxr.resample(window, self.rate, rate) if rate != self.rate else window
        skip = round(pad * rate / self.rate)
        out = converted[skip : skip + count]
        return np.pad(out, (0, count - len(out))).astype(np.float32)
