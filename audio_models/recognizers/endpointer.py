"""An energy endpointer with an adaptive noise floor: cuts a stream of PCM into utterances.

Whisper has no streaming front end of its own, so something must say where an utterance starts
and ends. This one needs nothing but numpy:

- Each 10 ms frame's energy (after a first-difference pre-emphasis, which takes the hum and most
  of a pink noise's low end out) is compared with a noise floor that follows the quietest recent
  frames: it drops at once to a quieter frame and climbs slowly (``FLOOR_RISE`` dB a second)
  otherwise, so a fan or a radio that starts becomes the floor within seconds while speech,
  which pauses between words, does not.
- A frame ``ON_DB`` over the floor starts an utterance; the utterance goes on while frames stay
  ``OFF_DB`` over it (hysteresis), and ends after ``window`` seconds without such a frame. Its
  audio starts ``PRE_ROLL`` before the first loud frame (soft onsets, "h" and "f", sit under the
  threshold) and runs to the end of the quiet window.
- An utterance's audio ends ``TAIL`` after its last loud frame, whatever the window. So the
  utterance that will end if the voice does not come back is known ``TAIL`` after the voice
  stopped (``tentative``), with the very audio it will have, while the window still waits: a
  recognizer can decode it then, and has the result ready when the window closes.
- Fewer than ``MIN_SPEECH`` seconds of loud frames is a click or a breath, not an utterance.
- Sound that never pauses is cut every ``max_utterance`` seconds, so memory stays bounded.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from audio_models.recognizers.protocol import SAMPLE_RATE

FRAME = 160  # samples: 10 ms
FRAME_SECONDS = FRAME / SAMPLE_RATE
ON_DB = 12.0  # over the floor: the frame is speech and may start an utterance
OFF_DB = 7.0  # over the floor: the frame still counts as speech inside an utterance
MIN_LEVEL_DB = 30.0  # absolute floor (of int16 units squared): about -60 dBFS, a quiet room
FLOOR_RISE = 3.0  # dB per second the noise floor may climb while the sound stays loud
FLOOR_FALL = 0.3  # share of the way to a quieter frame the floor moves at once
INITIAL_FLOOR_DB = 40.0  # before anything is heard: a quiet room, so the first word counts
# For this long after a reset the floor is the quietest frame so far, rising as well as falling,
# so that a stream starting in a noisy room is not one long utterance until the floor has crept
# up to the noise. Off (0): in pink noise at 10 dB SNR the thresholds above then hear too little
# of the speech (synthetic quick set: 30% of commands, against 51% as one long utterance).
SETTLE = 0.0  # seconds
PRE_ROLL = 0.2  # seconds of audio kept before the first loud frame
TAIL = 0.1  # seconds of audio kept after the last loud frame (a soft ending: "ch", "s", "p")
MIN_SPEECH = 0.06  # seconds of loud frames an utterance needs


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech: its samples and where it sits in the stream (seconds)."""

    pcm: bytes  # s16le, from ``start`` to ``TAIL`` after ``end``
    start: float
    end: float  # the end of the last loud frame
    cut: bool = False  # ended by the length limit, not by a pause


class EnergyEndpointer:
    """Feed s16le PCM of any size; get the utterances that ended in it."""

    def __init__(self, window: float = 0.25, max_utterance: float = 5.0) -> None:
        self.window_frames = max(1, round(window / FRAME_SECONDS))
        self.tail_frames = min(self.window_frames, round(TAIL / FRAME_SECONDS))
        self.max_frames = round(max_utterance / FRAME_SECONDS)
        self.reset()

    def reset(self) -> None:
        """A new stream: clock at zero, no utterance in progress, the floor forgotten."""
        self._buffer = b""
        self._frames = 0  # frames seen since the reset
        self._floor = INITIAL_FLOOR_DB
        self._last_sample = 0.0
        self._recent: deque[bytes] = deque(maxlen=round(PRE_ROLL / FRAME_SECONDS))
        self._utterance: list[bytes] | None = None
        self._start = 0  # frame index where the utterance's audio starts
        self._last_loud = 0  # frame index after the utterance's last loud frame
        self._loud = 0  # loud frames in the utterance

    @property
    def in_speech(self) -> bool:
        """An utterance is in progress."""
        return self._utterance is not None

    def tentative(self) -> Utterance | None:
        """The utterance that ends if the voice does not come back, just when that is known.

        Returned once, ``TAIL`` after the last loud frame (None before and after): the same
        audio, start and end as the utterance ``accept`` will return when the window closes.
        """
        if self._utterance is None or self._frames - self._last_loud != self.tail_frames:
            return None
        return self._utterance_of(self._utterance, self._last_loud)

    def accept(self, pcm: bytes) -> list[Utterance]:
        """Feed audio; return the utterances that ended within it."""
        self._buffer += pcm
        out: list[Utterance] = []
        size = 2 * FRAME
        whole = len(self._buffer) // size * size
        for offset in range(0, whole, size):
            ended = self._step(self._buffer[offset : offset + size])
            if ended is not None:
                out.append(ended)
        self._buffer = self._buffer[whole:]
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: the utterance in progress, if any, ends here."""
        if self._buffer:
            self.accept(b"\0" * (2 * FRAME - len(self._buffer)))
        ended = self._finish(cut=False) if self._utterance is not None else None
        return [ended] if ended is not None else []

    def _step(self, frame: bytes) -> Utterance | None:
        level = self._level(frame)
        index = self._frames
        self._frames += 1
        above = level - max(self._floor, MIN_LEVEL_DB - OFF_DB)
        self._track_floor(level)
        if self._utterance is None:
            if above >= ON_DB and level >= MIN_LEVEL_DB:
                self._utterance = [*self._recent, frame]
                self._start = index - len(self._recent)
                self._last_loud, self._loud = index + 1, 1
            self._recent.append(frame)
            return None
        self._utterance.append(frame)
        if above >= OFF_DB and level >= MIN_LEVEL_DB:
            self._last_loud = index + 1
            self._loud += 1
        if self._frames - self._last_loud >= self.window_frames:
            return self._finish(cut=False)
        if self._frames - self._start >= self.max_frames:
            return self._finish(cut=True)
        return None

    def _finish(self, cut: bool) -> Utterance | None:
        frames, self._utterance = self._utterance or [], None
        self._recent.clear()
        if cut:
            return self._utterance_of(frames, self._frames, cut=True)
        return self._utterance_of(frames, self._last_loud)

    def _utterance_of(self, frames: list[bytes], end: int, cut: bool = False) -> Utterance | None:
        if self._loud * FRAME_SECONDS < MIN_SPEECH:
            return None
        kept = frames if cut else frames[: end + self.tail_frames - self._start]
        return Utterance(b"".join(kept), self._start * FRAME_SECONDS, end * FRAME_SECONDS, cut=cut)

    def _level(self, frame: bytes) -> float:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        emphasised = np.diff(samples, prepend=self._last_sample)
        self._last_sample = samples[-1]
        return float(10.0 * np.log10(np.mean(emphasised**2) + 1.0))

    def _track_floor(self, level: float) -> None:
        if SETTLE and self._frames <= round(SETTLE / FRAME_SECONDS):
            self._floor = level if self._frames == 1 else min(self._floor, level)
        elif level < self._floor:
            self._floor += FLOOR_FALL * (level - self._floor)
        else:
            self._floor = min(level, self._floor + FLOOR_RISE * FRAME_SECONDS)
