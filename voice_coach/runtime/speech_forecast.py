"""What the coach is likely to say, in the order it would need it: for rendering speech ahead.

The dialogue manager is pure and seeded, so a copy of it run on a virtual clock says exactly
what the real one will say while the user only starts and lets the routine run: every cue,
hold, stretch and goodbye, in order. Along that path, copies are asked each command once per
kind of moment (a spot's hold, a stretch, a pause, ...), which gives the replies a user is
likely to hear. Nothing here sleeps, plays or renders; a copy costs about a millisecond.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from voice_coach.core.balls import ball_ids
from voice_coach.core.coach import Coach
from voice_coach.core.events import COUNTDOWN_FROM, Action, Heard, Say, SessionStarted, Tick
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.core.state import Question

MAX_STEPS = 5000  # a routine is a few hundred steps; a loop in a broken routine stops here
ANSWERS = ("yes", "no")


def lines_ahead(coach: Coach, intents: Iterable[str]) -> list[str]:
    """Every line the coach would say on the main path, with replies interleaved where each
    kind of moment first comes; the welcome first (it is due at once), then the countdown
    numbers. Duplicates removed."""
    intents = list(intents)
    run = copy.deepcopy(coach)
    said = _texts(run.handle(SessionStarted(at=0.0)))
    said += NUMBER_WORDS[1 : COUNTDOWN_FROM + 1]
    if run.open_question == Question.BALL:
        for kind in ball_ids():  # every answer's reply; the main path goes on with the first
            said += _texts(copy.deepcopy(run).handle(Heard(None, kind, 0.0, ball=kind)))
        said += _texts(run.handle(Heard(None, ball_ids()[0], 0.0, ball=ball_ids()[0])))
    # A moment's replies go after the next moment's own lines: the routine's next cue is due
    # in seconds, a reply only if the user speaks.
    replies = [text for text in _replies(run, intents) if text not in said]
    said += _texts(run.handle(Heard("start", "start", run.now)))
    probed: set[tuple[object, ...]] = set()
    for _ in range(MAX_STEPS):
        moment = (run.context, run.spot_index, run.hold is not None)
        if moment not in probed:
            probed.add(moment)
            said += replies
            replies = _replies(run, intents)
        due = run.next_deadline()
        if due is None or run.finished:
            break
        said += _texts(run.handle(Tick(at=due)))
    return list(dict.fromkeys(said + replies))


def _replies(coach: Coach, intents: list[str]) -> list[str]:
    replies: list[str] = []
    for intent in intents:
        replies += _texts(copy.deepcopy(coach).handle(Heard(intent, intent, coach.now + 0.5)))
    if coach.open_question == Question.YES_NO:
        for answer in ANSWERS:
            heard = Heard(None, answer, coach.now + 0.5, answer=answer)
            replies += _texts(copy.deepcopy(coach).handle(heard))
    return replies


def _texts(actions: list[Action]) -> list[str]:
    return [action.text for action in actions if isinstance(action, Say)]
