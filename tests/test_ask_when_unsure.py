"""When an utterance is nearly a command, the coach asks ("Harder?") instead of guessing or
staying silent; a yes, a no or the command itself settles it. Urgent words are never asked about."""

from __future__ import annotations

import io

import pytest

from intents.catalog import CatalogError, load_catalog
from intents.matcher import IntentMatcher
from voice_coach.core.coach import Coach
from voice_coach.core.events import (
    CancelCountdown,
    Heard,
    LineKind,
    Say,
    SessionFinished,
    SessionStarted,
    Tick,
)
from voice_coach.core.lines import default_table
from voice_coach.core.routine import load_routine
from voice_coach.core.state import Question
from voice_coach.core.transitions import QUESTION_WINDOW
from voice_coach.runtime.text_session import TextSession

ROUTINE = load_routine("upper-back")


@pytest.fixture
def holding() -> tuple[Coach, float]:
    """A coach in the first spot's hold, and the time."""
    coach = Coach(ROUTINE, seed=2)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard("start", "start", at=1.0))
    at = 1.0
    while coach.phase != "hold":
        at = coach.next_deadline()
        coach.handle(Tick(at=at))
    return coach, at + 1.0


def said(actions) -> list[str]:
    """The coach's answers (its timed cues go on meanwhile)."""
    return [a.text for a in actions if isinstance(a, Say) and a.kind == LineKind.REPLY]


def unsure(*near: str, at: float) -> Heard:
    return Heard(None, "mumble", at=at, confidence=0.75, near=near)


def answer(word: str, at: float) -> Heard:
    return Heard(None, word, at=at, answer=word)


def test_a_near_miss_is_asked_about_and_yes_does_it(holding):
    coach, at = holding
    level = coach.level
    assert said(coach.handle(unsure("harder", at=at))) == ["Harder?"]
    assert coach.level == level  # nothing done yet
    coach.handle(answer("yes", at + 2))
    assert coach.level == level + 1


def test_no_drops_the_question_and_changes_nothing(holding):
    coach, at = holding
    level = coach.level
    coach.handle(unsure("softer", at=at))
    reply = said(coach.handle(answer("no", at + 2)))
    assert reply and reply[0] in default_table()["question_dropped"]
    assert coach.level == level and coach.phase == "hold"


def test_between_two_commands_it_names_both_and_the_command_itself_settles_it(holding):
    coach, at = holding
    assert said(coach.handle(unsure("softer", "next_spot", at=at))) == ["Softer or next spot?"]
    # A bare "yes" says neither: the question is asked again.
    assert said(coach.handle(answer("yes", at + 1))) == ["Softer or next spot?"]
    spot = coach.spot_index
    coach.handle(Heard("next_spot", "next spot", at=at + 2))
    assert coach.spot_index == spot + 1


def test_a_late_yes_answers_nothing(holding):
    coach, at = holding
    level = coach.level
    coach.handle(unsure("harder", at=at))
    assert said(coach.handle(answer("yes", at + QUESTION_WINDOW + 0.5))) == []
    assert coach.level == level


@pytest.mark.parametrize("near", [("stop",), ("pain",), ("numbness",)])
def test_urgent_commands_are_never_asked_about(holding, near):
    coach, at = holding
    replies = said(coach.handle(unsure(*near, at=at)))
    assert not any(r.endswith("?") and len(r.split()) <= 3 for r in replies), replies


def test_pain_while_a_question_is_open_is_acted_on_at_once(holding):
    coach, at = holding
    coach.handle(unsure("harder", at=at))
    actions = coach.handle(Heard("pain", "ouch", at=at + 0.5))
    assert any(isinstance(a, Say) and a.kind == LineKind.ALERT for a in actions)
    level = coach.level
    coach.handle(answer("yes", at + 1.5))  # the question died with the pain
    assert coach.level == level


def test_only_commands_that_make_sense_now_are_asked_about():
    coach = Coach(ROUTINE, seed=2)
    coach.handle(SessionStarted(at=0.0))
    # Before the start there is no spot to leave: "next spot?" would be a strange question.
    assert not any(r == "Next spot?" for r in said(coach.handle(unsure("next_spot", at=5.0))))


def test_a_yes_with_nothing_asked_is_an_acknowledgement_not_a_miss(holding):
    coach, at = holding
    assert said(coach.handle(answer("yes", at))) == []


def test_matcher_answers_are_whole_utterances_and_near_misses_are_named():
    matcher = IntentMatcher()
    assert matcher.match("Yes.").answer == "yes"
    assert matcher.match("yeah, that one").answer == "yes"
    assert matcher.match("Nope.").answer == "no"
    assert matcher.match("yes harder").intent == "harder"  # a command is not an answer
    assert matcher.match("no ouch").intent == "pain"
    assert matcher.match("nest").near == ("next_spot",)
    assert matcher.match("harder").near == ()  # heard outright: nothing to ask
    assert matcher.match("the weather is nice today").near == ()


