"""The echo chain: the coach's voice taken out of the microphone signal, one chunk at a time.

Given what the speaker played, by time (the ``reference``), the delay tracker finds where the
echo sits in the microphone signal, the adaptive canceller removes it, the residual suppressor
quietens what is left, and a faint comfort noise stands in for the silence. Then "stop" said over
one of the coach's sentences reaches the recognizer nearly on its own.

A ``between`` stage (the listener's countdown gate) runs after the canceller and before the
comfort noise: blanked audio would teach the canceller that the coach makes no echo.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np

from audio_models.echo.canceller import EchoCanceller
from audio_models.echo.delay import DelayTracker, estimate_delay
from audio_models.echo.suppressor import ResidualEchoSuppressor
from audio_models.pcm import S16_FULL_SCALE, float_to_s16, s16_to_float
from audio_models.recognizers.protocol import SAMPLE_RATE

# The reference is taken this much ahead of the microphone's timestamps, so an echo that arrives
# up to this much *earlier* than the clocks say is still inside the canceller's causal window.
REFERENCE_LEAD = 0.01

# Seconds between a chunk's stamp and the sample count before the reference timeline follows the
# stamp: only lost audio parts them this far. Stamps jitter by tens of milliseconds when the
# sound server is busy, and following that jitter would shake the echo path under the canceller.
REANCHOR_AFTER = 0.25
ALIGN_WINDOW = 25  # chunks (half a second) of microphone audio per alignment measurement
ALIGN_EVERY = 12  # chunks between measurements: four a second, on overlapping windows
# Chunks between measurements while the echo may have moved: the canceller lets the coach
# through, or a measurement off the line awaits a second to confirm a step. A step is then
# followed about 0.6 s after it happens (the window must first fill with audio from after it).
ALIGN_SOON = 3
# The canceller's output this close to its input (in power, over about 0.2 s of the coach
# talking) means it is not cancelling: the path moved, or the user talks over the coach.
ECHO_LEFT = 10 ** (-10 / 10)
ECHO_SMOOTHING = 0.8  # per chunk, for the two powers compared with ECHO_LEFT
ALIGN_SEARCH = 0.6  # seconds either side of the clocks' estimate to look for the echo

# A microphone's own hiss, about -70 dBFS, under what the recognizer hears once the echo is
# taken out: its voice detector calibrates on the quietest input, and next to digital silence
# even the canceller's faint remnant of the coach, or a blanked stretch, would count as sound.
COMFORT_NOISE = S16_FULL_SCALE * 10 ** (-70 / 20)
# Seconds from finding the echo until the canceller is trusted to have learned it: before that,
# the coach's own vowels still come through as "ow".
CANCELLER_WARM_UP = 3.0

Reference = Callable[[float, int], np.ndarray]
"""(monotonic start, sample count) -> what the speaker played then, 16 kHz float."""


class Stage(Protocol):
    """One step on 16 kHz s16le chunks: ``process(pcm, monotonic start) -> pcm``."""

    def process(self, pcm: bytes, start: float) -> bytes: ...


class EchoPipeline:
    """Delay tracking, canceller, suppressor and comfort noise, with one ``process`` call."""

    def __init__(self, reference: Reference, between: Stage | None = None) -> None:
        self._reference = reference
        self._between = between
        self._canceller = EchoCanceller()
        self._suppressor = ResidualEchoSuppressor()
        self._noise = np.random.default_rng(0)
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=ALIGN_WINDOW)
        self._since_aligned = 0  # chunks since the last alignment measurement
        self._power_in = 0.0  # smoothed power of the microphone while the coach talks
        self._power_out = 0.0  # ...and of the canceller's output then
        self._reference_at: float | None = None  # where the next reference block starts
        self._delay = DelayTracker()  # measured correction to the clocks' alignment
        self.locked_at: float | None = None  # when the echo was first found

    def process(self, pcm: bytes, start: float) -> bytes:
        """The chunk that starts at monotonic ``start``, with the coach's echo taken out.

        Both filters work in whole 10 ms blocks: sample k out is sample k in, only later (by at
        most 30 ms), so the caller's map from input samples to time stays right within that.
        """
        pcm = self._cancel_echo(pcm, start)
        if self._between is not None:
            pcm = self._between.process(pcm, start)
        return self._add_comfort_noise(pcm)

    def echo_steps(self) -> list[tuple[float, float]]:
        """(monotonic time, offset in seconds) where the echo was found, and each step after."""
        return list(self._delay.steps)

    def cancelling(self, since: float) -> bool:
        """Whether the canceller had learned the echo by ``since`` and is not leaking now."""
        return (
            self.locked_at is not None
            and since - self.locked_at >= CANCELLER_WARM_UP
            and not self.leaking
        )

    @property
    def leaking(self) -> bool:
        """The coach's voice comes through the canceller (or the user talks over it): either
        way, what the recognizer hears may be the coach's own vowels."""
        return self._power_out > ECHO_LEFT * self._power_in > 0

    def _cancel_echo(self, pcm: bytes, start: float) -> bytes:
        mic = s16_to_float(pcm)
        # The reference must run on without seams: follow the sample count, not each chunk's
        # (jittering) stamp; slow drift between the two is the delay tracker's business.
        if self._reference_at is None or abs(start - self._reference_at) > REANCHOR_AFTER:
            self._reference_at = start
        at, self._reference_at = self._reference_at, self._reference_at + len(mic) / SAMPLE_RATE
        self._recent.append((at, mic))
        self._since_aligned += 1
        due = ALIGN_SOON if self._echo_may_have_moved() else ALIGN_EVERY
        if len(self._recent) == self._recent.maxlen and self._since_aligned >= due:
            self._since_aligned = 0
            self._realign()
        reference = self._reference(at + REFERENCE_LEAD + self._delay.offset(at), len(mic))
        clean = self._canceller.process(mic, reference)
        self._measure_cancelling(mic, reference, clean)
        clean = self._suppressor.process(clean, self._canceller.estimate)
        return float_to_s16(clean)

    def _measure_cancelling(
        self, mic: np.ndarray, reference: np.ndarray, clean: np.ndarray
    ) -> None:
        if not np.any(reference) or len(clean) == 0:
            return  # the coach is quiet: nothing to judge the canceller by
        keep = ECHO_SMOOTHING
        self._power_in = keep * self._power_in + (1 - keep) * float(np.mean(mic**2))
        self._power_out = keep * self._power_out + (1 - keep) * float(np.mean(clean**2))

    def _echo_may_have_moved(self) -> bool:
        return self._delay.unconfirmed or (self._delay.locked and self.leaking)

    def _add_comfort_noise(self, pcm: bytes) -> bytes:
        # In sample units, not through float_to_s16: the noise is added to the int16 samples.
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        samples += self._noise.normal(0.0, COMFORT_NOISE, len(samples))
        return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()

    def _realign(self) -> None:
        """Measure where the coach's voice really sits in the microphone signal."""
        first = self._recent[0][0]
        mic = np.concatenate([m for _, m in self._recent])
        span = len(mic) / SAMPLE_RATE
        reference = self._reference(
            first - ALIGN_SEARCH, int((span + 2 * ALIGN_SEARCH) * SAMPLE_RATE)
        )
        lag, strength = estimate_delay(mic, np.asarray(reference, dtype=np.float64))
        steps = len(self._delay.steps)
        self._delay.add(first + span / 2, lag / SAMPLE_RATE - ALIGN_SEARCH, strength)
        if len(self._delay.steps) > steps:
            # The reference now lines up with the echo as it did before the path moved.
            self._canceller.restore()
        if self.locked_at is None and self._delay.locked:
            self.locked_at = first + span
