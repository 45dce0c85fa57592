"""The hands-free session: microphone -> recognizer -> intent -> coach -> speech, on real time.

The main loop only waits on the listener's queue until the coach's next deadline, then ticks the
coach; speech and countdown numbers are already scheduled on the speaker by then, so a slow decode
or a late wake-up never shifts what the user hears.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from intents.catalog import Catalog
from intents.matcher import IntentMatcher
from voice_coach.core.coach import Coach
from voice_coach.core.countdown import CountdownLines
from voice_coach.core.events import (
    Action,
    DeviceBack,
    DeviceLost,
    Heard,
    Interrupted,
    SessionStarted,
    SpeechQueued,
    Tick,
)
from voice_coach.core.state import Question
from voice_coach.runtime.clock import Clock
from voice_coach.runtime.echo_filter import judge, unblanked
from voice_coach.runtime.listener import Utterance
from voice_coach.runtime.speech_output import SpeechOutput
from voice_coach.runtime.text_session import format_time, heard_as
from voice_coach.runtime.watchdog import DeviceWatchdog

if TYPE_CHECKING:
    from voice_coach.runtime.observers import ActionObserver

POLL = 0.25  # the loop wakes at least this often, for the watchdog
FINAL_WORDS_WAIT = 30.0  # after the summary, wait at most this long for it to be spoken


def answers_to(catalog: Catalog, question: Question | None) -> tuple[tuple[str, ...], ...]:
    """What the recognizer is told to expect while ``question`` is open: the catalog's answers
    to it, one group per meaning; () for none.

    Only "which ball?" gets its answers. Yes and no are not passed on: Whisper hears real ones
    with no question known (91% of the real TUNE half, benchmarks/answers.py), and as a closed
    set of short words they took 8% of other real one-word clips for an answer ("up" as "yup",
    "off" as "yes").
    """
    if question is Question.BALL:
        return tuple(catalog.ball_answers.values())
    return ()


class Closeable(Protocol):
    def close(self) -> None: ...


class UtteranceSource(Protocol):
    """The recognition side (``runtime.listener.Listener``): transcripts as they come."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def next(self, timeout: float) -> Utterance | None: ...

    def expect(self, answers: Sequence[Sequence[str]]) -> None: ...


@dataclass
class SessionLog:
    """Figures a benchmark or a test reads after a session."""

    ignored: list[tuple[Utterance, str]] = field(default_factory=list)  # and why
    heard: list[tuple[Utterance, str | None]] = field(default_factory=list)  # acted on, intent
    replies: list[tuple[Utterance, float]] = field(default_factory=list)  # reply onset, monotonic
    # Times the speaker's buffer ran dry (ALSA's "underrun occurred", kept off the terminal):
    # each one moves the echo path under the canceller. Counted when the session closes.
    underruns: int = 0