def test_answers_stay_out_of_the_recognizers_vocabulary():
    from intents.catalog import default_catalog

    phrases = set(default_catalog().phrases())
    assert not {"yes", "no", "nope", "yeah"} & phrases


def test_a_catalog_with_a_stray_answer_list_is_a_clear_error(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text('[answers]\nmaybe = ["perhaps"]\n[intents.start]\ntemplates = ["start"]\n')
    with pytest.raises(CatalogError, match=r"\[answers\] may only hold the lists yes and no"):
        load_catalog(path)


def test_typed_session_asks_and_takes_the_answer():
    out = io.StringIO()
    session = TextSession(Coach(load_routine("quick"), seed=1), out=out, err=io.StringIO())
    session.run_virtual(["start", "@40 nest", "@41 yes"])
    text = out.getvalue()
    assert "you: nest -> none (nearly next_spot)" in text
    assert "coach: Next spot?" in text
    assert "you: yes -> yes" in text


def test_a_question_is_open_until_answered_or_too_old(holding):
    coach, at = holding
    assert coach.open_question is None
    coach.handle(unsure("harder", at=at))
    assert coach.open_question is Question.YES_NO
    coach.handle(answer("yes", at + 1))
    assert coach.open_question is None
    coach.handle(unsure("harder", at=at + 2))
    coach.handle(Tick(at=at + 2 + QUESTION_WINDOW + 0.5))
    assert coach.open_question is None


def test_yes_and_no_are_not_passed_to_the_recognizer():
    # Measured in benchmarks/answers.py: as a closed set they took real one-word clips ("up",
    # "off") for a yes; Whisper hears real yeses and noes well without being told.
    from intents.catalog import default_catalog
    from voice_coach.runtime.voice_session import answers_to

    catalog = default_catalog()
    assert answers_to(catalog, Question.YES_NO) == ()
    assert answers_to(catalog, None) == ()
    assert answers_to(catalog, Question.BALL) == tuple(catalog.ball_answers.values())


def test_start_with_the_ball_pressing_stops_the_clock_and_asks_whether_it_was_stop(holding):
    # Whisper writes some people's "stop" as "Start." (2 of the 4 held-out real "stop"s it
    # missed): on the ball, where nothing is left to start, the coach stops the clock and asks.
    coach, at = holding
    actions = coach.handle(Heard("start", "Start.", at=at))
    reply = said(actions)
    assert len(reply) == 1 and reply[0] in default_table()["start_while_pressing"]
    assert any(isinstance(a, CancelCountdown) for a in actions)
    assert coach.paused and not coach.finished
    assert coach.open_question is Question.YES_NO
    # Nothing more is due while the user decides: the hold does not end under them.
    coach.handle(Tick(at=at + 30.0))
    assert coach.paused and coach.phase == "hold"


@pytest.mark.parametrize(
    ("word", "meaning"), [("yes", None), ("stop", "stop")], ids=["yes", "the word stop"]
)
def test_yes_or_stop_after_start_on_the_ball_ends_the_session(holding, word, meaning):
    coach, at = holding
    coach.handle(Heard("start", "start", at=at))
    heard = answer(word, at + 2) if meaning is None else Heard(meaning, word, at=at + 2)
    actions = coach.handle(heard)
    assert coach.finished
    assert any(isinstance(a, SessionFinished) for a in actions)


@pytest.mark.parametrize("word", ["no", "resume"])
def test_no_or_resume_after_start_on_the_ball_carries_the_hold_on(holding, word):
    coach, at = holding
    left = coach._hold.ends - at
    coach.handle(Heard("start", "start", at=at))
    heard = answer(word, at + 5) if word == "no" else Heard("resume", word, at=at + 5)
    reply = said(coach.handle(heard))
    assert not coach.paused and not coach.finished and coach.phase == "hold"
    assert reply and reply[0].startswith(("Resuming.", "Back to it."))
    assert coach._hold.ends - (at + 5) == pytest.approx(left)  # the pause did not eat the hold


@pytest.mark.parametrize("words", ["ready", "let's go", "I'm ready"])
def test_a_start_that_sounds_nothing_like_stop_is_told_the_spot_is_on(holding, words):
    coach, at = holding
    reply = said(coach.handle(Heard("start", words, at=at)))
    assert len(reply) == 1 and reply[0] in default_table()["already_running"]
    assert not coach.paused and coach.open_question is None


def test_start_before_the_ball_is_on_says_how_to_pause_or_stop():
    coach = Coach(ROUTINE, seed=2)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard("start", "start", at=1.0))
    assert coach.phase == "placement"
    reply = said(coach.handle(Heard("start", "start", at=2.0)))
    assert len(reply) == 1 and "stop" in reply[0] and "pause" in reply[0]
    assert not coach.paused and coach.open_question is None
