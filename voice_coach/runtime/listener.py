"""The recognition thread: microphone chunks in, time-stamped utterances out.

Recognition runs on its own thread so that speaking and counting never wait for a decode. Each
transcript's stream times (seconds of audio fed) are mapped back to the monotonic clock through
the timestamps of the chunks that carried them, so the echo filter can compare them with what the
speaker was playing at that moment.

The countdown's numbers come once a second and leave gaps shorter than the endpointer's window,
so a "stop" said during the countdown would always be fused with a number into one utterance
the recognizer cannot make sense of. The coach knows exactly when each number sounds, so the
listener blanks those moments (a ``gate``): the user's words between numbers reach the
recognizer alone. Words said right on top of a number are lost; the user says them again.

With an ``echo_reference`` (what the speaker played, by time), the coach's voice is taken out of
the microphone signal before recognition: the delay tracker finds where the echo sits, the
adaptive canceller removes it, the residual suppressor quietens what is left, and a faint
comfort noise stands in for the silence. Then "stop" said over one of the coach's sentences
reaches the recognizer nearly on its own.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audio_models.echo.canceller import EchoCanceller
from audio_models.echo.delay import DelayTracker, estimate_delay
from audio_models.echo.suppressor import ResidualEchoSuppressor
from audio_models.recognizers.protocol import SAMPLE_RATE, Recognizer
from voice_coach.runtime.echo_filter import ECHO_TAIL

BYTES_PER_SAMPLE = 2
READ_TIMEOUT = 0.1
ANCHORS_KEPT = 3000  # chunk start times kept for mapping: about a minute of 20 ms chunks
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

EchoReference = Callable[[float, int], np.ndarray]
"""(monotonic start, sample count) -> what the speaker played then, 16 kHz float."""

Gate = Callable[[float, float], list[tuple[float, float]]]
"""(monotonic start, end) -> the stretches within it the recognizer must not hear."""

GATE_TAIL = 0.12  # seconds after a gated sound that its echo may still ring in the room
# A microphone's own hiss, about -70 dBFS, under what the recognizer hears once the echo is
# taken out: its voice detector calibrates on the quietest input, and next to digital silence
# even the canceller's faint remnant of the coach, or a blanked stretch, would count as sound.
COMFORT_NOISE = 32768 * 10 ** (-70 / 20)
# Seconds from finding the echo until the canceller is trusted to have learned it: before that,
# the coach's own vowels still come through as "ow".
CANCELLER_WARM_UP = 3.0


class Chunk(Protocol):
    pcm: bytes
    start: float


class ChunkSource(Protocol):
    """A microphone: ``read`` returns the next chunk or None after ``timeout`` seconds."""

    def read(self, timeout: float) -> Chunk | None: ...


@dataclass(frozen=True)
class Utterance:
    """A final transcript with its start and end on the monotonic clock."""

    text: str
    confidence: float
    start: float
    end: float
    decoded_at: float  # monotonic time the recognizer finished it
    # Stretches (monotonic start, end) inside it that were blanked before the recognizer: sounds
    # there (the countdown's numbers) cannot have been heard, so they cannot be its echo.
    blanked: tuple[tuple[float, float], ...] = ()
    # Whether the coach's voice was being cancelled (the canceller warmed up, and not letting
    # the coach through as the utterance ended).
    echo_cancelled: bool = False


class Listener:
    """Feeds microphone audio to a recognizer on a background thread; queues utterances."""

    def __init__(
        self,
        microphone: ChunkSource,
        recognizer: Recognizer,
        on_error: Callable[[Exception], None] | None = None,
        echo_reference: EchoReference | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.microphone = microphone
        self.recognizer = recognizer
        self._gate = gate
        self._blanked: deque[tuple[float, float]] = deque(maxlen=64)
        self._echo_reference = echo_reference
        cancelling = echo_reference is not None
        self._canceller = EchoCanceller() if cancelling else None
        self._suppressor = ResidualEchoSuppressor() if cancelling else None
        self._noise = np.random.default_rng(0)
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=ALIGN_WINDOW)
        self._since_aligned = 0  # chunks since the last alignment measurement
        self._power_in = 0.0  # smoothed power of the microphone while the coach talks
        self._power_out = 0.0  # ...and of the canceller's output then
        self._reference_at: float | None = None  # where the next reference block starts
        self._delay = DelayTracker()  # measured correction to the clocks' alignment
        self._locked_at: float | None = None  # when the echo was first found
        self.utterances: queue.Queue[Utterance] = queue.Queue()
        self._on_error = on_error
        self._last_error: str | None = None
        self._samples_fed = 0
        # (sample index, monotonic time) at each chunk start: stream time -> wall time.
        self._anchors: deque[tuple[int, float]] = deque(maxlen=ANCHORS_KEPT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voice-coach-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def next(self, timeout: float) -> Utterance | None:
        """The next utterance, or None when none came within ``timeout`` seconds."""
        try:
            return self.utterances.get(timeout=timeout)
        except queue.Empty:
            return None

    def echo_steps(self) -> list[tuple[float, float]]:
        """(monotonic time, offset in seconds) where the echo was found, and each step after."""
        return list(self._delay.steps)

    def to_monotonic(self, stream_seconds: float) -> float:
        """The monotonic time at which the sample at ``stream_seconds`` was captured."""
        sample = int(stream_seconds * SAMPLE_RATE)
        anchors = list(self._anchors)
        if not anchors:
            return time.monotonic()
        index = bisect.bisect_right(anchors, (sample, float("inf"))) - 1
        first, at = anchors[max(index, 0)]
        return at + (sample - first) / SAMPLE_RATE

    def feed(self, pcm: bytes, start: float) -> None:
        """Recognize one chunk (the thread's body; tests may call it directly)."""
        self._anchors.append((self._samples_fed, start))
        self._samples_fed += len(pcm) // BYTES_PER_SAMPLE
        try:
            # The canceller first: blanked audio would teach it that the coach makes no echo.
            if self._canceller is not None:
                pcm = self._cancel_echo(pcm, start)
            if self._gate is not None:
                pcm = self._silence_gated(pcm, start)
            if self._canceller is not None:
                pcm = self._add_comfort_noise(pcm)
            transcripts = self.recognizer.accept(pcm)
        except Exception as error:  # a decoder fault must not end the session
            self._report(error)
            return
        self._last_error = None
        for transcript in transcripts:
            if not transcript.final:
                continue
            begin, end = self.to_monotonic(transcript.start), self.to_monotonic(transcript.end)
            # As far back as the echo filter looks for the coach's voice.
            blanked = tuple(b for b in self._blanked if b[0] < end and b[1] + ECHO_TAIL > begin)
            self.utterances.put(
                Utterance(
                    text=transcript.text,
                    confidence=transcript.confidence,
                    start=begin,
                    end=end,
                    decoded_at=time.monotonic(),
                    blanked=blanked,
                    echo_cancelled=self._locked_at is not None
                    and begin - self._locked_at >= CANCELLER_WARM_UP
                    and not self._leaking(),
                )
            )

    def _silence_gated(self, pcm: bytes, start: float) -> bytes:
        """Blank the gated stretches, so they neither join nor mask the user's words."""
        assert self._gate is not None
        count = len(pcm) // BYTES_PER_SAMPLE
        end = start + count / SAMPLE_RATE
        stretches = self._gate(start - GATE_TAIL, end)
        if not stretches:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2").copy()
        for begin, finish in stretches:
            lo = max(0, round((begin - start) * SAMPLE_RATE))
            hi = min(count, round((finish + GATE_TAIL - start) * SAMPLE_RATE))
            samples[lo:hi] = 0
            if (begin, finish) not in self._blanked:
                self._blanked.append((begin, finish))
        return samples.tobytes()

    def _cancel_echo(self, pcm: bytes, start: float) -> bytes:
        assert self._canceller is not None and self._suppressor is not None
        assert self._echo_reference is not None
        mic = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
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
        reference = self._echo_reference(at + REFERENCE_LEAD + self._delay.offset(at), len(mic))
        # Both stages work in whole 10 ms blocks: sample k out is sample k in, only later (by
        # at most 30 ms), so the anchors (input sample -> time) stay right within that.
        clean = self._canceller.process(mic, reference)
        self._measure_cancelling(mic, reference, clean)
        clean = self._suppressor.process(clean, self._canceller.estimate)
        return np.clip(np.round(clean * 32768.0), -32768, 32767).astype("<i2").tobytes()

    def _measure_cancelling(self, mic: np.ndarray, reference: np.ndarray, clean: np.ndarray):
        if not np.any(reference) or len(clean) == 0:
            return  # the coach is quiet: nothing to judge the canceller by
        keep = ECHO_SMOOTHING
        self._power_in = keep * self._power_in + (1 - keep) * float(np.mean(mic**2))
        self._power_out = keep * self._power_out + (1 - keep) * float(np.mean(clean**2))

    def _leaking(self) -> bool:
        # The coach's voice comes through the canceller (or the user talks over it): either
        # way, what the recognizer heard may be the coach's own vowels.
        return self._power_out > ECHO_LEFT * self._power_in > 0

    def _echo_may_have_moved(self) -> bool:
        return self._delay.unconfirmed or (self._delay.locked and self._leaking())

    def _add_comfort_noise(self, pcm: bytes) -> bytes:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        samples += self._noise.normal(0.0, COMFORT_NOISE, len(samples))
        return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()

    def _realign(self) -> None:
        """Measure where the coach's voice really sits in the microphone signal."""
        assert self._echo_reference is not None
        first = self._recent[0][0]
        mic = np.concatenate([m for _, m in self._recent])
        span = len(mic) / SAMPLE_RATE
        reference = self._echo_reference(
            first - ALIGN_SEARCH, int((span + 2 * ALIGN_SEARCH) * SAMPLE_RATE)
        )
        lag, strength = estimate_delay(mic, np.asarray(reference, dtype=np.float64))
        steps = len(self._delay.steps)
        self._delay.add(first + span / 2, lag / SAMPLE_RATE - ALIGN_SEARCH, strength)
        if len(self._delay.steps) > steps and self._canceller is not None:
            # The reference now lines up with the echo as it did before the path moved.
            self._canceller.restore()
        if self._locked_at is None and self._delay.locked:
            self._locked_at = first + span

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.microphone.read(READ_TIMEOUT)
            except Exception as error:
                self._report(error)
                self._stop.wait(READ_TIMEOUT)
                continue
            if chunk is not None:
                self.feed(chunk.pcm, chunk.start)

    def _report(self, error: Exception) -> None:
        # A lasting fault (a dead recognizer) fails every chunk, 50 times a second: say it once.
        if self._on_error is not None and str(error) != self._last_error:
            self._on_error(error)
        self._last_error = str(error)
