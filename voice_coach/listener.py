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

from audio_models.echo_canceller import EchoCanceller
from audio_models.echo_delay import MIN_STRENGTH, estimate_delay
from audio_models.recognizer import SAMPLE_RATE, Recognizer
from voice_coach.echo_filter import ECHO_TAIL

BYTES_PER_SAMPLE = 2
READ_TIMEOUT = 0.1
ANCHORS_KEPT = 3000  # chunk start times kept for mapping: about a minute of 20 ms chunks
# The reference is taken this much ahead of the microphone's timestamps, so an echo that arrives
# up to this much *earlier* than the clocks say is still inside the canceller's causal window.
REFERENCE_LEAD = 0.01

REANCHOR_AFTER = 0.02  # seconds between a chunk's stamp and the reference timeline
ALIGN_EVERY = 50  # chunks (one second) of microphone audio per alignment measurement
ALIGN_SEARCH = 0.6  # seconds either side of the clocks' estimate to look for the echo
ALIGN_TOLERANCE = 0.002  # smaller corrections are left to the adaptive filter

EchoReference = Callable[[float, int], np.ndarray]
"""(monotonic start, sample count) -> what the speaker played then, 16 kHz float."""

Gate = Callable[[float, float], list[tuple[float, float]]]
"""(monotonic start, end) -> the stretches within it the recognizer must not hear."""

GATE_TAIL = 0.12  # seconds after a gated sound that its echo may still ring in the room


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
        self._canceller = EchoCanceller() if echo_reference is not None else None
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=ALIGN_EVERY)
        self._reference_at: float | None = None  # where the next reference block starts
        self._echo_shift = 0.0  # measured correction to the clocks' alignment, seconds
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
            if self._gate is not None:
                pcm = self._silence_gated(pcm, start)
            if self._canceller is not None:
                pcm = self._cancel_echo(pcm, start)
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
        assert self._canceller is not None and self._echo_reference is not None
        mic = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
        self._recent.append((start, mic))
        if len(self._recent) == self._recent.maxlen:
            self._realign()
        # The reference must run on without seams: follow the sample count, not each chunk's
        # (jittering) stamp, and re-anchor only when they part by more than a jitter.
        if self._reference_at is None or abs(start - self._reference_at) > REANCHOR_AFTER:
            self._reference_at = start
        at, self._reference_at = self._reference_at, self._reference_at + len(mic) / SAMPLE_RATE
        reference = self._echo_reference(at + REFERENCE_LEAD + self._echo_shift, len(mic))
        # The canceller works in whole blocks: sample k out is sample k in, only later, so
        # the anchors (input sample -> time) stay right for what the recognizer sees.
        clean = self._canceller.process(mic, reference)
        return np.clip(np.round(clean * 32768.0), -32768, 32767).astype("<i2").tobytes()

    def _realign(self) -> None:
        """Measure where the coach's voice really sits in the microphone signal."""
        assert self._echo_reference is not None
        first = self._recent[0][0]
        mic = np.concatenate([m for _, m in self._recent])
        self._recent.clear()
        span = len(mic) / SAMPLE_RATE
        reference = self._echo_reference(
            first - ALIGN_SEARCH, int((span + 2 * ALIGN_SEARCH) * SAMPLE_RATE)
        )
        lag, strength = estimate_delay(mic, np.asarray(reference, dtype=np.float64))
        if strength >= MIN_STRENGTH:
            shift = lag / SAMPLE_RATE - ALIGN_SEARCH
            if abs(shift - self._echo_shift) > ALIGN_TOLERANCE:
                self._echo_shift = shift  # the canceller re-learns from the new alignment

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
