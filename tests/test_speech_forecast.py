"""The forecast of what the coach will say, which the neural voice renders ahead (pure)."""

from __future__ import annotations

import copy

from audio_models.espeak_phonemes import split_sentences
from intents.catalog import default_catalog
from voice_coach.core.coach import Coach
from voice_coach.core.events import Heard, Say, SessionStarted, Tick
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.core.routine import load_routine
from voice_coach.runtime.speech_forecast import lines_ahead


def said_on_main_path(coach: Coach, start_at: float) -> list[str]:
    run = copy.deepcopy(coach)
    said = [a.text for a in run.handle(SessionStarted(at=0.0)) if isinstance(a, Say)]
    said += [a.text for a in run.handle(Heard("start", "start", start_at)) if isinstance(a, Say)]
    while not run.finished and (at := run.next_deadline()) is not None:
        said += [a.text for a in run.handle(Tick(at=at)) if isinstance(a, Say)]
    return said


def test_every_line_of_the_main_path_is_forecast_the_welcome_first():
    coach = Coach(load_routine("upper-back"), seed=5)
    ahead = lines_ahead(coach, default_catalog().names())
    main = said_on_main_path(coach, start_at=20.0)
    # By sentence, as the neural voice renders: only the summary's length of the session
    # depends on when the user said start (it is rendered when said, while the line's first
    # sentence plays).
    sentences = {s for line in ahead for s in split_sentences(line)}
    missing = {s for line in main for s in split_sentences(line)} - sentences
    assert all("minutes" in s for s in missing) and len(missing) <= 1, missing
    assert ahead[0] == main[0] and set(NUMBER_WORDS[1:6]) <= set(ahead)
    assert len(ahead) == len(set(ahead))
    # The first spot's own lines come before the replies to commands said at the welcome.
    first_spot = next(t for t in main if t.startswith("Spot 1"))
    welcome = copy.deepcopy(coach)
    welcome.handle(SessionStarted(at=0.0))
    help_reply = next(
        a.text for a in welcome.handle(Heard("help", "help", 0.5)) if isinstance(a, Say)
    )
    assert ahead.index(first_spot) < ahead.index(help_reply)


def test_replies_to_commands_during_a_hold_are_forecast():
    coach = Coach(load_routine("quick"), seed=2)
    ahead = set(lines_ahead(coach, default_catalog().names()))
    run = copy.deepcopy(coach)
    run.handle(SessionStarted(at=0.0))
    run.handle(Heard("start", "start", 0.0))
    while run.hold is None:
        run.handle(Tick(at=run.next_deadline()))
    for intent in ("harder", "softer", "pause", "stop"):
        said = copy.deepcopy(run).handle(Heard(intent, intent, run.now + 0.5))
        reply = [a.text for a in said if isinstance(a, Say)]
        assert reply and reply[0] in ahead, intent


def test_the_ball_question_forecasts_every_answer():
    coach = Coach(load_routine("upper-back"), seed=1, ask_ball=True)
    ahead = lines_ahead(coach, default_catalog().names())
    assert any("two balls" in line for line in ahead)
    assert any(line.startswith("A soft foam ball") for line in ahead)
