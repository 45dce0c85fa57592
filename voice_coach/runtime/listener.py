"""The recognition thread: microphone chunks in, time-stamped utterances out.

Recognition runs on its own thread so that speaking and counting never wait for a decode. Each
transcript's stream times (seconds of audio fed) are mapped back to the monotonic clock through
the timestamps of the chunks that carried them, so the echo filter can compare them with what the
speaker was playing at that moment.

The countdown's numbers come once a second and leave gaps shorter than the endpointer's window,
so a "stop" said during the countdown would always be fused with a number into one utterance
the recognizer cannot make sense of. The coach knows exactly when each number sounds, so the
listener blanks those moments (the ``blank`` texts, found in the ``playback`` log): the user's
words between numbers reach the recognizer alone. Words said right on top of a number are lost;
the user says them again.

With a ``playback`` log (what the speaker played, by time), the coach's voice is taken out of
the microphone signal before recognition (``audio_models.echo.pipeline``).

The answers to a question the coach has just asked (``expect``) reach the recognizer from this
thread, before the next chunk: the recognizer is only ever used by one thread.
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audio_models.echo.pipeline import EchoPipeline
from audio_models.recognizers.protocol import SAMPLE_RATE, Recognizer
from audio_models.types import PlaybackLog
from voice_coach.runtime.clock import Clock, MonotonicClock
from voice_coach.runtime.echo_filter import ECHO_TAIL

BYTES_PER_SAMPLE = 2
READ_TIMEOUT = 0.1
ANCHORS_KEPT = 3000  # chunk start times kept for mapping: about a minute of 20 ms chunks
GATE_TAIL = 0.12  # seconds after a gated sound that its echo may still ring in the room


class Chunk(Protocol):
    """16 kHz mono s16le audio and the monotonic time of its first sample (read-only)."""

    @property
    def pcm(self) -> bytes: ...

    @property
    def start(self) -> float: ...


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
    """Feeds microphone audio to a recognizer on a background thread; queues utterances.

    ``playback`` is what the speaker played: with it, the coach's echo is cancelled (unless
    ``cancel_echo`` is false) and clips whose text is in ``blank`` are blanked.
    """

    def __init__(
        self,
        microphone: ChunkSource,
        recognizer: Recognizer,
        on_error: Callable[[Exception], None] | None = None,
        playback: PlaybackLog | None = None,
        cancel_echo: bool = True,
        blank: Collection[str] = (),
        clock: Clock | None = None,
    ) -> None:
        self.microphone = microphone
        self.recognizer = recognizer
        self.clock: Clock = clock or MonotonicClock()
        self._gate = _Gate(playback, blank) if playback is not None and blank else None
        self._echo = (
            EchoPipeline(playback.samples, between=self._gate)
            if playback is not None and cancel_echo
            else None
        )
        self.utterances: queue.Queue[Utterance] = queue.Queue()
        self._on_error = on_error
        self._last_error: str | None = None
        self._samples_fed = 0
        # (sample index, monotonic time) at each chunk start: stream time -> wall time.
        self._anchors: deque[tuple[int, float]] = deque(maxlen=ANCHORS_KEPT)
        self._expected: tuple[tuple[str, ...], ...] | None = None  # not yet passed on
        self._expected_lock = threading.Lock()  # set by the session's thread, taken by ours
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

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """The answers to the question just asked, for the recognizer (() when none is open)."""
        with self._expected_lock:
            self._expected = tuple(tuple(group) for group in answers)

    def echo_steps(self) -> list[tuple[float, float]]:
        """(monotonic time, offset in seconds) where the echo was found, and each step after."""
        return self._echo.echo_steps() if self._echo is not None else []

    def to_monotonic(self, stream_seconds: float) -> float:
        """The monotonic time at which the sample at ``stream_seconds`` was captured."""
        sample = int(stream_seconds * SAMPLE_RATE)
        anchors = list(self._anchors)
        if not anchors:
            return self.clock.monotonic()
        index = bisect.bisect_right(anchors, (sample, float("inf"))) - 1
        first, at = anchors[max(index, 0)]
        return at + (sample - first) / SAMPLE_RATE

    def feed(self, pcm: bytes, start: float) -> None:
        """Recognize one chunk (the thread's body; tests may call it directly)."""
        self._anchors.append((self._samples_fed, start))
        self._samples_fed += len(pcm) // BYTES_PER_SAMPLE
        try:
            # The gate runs inside the echo chain when there is one: after the canceller.
            if self._echo is not None:
                pcm = self._echo.process(pcm, start)
            elif self._gate is not None:
                pcm = self._gate.process(pcm, start)
            with self._expected_lock:
                expected, self._expected = self._expected, None
            if expected is not None:
                self.recognizer.expect(expected)
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
            gated = self._gate.blanked if self._gate is not None else ()
            blanked = tuple(b for b in gated if b[0] < end and b[1] + ECHO_TAIL > begin)
            self.utterances.put(
                Utterance(
                    text=transcript.text,
                    confidence=transcript.confidence,
                    start=begin,
                    end=end,
                    decoded_at=self.clock.monotonic(),
                    blanked=blanked,
                    echo_cancelled=self._echo is not None and self._echo.cancelling(begin),
                )
            )

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


class _Gate:
    """Blanks the moments the ``blank`` clips play: they neither join nor mask the user's words."""

    def __init__(self, playback: PlaybackLog, blank: Collection[str]) -> None:
        self._playback = playback
        self._texts = frozenset(blank)
        self.blanked: deque[tuple[float, float]] = deque(maxlen=64)  # (start, end), monotonic

    def process(self, pcm: bytes, start: float) -> bytes:
        count = len(pcm) // BYTES_PER_SAMPLE
        end = start + count / SAMPLE_RATE
        stretches = [
            (p.start, p.end)
            for p in self._playback.played_since(start - GATE_TAIL)
            if p.text in self._texts and p.start < end
        ]
        if not stretches:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2").copy()
        for begin, finish in stretches:
            lo = max(0, round((begin - start) * SAMPLE_RATE))
            hi = min(count, round((finish + GATE_TAIL - start) * SAMPLE_RATE))
            samples[lo:hi] = 0
            if (begin, finish) not in self.blanked:
                self.blanked.append((begin, finish))
        return samples.tobytes()