class VoiceSession:
    """Runs one coach session by voice until it finishes or ``stop()`` is called."""

    def __init__(
        self,
        coach: Coach,
        output: SpeechOutput,
        listener: UtteranceSource | None,
        print_line: Callable[[str], None],
        note: Callable[[str], None],
        clock: Clock | None = None,
        matcher: IntentMatcher | None = None,
        watchdog: DeviceWatchdog | None = None,
        devices: Sequence[Closeable] = (),
        observer: ActionObserver | None = None,
    ) -> None:
        self.coach = coach
        self.observer = observer  # sees every action: the history recorder, the ball keeper
        self.output = output
        self.listener = listener
        self.clock = clock or output.clock
        self.matcher = matcher or IntentMatcher()
        self.watchdog = watchdog
        self.devices = devices
        self.log = SessionLog()
        self._print = print_line
        self._note = note
        self._stop_requested = False
        # The countdown's numbers, printed when due (the speaker has them scheduled already).
        self._countdown = CountdownLines()
        self._question: Question | None = None  # the open question the listener was told of
        self._failures_said: set[int] = set()  # devices whose playback failure was already said

    def run(self) -> None:
        """Welcome, then listen and coach until the routine ends or the user stops."""
        self._perform(self.coach.handle(SessionStarted(at=self.clock.now())))
        self._follow_question()
        if self.listener is not None:
            self.listener.start()
        while not self.coach.finished:
            self._step()
        self._wait_for_final_words()

    def stop(self) -> None:
        """Ask the running loop to end the session: the coach says its summary."""
        self._stop_requested = True

    def interrupt(self) -> None:
        """End at once after Ctrl-C escaped ``run``: the summary is said."""
        if not self.coach.finished:
            self._perform(self.coach.handle(Interrupted(at=self.clock.now())))
        self._wait_for_final_words()

    def close(self) -> None:
        """Stop listening and release the audio devices."""
        if self.listener is not None:
            self.listener.stop()
        self.log.underruns = sum(getattr(d, "underruns", 0) for d in self.devices)
        for device in self.devices:
            # Closing a device that already vanished must not mask the way the session ended.
            with contextlib.suppress(Exception):
                device.close()

    def _step(self) -> None:
        timeout = POLL
        deadlines = [self.coach.next_deadline(), self._countdown.next_at()]
        if any(d is not None for d in deadlines):
            deadline = min(d for d in deadlines if d is not None)
            timeout = min(POLL, max(0.0, deadline - self.clock.now()))
        utterance = self._next_utterance(timeout)
        for number in self._countdown.pop_due(self.clock.now()):
            self._print(f"{format_time(number.at)} coach: {number.text}")
        self._perform(self.coach.handle(Tick(at=self.clock.now())))
        if utterance is not None:
            self._hear(utterance)
        if self._stop_requested and not self.coach.finished:
            self._perform(self.coach.handle(Interrupted(at=self.clock.now())))
        if self.watchdog is not None:
            for change, device in self.watchdog.check(self.clock.monotonic()):
                self._device_changed(change, device)
        self._say_playback_failures()
        self._follow_question()

    def _follow_question(self) -> None:
        """Tell the listener what answers a question just asked takes, and when it is closed."""
        question = self.coach.open_question
        if question != self._question and self.listener is not None:
            self.listener.expect(answers_to(self.matcher.catalog, question))
        self._question = question

    def _next_utterance(self, timeout: float) -> Utterance | None:
        if self.listener is None:
            self.clock.sleep(timeout)
            return None
        return self.listener.next(timeout)

    def _hear(self, utterance: Utterance) -> None:
        match = self.matcher.match(utterance.text) if utterance.text else None
        intent = match.intent if match else None
        spoken = unblanked(self.output.played_since(utterance.start - 60.0), utterance.blanked)
        verdict = judge(
            utterance.text,
            intent,
            utterance.start,
            utterance.end,
            spoken,
            utterance.echo_cancelled,
        )
        if not verdict.accept:
            self.log.ignored.append((utterance, verdict.reason))
            return
        confidence = match.confidence if match else 0.0
        if verdict.intent != intent:  # an urgent word found inside the coach's echo
            intent, confidence = verdict.intent, 1.0
        now = self.clock.now()
        shown = utterance.text or "(not understood)"
        ball = match.ball if match else None
        if self.coach.takes_as_ball(intent, ball):
            meaning = heard_as(match, as_ball=True)
        else:
            meaning = intent or heard_as(match)
        self._print(f"{format_time(now)} you: {shown} -> {meaning}")
        self.log.heard.append((utterance, intent))
        if intent is not None:
            self.output.barge_in()
        heard = Heard(
            intent=intent,
            text=utterance.text,
            at=now,
            confidence=confidence,
            near=match.near if match and intent is None else (),
            answer=match.answer if match and intent is None else None,
            ball=match.ball if match else None,
        )
        playbacks = self._perform(self.coach.handle(heard))
        if intent is not None and playbacks:
            self.log.replies.append((utterance, playbacks[0].start))

    def _say_playback_failures(self) -> None:
        # The speaker's stream survives an error in its callback (raising would stop it for
        # good), so the error is only kept there: said once, or the user would hear gaps in
        # the coach's lines with no word of why.
        for device in self.devices:
            error = getattr(device, "callback_error", None)
            if error and id(device) not in self._failures_said:
                self._failures_said.add(id(device))
                self._note(
                    f"the speaker could not play part of a line ({error}); the session goes on "
                    "and every line is still printed here. Please report this error."
                )

    def _device_changed(self, change: str, device: str) -> None:
        now = self.clock.now()
        if change == "lost":
            self._note(f"the {device} stopped responding; pausing until it is back.")
            self._perform(self.coach.handle(DeviceLost(device, now)))
        elif change == "back" and not self.watchdog.lost:  # type: ignore[union-attr]
            self._note(f"the {device} is back; carrying on.")
            self._perform(self.coach.handle(DeviceBack(device, now)))

    def _perform(self, actions: list[Action]) -> list:
        if self.observer is not None:
            self.observer.observe(actions)
        self._countdown.follow(actions)
        playbacks = self.output.perform(actions)
        until = self.output.talking_until() if playbacks else None
        if until is not None and not self.coach.finished:
            queued = SpeechQueued(until=until, at=self.clock.now())
            playbacks += self._perform(self.coach.handle(queued))
        return playbacks

    def _wait_for_final_words(self) -> None:
        limit = self.clock.monotonic() + FINAL_WORDS_WAIT
        while (left := min(self.output.busy_until(), limit) - self.clock.monotonic()) > 0:
            self.clock.sleep(min(left, POLL))
