"""Pain words said over the coach's sentences, in a live session on the real audio stack.

The session cancels its own voice from the microphone (the speaker's output is the reference),
so "ouch" said in the middle of one of its sentences reaches the recognizer and is acted on. On
the null sink this works five or six times in eight (benchmarks/barge_in.py measures it), so the
user tries over up to OUCH_TRIES sentences, as a real user would repeat themselves, and the test
asks for one prompt reaction.
"""

from __future__ import annotations

import threading
import time

import pytest

from audio_models.devices.speaker import Speaker
from audio_models.types import Playback
from tests.test_voice_session_live import QuietWatch, live_session, user_clip, wait_for

ROUTINE = """
name = "barge-in-test"
title = "Barge-in test"
summary = "One spot with long instructions."
based_on = "upper-back"
spots = ["rhomboid-right"]
stretches = ["arm-circles"]
hold_seconds = 30
stretch_every = 0
"""
TRIES = 3
# At 5 in 8 per sentence, five sentences leave under 1% of runs without a reaction (three: 5%).
OUCH_TRIES = 5
INTO_THE_LINE = 1.0  # seconds into a coach sentence at which the user says the word
LONG_ENOUGH = 2.5  # seconds of the sentence left at that point


def started(session) -> bool:
    return any(intent == "start" for _, intent in session.log.heard)


def next_long_line(session, timeout: float) -> Playback | None:
    """The coach's sentence that is INTO_THE_LINE seconds old with LONG_ENOUGH still to go."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        now = time.monotonic()
        for p in session.output.played_since(now - 10):
            if 0 <= now - (p.start + INTO_THE_LINE) < 0.05 and p.end - now >= LONG_ENOUGH:
                return p
        time.sleep(0.01)
    return None


@pytest.fixture(scope="module")
def tries(tmp_path_factory):
    notes: list[str] = []
    # PocketSphinx: over the coach's sentences it catches 7 or 8 words in 8. Whisper, the
    # default, catches 3 to 6 in 8 there (benchmarks/barge_in.py), too few for a test of five
    # tries to pass every time; its stop over the countdown is tested in test_voice_session_live.
    _, session = live_session(
        tmp_path_factory, ROUTINE, 2, notes.append, notes.append, "pocketsphinx"
    )
    user = Speaker()
    runner = threading.Thread(target=session.run, daemon=True)
    said: list[tuple[Playback, Playback]] = []  # (the coach's sentence, the user's word)
    try:
        runner.start()
        assert wait_for(lambda: session.output.talking_until() is not None, 10)
        assert wait_for(QuietWatch(session).long_enough, 30)
        for _ in range(TRIES):  # in a quiet moment, as often as a user would have to
            user.play(user_clip("start"))
            if wait_for(lambda: started(session), 4):
                break
            assert wait_for(QuietWatch(session).long_enough, 30)
        assert started(session), ("start never heard", session.log.heard, session.log.ignored)
        for _ in range(OUCH_TRIES):
            line = next_long_line(session, timeout=60)
            assert line is not None, ("no long sentence", session.log.heard, session.log.ignored)
            said.append((line, user.play(user_clip("ouch"))))
            time.sleep(line.end - time.monotonic() + 1.5)
            if any(intent == "pain" for _, intent in session.log.heard):
                break  # after pain the coach waits for an answer; one reaction is the point
    finally:
        session.stop()
        runner.join(timeout=30)
        session.close()
        user.close()
    return session, said


def test_ouch_over_the_coachs_sentence_is_acted_on_within_a_second(tries):
    session, said = tries
    pain = [u for u, intent in session.log.heard if intent == "pain"]
    prompt = [
        word
        for _, word in said
        if any(word.start - 0.3 <= u.start and u.decoded_at - word.end < 1.0 for u in pain)
    ]
    ignored = [(u.text, why) for u, why in session.log.ignored]
    assert prompt, f"no ouch of {len(said)} acted on; heard {pain}, ignored {ignored}"


def test_nothing_else_was_obeyed_over_the_coach(tries):
    session, _ = tries
    intents = [intent for _, intent in session.log.heard if intent is not None]
    assert set(intents) <= {"start", "pain"}, (intents, session.log.ignored)
    assert intents[0] == "start"
