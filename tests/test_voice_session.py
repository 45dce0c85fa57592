"""The real-time voice session driven by fakes on a simulated clock (no sound server needed).

Everything here is the real session loop, coach, speech output, echo filter and device watchdog;
only the speaker, microphone, synthesizer and recognizer are stand-ins, and time is simulated,
so a minute of session runs in milliseconds. The same session on real devices is tested in
tests/test_voice_session_live.py.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from audio_models.testing import FakeSpeaker
from audio_models.types import Clip, Playback
from voice_coach.core.coach import Coach
from voice_coach.core.routine import load_routine
from voice_coach.core.state import ROOM_AFTER_SPEECH
from voice_coach.core.timeline import Timeline
from voice_coach.runtime.clock import MockClock
from voice_coach.runtime.echo_filter import ECHO_TAIL
from voice_coach.runtime.speech_output import SpeechOutput
from voice_coach.runtime.testing import ScriptedUser, Step
from voice_coach.runtime.text_session import format_time
from voice_coach.runtime.voice_session import VoiceSession
from voice_coach.runtime.watchdog import DeviceWatchdog


class SecondsPerLetter:
    """A synthesizer whose clips last a fixed time per letter (silence; only timing matters)."""

    RATE = 1000
    sentence_pause = 0.0

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds

    def split(self, text: str) -> list[str]:
        return [text]

    def render(self, text: str) -> Clip:
        return Clip(text, np.zeros(int(len(text) * self.seconds * self.RATE)), self.RATE)


class Device:
    """A device stream for the watchdog: it calls back until unplugged."""

    def __init__(self, clock: MockClock) -> None:
        self.clock = clock
        self.plugged = True
        self._last = clock.monotonic()

    @property
    def last_callback_at(self) -> float:
        if self.plugged:
            self._last = self.clock.monotonic()
        return self._last

    def reopen(self) -> None:
        if not self.plugged:
            raise OSError("no such device")


class Rig:
    """A voice session on fakes; ``run`` plays it through to the end."""

    def __init__(self, seconds_per_letter: float = 0.05) -> None:
        self.clock = MockClock(start=1000.0)
        self.coach = Coach(load_routine("upper-back"), seed=3)
        self.speaker = FakeSpeaker(self.clock.monotonic)
        self.printed: list[str] = []
        self.notes_at: list[tuple[float, str]] = []
        self.output = SpeechOutput(
            self.clock,
            self.printed.append,
            self.note,
            SecondsPerLetter(seconds_per_letter),
            self.speaker,
        )
        self.microphone = Device(self.clock)
        self.user = ScriptedUser(self.clock, [])
        watchdog = DeviceWatchdog({"microphone": self.microphone}, on_error=lambda n, e: None)
        self.session = VoiceSession(
            self.coach,
            self.output,
            self.user,
            self.printed.append,
            self.note,
            self.clock,
            watchdog=watchdog,
        )

    def run(self) -> None:
        self.session.run()

    def note(self, text: str) -> None:
        self.notes_at.append((self.clock.monotonic(), text))

    def playing(self, *words: str) -> Playback | None:
        """The line being played now, if it contains all the words."""
        now = self.clock.monotonic()
        for p in self.speaker.playbacks:
            if p.start <= now < p.end and all(w in p.text for w in words):
                return p
        return None

    def lines(self, *words: str) -> list[Playback]:
        return [p for p in self.speaker.playbacks if all(w in p.text for w in words)]

    def quiet(self) -> bool:
        """The coach is not talking (and its echo has died away)."""
        now = self.clock.monotonic()
        return not any(p.start <= now < p.end + ECHO_TAIL for p in self.speaker.playbacks)

    def in_hold(self) -> bool:
        return self.coach.phase == "hold"


def test_the_whole_routine_runs_hands_free_on_the_simulated_clock():
    rig = Rig()
    rig.user.steps = [Step(rig.quiet, "start")]
    rig.run()
    assert rig.coach.finished
    assert rig.lines("7 of 7 spots")
    hold_lines = rig.lines("One.")
    assert len(hold_lines) == len(rig.coach.routine.spots)


def test_each_countdown_number_is_printed_on_its_second_as_it_is_spoken():
    rig = Rig()
    rig.user.steps = [Step(rig.quiet, "start")]
    rig.run()
    printed = [line for line in rig.printed if line.split(" coach: ")[-1] in NUMBERS]
    spoken = sorted((p for p in rig.speaker.playbacks if p.text in NUMBERS), key=lambda p: p.start)
    assert len(printed) == len(spoken) == 5 * len(rig.coach.routine.spots)
    for line, playback in zip(printed, spoken, strict=True):
        at = format_time(rig.clock.session_at(playback.start))
        assert line == f"{at} coach: {playback.text}"


def test_the_speakers_underruns_are_counted_in_the_session_log_when_it_closes():
    rig = Rig()
    rig.speaker.underruns = 3  # what the real speaker counts from PortAudio's flags
    rig.session.devices = (rig.microphone, rig.speaker)
    rig.user.steps = [Step(rig.quiet, "start"), Step(lambda: rig.lines("Release"), "stop")]
    rig.run()
    rig.session.close()
    assert rig.session.log.underruns == 3


def test_a_playback_failure_in_the_speaker_is_said_once_and_the_session_goes_on():
    rig = Rig()
    rig.session.devices = (rig.microphone, rig.speaker)
    failed = Step(lambda: rig.lines("Release"), lambda: break_playback(rig.speaker))
    rig.user.steps = [Step(rig.quiet, "start"), failed]
    rig.run()
    said = [text for _, text in rig.notes_at if "could not play" in text]
    assert said == [
        "the speaker could not play part of a line (ValueError: broken samples); the session "
        "goes on and every line is still printed here. Please report this error."
    ]
    assert rig.coach.finished and rig.lines("7 of 7 spots")


def break_playback(speaker: FakeSpeaker) -> None:
    speaker.callback_error = "ValueError: broken samples"  # as the real speaker keeps it


def test_lines_never_overlap_and_numbers_are_one_second_apart():
    rig = Rig()
    rig.user.steps = [Step(rig.quiet, "start")]
    rig.run()
    spoken = sorted(
        (p for p in rig.speaker.playbacks if p.text not in NUMBERS), key=lambda p: p.start
    )
    for before, after in pairwise(spoken):
        assert after.start >= before.end - 1e-9, (before.text, after.text)
    numbers = [p.start for p in rig.speaker.playbacks if p.text in NUMBERS]
    gaps = np.diff(numbers[:5])
    assert gaps == pytest.approx([1.0] * 4)


@pytest.mark.parametrize("seconds_per_letter", [0.03, 0.05, 0.12])
def test_a_hold_starts_only_after_its_instructions_have_been_said(seconds_per_letter):
    rig = Rig(seconds_per_letter=seconds_per_letter)
    rig.user.steps = [Step(rig.quiet, "start"), Step(lambda: rig.lines("Release"), "stop")]
    rig.run()
    hold_line = next(p for p in rig.speaker.playbacks if p.text.startswith(("Stay", "Hold")))
    before = [p for p in rig.speaker.playbacks if p.start < hold_line.start]
    said_until = max(p.end for p in before)
    # The user gets the moment to act on the last instruction before the hold is announced.
    assert hold_line.start >= said_until + ROOM_AFTER_SPEECH - 0.3


def test_its_own_words_heard_back_are_ignored():
    rig = Rig()
    rig.user.steps = [
        # The echo of the welcome's "Stop at once if you feel sharp pain", as the recognizer
        # would hear it.
        Step(lambda: rig.playing("Stop at once"), "stop"),
        Step(rig.quiet, "start"),
        Step(lambda: rig.lines("Release"), "stop"),
    ]
    rig.run()
    assert [why for u, why in rig.session.log.ignored if u.text == "stop"] == [
        "echo of the coach's line"
    ]
    assert rig.lines("Release"), "the echo stopped the session"


def test_stop_over_a_countdown_stops_within_a_second_and_silences_the_numbers():
    rig = Rig()
    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(lambda: rig.playing("Four."), "stop", length=0.4),
    ]
    rig.run()
    said = rig.user.said[-1]
    assert rig.coach.finished
    reply = next(p for p in rig.speaker.playbacks if p.start >= said.end and p.text not in NUMBERS)
    assert reply.start - said.end <= 1.0
    assert not [p for p in rig.lines("One.") if p.start > said.end], "the countdown went on"
    assert not rig.lines("Release")


def test_a_command_cuts_the_line_in_progress():
    rig = Rig()
    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(lambda: rig.playing("Stand with your back"), "stop"),  # over the coach: urgent
    ]
    rig.run()
    cut = rig.lines("Stand with your back")[0]
    full = len(cut.text) * 0.05
    assert cut.end - cut.start < full - 0.5
    assert cut.end <= rig.user.said[-1].decoded_at + 0.01
    assert rig.coach.finished and rig.lines("0 of 7 spots")


def test_a_command_heard_as_the_coach_starts_a_line_cuts_that_line():
    rig = Rig()

    def line_about_to_start() -> bool:
        due = rig.coach.next_deadline()
        # The words (0.5 s) end just before the line starts; their transcript comes just after.
        soon = due is not None and 0.55 < due - rig.clock.now() < 0.85
        return rig.coach.mode == "spot" and rig.quiet() and soon and len(rig.user.said) == 1

    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(line_about_to_start, "harder"),
        Step(lambda: rig.lines("Release"), "stop"),
    ]
    rig.run()
    said = rig.user.said[1]
    started = [p for p in rig.speaker.playbacks if said.end < p.start < said.decoded_at]
    assert started, "the scenario did not happen: no line began while the command was decoded"
    assert started[0].end == pytest.approx(said.decoded_at), "the line was not cut"
    utterance, onset = rig.session.log.replies[1]
    assert utterance.text == "harder" and onset == pytest.approx(said.decoded_at)


def test_harder_in_the_quiet_of_a_hold_gets_a_reply_at_once():
    rig = Rig()
    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(lambda: rig.in_hold() and rig.lines("Breathe") and rig.quiet(), "harder"),
        Step(lambda: rig.lines("Release"), "stop"),
    ]
    rig.run()
    said = rig.user.said[1]
    heard = [u.text for u, intent in rig.session.log.heard]
    assert "harder" in heard
    utterance, onset = rig.session.log.replies[1]
    assert utterance.text == "harder"
    assert onset - said.decoded_at < 0.01  # nothing waits between the transcript and the voice


def test_a_lost_microphone_pauses_the_hold_and_it_resumes_where_it_stopped():
    rig = Rig()

    def hold_line() -> Playback | None:
        return next(iter(rig.lines("seconds.")), None)

    def unplug() -> None:
        rig.microphone.plugged = False

    def replug() -> None:
        rig.microphone.plugged = True

    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(lambda: hold_line() and rig.clock.monotonic() >= hold_line().start + 8.0, unplug),
        Step(lambda: rig.lines("microphone stopped working"), lambda: None),
        Step(
            lambda: rig.clock.monotonic() >= rig.lines("microphone stopped")[0].start + 10, replug
        ),
        Step(lambda: rig.lines("Release"), "stop"),
    ]
    rig.run()
    lost_at = next(at for at, note in rig.notes_at if "microphone stopped responding" in note)
    back_at = next(at for at, note in rig.notes_at if "microphone is back" in note)
    hold = hold_line()
    unplugged_at = hold.start + 8.0
    alert = rig.lines("microphone stopped working")[0]
    assert lost_at - unplugged_at <= 2.0 and alert.start - unplugged_at <= 2.0
    # The hold lost no time and gained none: "One." lands at its end plus the outage.
    routine = rig.coach.routine
    announced = routine.hold_for(routine.spots[0], routine.start_pressure)
    one = rig.lines("One.")[0]
    held = (one.start + 1.0 - hold.start) - (back_at - lost_at)
    assert held == pytest.approx(announced, abs=0.3)


NUMBERS = {"Five.", "Four.", "Three.", "Two.", "One."}


def test_a_deadline_a_rounding_error_past_the_clock_is_due():
    # A halfway mark at 86.61400000000006 once hung a virtual-clock session (1000 s + 86.614
    # cannot be stepped by 6e-14): the timeline must treat it as due.
    timeline = Timeline()
    timeline.add(86.61400000000006, "halfway")
    assert timeline.pop_due(86.614) is not None


def test_a_stop_written_start_in_the_quiet_of_a_hold_pauses_it_and_yes_ends_the_session():
    # The transcript's words reach the coach: "Start." on the ball is asked about as a "stop".
    rig = Rig()
    rig.user.steps = [
        Step(rig.quiet, "start"),
        Step(lambda: rig.in_hold() and rig.lines("Breathe") and rig.quiet(), "Start."),
        Step(lambda: rig.lines("stop?") and rig.quiet(), "yes"),
    ]
    rig.run()
    asked = rig.lines("stop?")
    assert len(asked) == 1 and rig.coach.finished
    # Nothing of the hold was said after the question: its countdown was cancelled.
    assert not [p for p in rig.lines("One.") if p.start > asked[0].start]
    assert rig.lines("end of the session")
