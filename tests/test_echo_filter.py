"""The echo filter: the coach's own words heard back are never obeyed; the user still is."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from voice_coach.runtime.echo_filter import ECHO_TAIL, judge


@dataclass(frozen=True)
class Line:
    text: str
    start: float
    end: float


SAY_HARDER = Line("If you want more pressure, say harder.", 10.0, 12.5)
FIVE = Line("Five.", 20.0, 20.4)


def test_silence_from_the_coach_means_the_user_spoke():
    verdict = judge("harder", "harder", 13.5, 14.0, [SAY_HARDER])
    assert verdict.accept


def test_the_coachs_own_command_word_is_echo():
    assert not judge("harder", "harder", 12.0, 12.4, [SAY_HARDER]).accept


def test_the_tail_after_the_coach_still_counts_as_echo():
    end = SAY_HARDER.end + ECHO_TAIL - 0.1
    assert not judge("say harder", "harder", end - 0.3, end, [SAY_HARDER]).accept


@pytest.mark.parametrize(
    ("text", "intent"), [("stop", "stop"), ("ouch", "pain"), ("that hurts", "pain")]
)
def test_stop_and_pain_over_a_countdown_are_obeyed(text, intent):
    assert judge(text, intent, 20.1, 20.5, [FIVE]).accept


def test_stop_inside_the_coachs_line_is_not_obeyed():
    line = Line("Stop at once if you feel sharp pain.", 0.0, 3.0)
    assert not judge("stop", "stop", 0.2, 0.6, [line]).accept
    assert not judge("sharp pain", "pain", 2.0, 2.6, [line]).accept


def test_other_commands_over_the_coach_are_not_trusted():
    # A recognizer can force the coach's words onto some command; only urgent ones may pass.
    assert not judge("next spot", "next_spot", 20.0, 20.4, [FIVE]).accept


def test_unrecognised_speech_over_the_coach_is_dropped_silently():
    assert not judge("", None, 20.0, 20.4, [FIVE]).accept


BREATHE = Line("Breathe in, and as you breathe out let your weight sink in.", 0, 4)
STOP_ON = Line("Stop on the tightest point; it often sends a dull ache toward the shoulder.", 0, 5)


def test_a_word_the_coach_said_seconds_earlier_does_not_explain_the_users():
    # "Stop" opens the line; the user's "stop now" comes three seconds into it.
    assert judge("stop now", "stop", 3.0, 3.6, [STOP_ON]).accept


def test_the_same_word_heard_while_the_coach_says_it_is_echo():
    assert not judge("stop now", "stop", 0.0, 0.6, [STOP_ON]).accept


@pytest.mark.parametrize("text", ["ah ouch", "stop now", "that hurts", "it's ah ouch"])
def test_short_urgent_phrases_over_the_coach_are_obeyed(text):
    intent = "stop" if "stop" in text else "pain"
    assert judge(text, intent, 1.2, 1.8, [BREATHE]).accept


@pytest.mark.parametrize("text", ["stop the routine", "end the workout"])
def test_longer_commands_over_the_coach_are_not(text):
    assert not judge(text, "stop", 1.2, 1.8, [BREATHE]).accept


@pytest.mark.parametrize("text", ["ah", "ah ah", "ow", "now"])
def test_a_bare_sound_over_the_coach_is_not_pain(text):
    assert not judge(text, "pain", 1.2, 1.8, [BREATHE]).accept


def test_a_bare_ow_over_the_coach_is_pain_once_the_coachs_voice_is_cancelled():
    assert judge("ow", "pain", 1.2, 1.8, [BREATHE], echo_cancelled=True).accept
    assert not judge("ah", "pain", 1.2, 1.8, [BREATHE], echo_cancelled=True).accept


SPINE = Line("Lean back so the ball sits between the spine and the shoulder blade.", 0, 4)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("the ball sits between the spine ah ouch", "pain"),
        ("so the ball stop sits between the spine", "stop"),
        ("lean back so that hurts the ball", "pain"),
    ],
)
def test_an_urgent_word_inside_the_coachs_echo_is_acted_on(text, intent):
    # The canceller lost the path and the whole sentence came through, with the user's word.
    verdict = judge(text, None, 0.5, 3.8, [SPINE])
    assert verdict.accept and verdict.intent == intent, verdict


def test_an_urgent_word_the_coach_said_inside_its_echo_is_not():
    assert not judge("stop on the tightest point it often", "stop", 0.0, 2.5, [STOP_ON]).accept


@pytest.mark.parametrize("text", ["spot three the right rhomboids stop", "the much ouch slower"])
def test_a_word_that_sounds_like_the_coachs_is_not_urgent(text):
    line = Line("Spot three: the right rhomboids. Not too much, go slower.", 0, 4)
    assert not judge(text, None, 0.5, 3.5, [line]).accept


def test_other_words_left_over_in_the_echo_keep_it_echo():
    # Left over after the coach's words: "routine" is no urgent word, so nothing is trusted.
    assert not judge("the ball sits stop the routine", "stop", 0.5, 3.8, [SPINE]).accept


@pytest.mark.parametrize(
    "text", ["numb", "tingling", "it's numb", "pins and needles", "arm is tingling"]
)
def test_numbness_over_the_coach_is_obeyed_like_pain(text):
    from intents.matcher import IntentMatcher

    intent = IntentMatcher().match(text).intent
    assert intent == "numbness"
    assert judge(text, intent, 20.1, 20.5, [FIVE]).accept
    assert judge(text, intent, 1.2, 1.8, [BREATHE]).accept


def test_numbness_inside_the_coachs_echo_is_acted_on_and_the_coach_saying_it_is_not():
    verdict = judge("the ball sits between the spine numb", None, 0.5, 3.8, [SPINE])
    assert verdict.accept and verdict.intent == "numbness", verdict
    safety = Line("Stop at once if you feel sharp pain, numbness or tingling.", 0.0, 3.5)
    assert not judge("numbness or tingling", "numbness", 2.2, 3.4, [safety]).accept


def test_numbness_phrases_are_urgent_for_the_recognizers():
    from intents.catalog import default_catalog
    from voice_coach.runtime.engines import urgent_phrases

    urgent = urgent_phrases(default_catalog())
    assert {"my arm is numb", "pins and needles", "ouch", "stop"} <= set(urgent)
