"""Pressure cues point the way the user asked: softer never sounds like an instruction to press."""

from __future__ import annotations

import pytest

from tests.test_routine import VALID
from voice_coach.core.coach import Coach
from voice_coach.core.events import Heard, LineKind, Say, SessionStarted
from voice_coach.core.routine import builtin_names, load_routine

# Phrases that can only mean more weight on the ball, or only less.
MORE = ("further from the wall", "further out", "lift your hips", "higher", "more of your weight")
LESS = ("toward the wall", "lower your hips", "less of your weight", "onto your feet", "weight off")


def direction(text: str) -> int:
    """+1 when ``text`` tells the user to press more, -1 when less; 0 when unclear or both."""
    text = text.lower()
    more, less = any(p in text for p in MORE), any(p in text for p in LESS)
    return (more and not less) - (less and not more)


def transitions():
    for name in builtin_names():
        routine = load_routine(name)
        for position in sorted({spot.position for spot in routine.spots}):
            for level in range(len(routine.pressures)):
                for step in (+1, -1):
                    if 0 <= level + step < len(routine.pressures):
                        yield name, position, level, step


def said_on_change(routine_name: str, position: str, level: int, step: int) -> list[str]:
    """The coach's answer to harder (+1) or softer (-1) on the first spot in ``position``,
    starting at pressure ``level``."""
    routine = load_routine(routine_name)
    coach = Coach(routine, seed=1)
    coach.handle(SessionStarted(at=0.0))
    t = 1.0
    for _ in range(level):  # in the welcome, harder sets the level the spots begin at
        coach.handle(Heard(intent="harder", text="harder", at=t))
    coach.handle(Heard(intent="start", text="start", at=t))
    target = next(i for i, spot in enumerate(routine.spots) if spot.position == position)
    while coach.spot_index < target:
        t += 1
        coach.handle(Heard(intent="next_spot", text="next spot", at=t))
    assert coach.level == level and routine.spots[coach.spot_index].position == position
    intent = "harder" if step > 0 else "softer"
    actions = coach.handle(Heard(intent=intent, text=intent, at=t + 1))
    assert coach.level == level + step
    return [a.text for a in actions if isinstance(a, Say) and a.kind == LineKind.REPLY]


@pytest.mark.parametrize(("routine", "position", "level", "step"), list(transitions()))
def test_every_pressure_change_says_a_cue_pointing_the_way_asked(routine, position, level, step):
    said = said_on_change(routine, position, level, step)
    assert len(said) == 1, said
    assert direction(said[0]) == step, said[0]
    # The cue is the routine's own for that change, not the set-up cue of the level arrived at.
    pressure = load_routine(routine).pressures[level + step]
    assert pressure.cue(position, step).format(ball="ball") in said[0]


def test_every_transition_of_both_routines_is_covered():
    found = {(r, p, level, step) for r, p, level, step in transitions()}
    for name in ("upper-back", "quick"):
        for position in ("floor", "wall"):
            for level, step in ((0, 1), (1, 1), (2, -1), (1, -1)):
                assert (name, position, level, step) in found


def test_the_firm_set_up_cue_asks_for_more_weight_and_the_light_one_never_does():
    for name in builtin_names():
        light, _, firm = load_routine(name).pressures
        for position in ("floor", "wall"):
            assert direction(firm.cues[position]) == 1, firm.cues[position]
            assert direction(light.cues[position]) != 1, light.cues[position]


MINE = VALID  # a user's own routine file, without cues for changes of pressure


def test_a_routine_without_cues_for_changes_gets_ones_pointing_the_right_way(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINE)
    routine = load_routine(str(path))
    coach = Coach(routine, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=1.0))
    for at, intent, way in ((2.0, "harder", 1), (3.0, "harder", 1), (4.0, "softer", -1)):
        actions = coach.handle(Heard(intent=intent, text=intent, at=at))
        said = [a.text for a in actions if isinstance(a, Say)]  # records of it are not said
        assert len(said) == 1 and direction(said[0]) == way, said


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('floor = "hips up"', 'floor = "hips {up}"'), "only use {ball}"),
        (
            lambda t: t.replace('wall = "feet close"', 'wall = "feet close"\nwall_up = "x"'),
            "no going up to this level",
        ),
        (lambda t: t.replace('position = "floor"', 'position = "floor"\nballs = 3'), "1 or 2"),
    ],
)
def test_bad_cues_and_ball_counts_are_named(tmp_path, edit, message):
    from voice_coach.core.routine import RoutineError

    path = tmp_path / "bad.toml"
    path.write_text(edit(MINE))
    with pytest.raises(RoutineError, match=message):
        load_routine(str(path))
