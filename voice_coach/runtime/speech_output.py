"""The coach's voice: turns the dialogue manager's actions into scheduled speech and printed lines.

Lines queue one after another; countdown numbers do not queue. A ``StartCountdown`` schedules every
number of its ``Countdown`` on its absolute deadline (on the monotonic clock) the moment it comes,
so the onset of "One." lands one second before the hold ends whatever the main loop is doing, and a
pause, pain or re-timing cancels exactly those numbers. Every line is also printed, so a session
without a working speech engine or speaker still goes on, in writing (the countdown's numbers are
printed by the session loop, each when it is due).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from audio_models.errors import AudioModelsError
from audio_models.types import Clip, Playback
from voice_coach.core.events import (
    COUNTDOWN_FROM,
    Action,
    CancelCountdown,
    Countdown,
    LineKind,
    Say,
    SessionFinished,
    StartCountdown,
)
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.runtime.clock import Clock
from voice_coach.runtime.text_session import format_time

if TYPE_CHECKING:  # the synthesizer module loads espeak-ng; text mode must not need it
    from audio_models.tts import Synthesizer


class Output(Protocol):
    """The speaker as used here (``audio_models.devices.speaker.Speaker`` and its fake)."""

    def play(self, clip: Clip, at: float | None = None) -> Playback: ...

    def cancel(self, playbacks: list[Playback] | None = None) -> None: ...

    def played_since(self, since: float) -> list[Playback]: ...

    def samples(self, start: float, count: int) -> np.ndarray: ...

    def busy_until(self) -> float: ...


class SpeechOutput:
    """Speaks and prints the coach's lines; owns the countdown schedule.

    It is also the session's ``PlaybackLog``: what the speaker played, for the listener's echo
    canceller and countdown gate and for the echo filter.
    """

    def __init__(
        self,
        clock: Clock,
        print_line: Callable[[str], None],
        note: Callable[[str], None],
        synthesizer: Synthesizer | None = None,
        speaker: Output | None = None,
    ) -> None:
        self.clock = clock
        self.synthesizer = synthesizer
        self.speaker = speaker
        # The echo canceller's reference stays on even if playing fails and ``speaker`` is dropped.
        self._recording = speaker
        self._print = print_line
        self._note = note
        self._lines: list[Playback] = []  # queued or playing lines, for barge-in
        self._counts: list[Playback] = []  # the running countdown's scheduled numbers
        self._forecast: Callable[[], list[str]] | None = None

    @property
    def speaking(self) -> bool:
        """Whether audio output is working (a synthesizer and a speaker)."""
        return self.synthesizer is not None and self.speaker is not None

    def prepare(self, forecast: Callable[[], list[str]] | None = None) -> None:
        """Render ahead, so a line never waits for the synthesizer: with a voice that renders
        ahead, the lines ``forecast()`` gives (on its background thread, from the first line's
        first sentence on); with any other, the countdown numbers, now."""
        if getattr(self.synthesizer, "render_ahead", None) is not None and forecast is not None:
            # Started once the first line's first piece plays: the worker runs at low priority,
            # and the welcome waiting on a sentence it had begun came a second late.
            self._forecast = forecast
            return
        for word in NUMBER_WORDS[1 : COUNTDOWN_FROM + 1]:
            self._render(word)

    def perform(self, actions: list[Action]) -> list[Playback]:
        """Carry out the coach's actions; return the playbacks they started (for latency)."""
        started: list[Playback] = []
        for action in actions:
            if isinstance(action, Say):
                self._print(f"{format_time(action.at)} coach: {action.text}")
                playback = self._say(action)
                if playback is not None:
                    started.append(playback)
            elif isinstance(action, StartCountdown):
                self._schedule_countdown(action.countdown)
            elif isinstance(action, CancelCountdown | SessionFinished):
                self._cancel_countdown()
        return started

    def barge_in(self) -> None:
        """The user spoke a command: cut the line being said and the ones queued behind it."""
        now = self.clock.monotonic()
        live = [p for p in self._lines if p.end > now]
        if live and self.speaker is not None:
            self.speaker.cancel(live)
        self._lines = []

    def played_since(self, since: float) -> list[Playback]:
        """What the speaker played (or is playing, or will play) that ends after ``since``."""
        if self.speaker is None:
            return []
        return self.speaker.played_since(since)

    def samples(self, start: float, count: int) -> np.ndarray:
        """What the speaker sent out from monotonic ``start`` on, 16 kHz (the echo reference)."""
        if self._recording is None:
            return np.zeros(count, dtype=np.float32)
        return self._recording.samples(start, count)

    def busy_until(self) -> float:
        """Monotonic time the last scheduled audio ends."""
        return self.speaker.busy_until() if self.speaker is not None else 0.0

    def talking_until(self) -> float | None:
        """Session time the queued lines (not countdown numbers) end; None when none are queued."""
        now = self.clock.monotonic()
        ends = [p.end for p in self._lines if p.end > now]
        return self.clock.session_at(max(ends)) if ends else None

    def _say(self, say: Say) -> Playback | None:
        """Queue the line piece by piece (a sentence each with the neural voice): the first
        piece plays while the next renders. Returns the first piece's playback."""
        if say.kind == LineKind.ALERT:
            self.barge_in()
        if self.synthesizer is None:
            return None
        first: Playback | None = None
        pause = 0.0
        for piece in self.synthesizer.split(say.text):
            clip = self._render(piece)
            if clip is None or self.speaker is None:
                break
            now = self.clock.monotonic()
            ends = [p.end for p in self._lines]
            at = max(now, max(ends) + pause) if ends else now
            playback = self._play(clip, at)
            if playback is None:
                break
            self._lines = [p for p in self._lines if p.end > now] + [playback]
            first = first or playback
            self._start_rendering_ahead()
            pause = self.synthesizer.sentence_pause if self.synthesizer is not None else 0.0
        return first

    def _start_rendering_ahead(self) -> None:
        if self._forecast is not None:
            forecast, self._forecast = self._forecast, None
            getattr(self.synthesizer, "render_ahead")(forecast)  # noqa: B009

    def _schedule_countdown(self, countdown: Countdown) -> None:
        # Every number on its own deadline, now: the countdown's only path to the speaker.
        self._cancel_countdown()
        if not self.speaking:
            return
        now = self.clock.monotonic()
        for due, number in countdown.numbers:
            at = self.clock.monotonic_at(due)
            clip = self._render(NUMBER_WORDS[number])
            if at <= now or clip is None:
                continue
            playback = self._play(clip, at)
            if playback is not None:
                self._counts.append(playback)

    def _cancel_countdown(self) -> None:
        now = self.clock.monotonic()
        pending = [p for p in self._counts if p.end > now]
        if pending and self.speaker is not None:
            self.speaker.cancel(pending)
        self._counts = []

    def _render(self, text: str) -> Clip | None:
        if self.synthesizer is None:
            return None
        try:
            return self.synthesizer.render(text)
        except AudioModelsError as error:
            self._note(f"{error} The session goes on with printed lines.")
            self.synthesizer = None
            return None

    def _play(self, clip: Clip, at: float) -> Playback | None:
        assert self.speaker is not None
        try:
            return self.speaker.play(clip, at=at)
        except AudioModelsError as error:
            self._note(f"{error} The session goes on with printed lines.")
            self.speaker = None
            return None
