"""The routines' words, read end to end: what they promise, they do; no cue contradicts another."""

from __future__ import annotations

import re

import pytest

from tests.scripted import coach_lines, run_script
from voice_coach.core.lines import default_table
from voice_coach.core.routine import builtin_names, load_routine

COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
BONE = re.compile(r"\bbone(?:'s|s)?\b|\bedge of\b|\bedges? of the\b")


def stated(summary: str, thing: str) -> int:
    found = re.search(rf"\b({'|'.join(COUNTS)}) {thing}", summary.lower())
    assert found, (thing, summary)
    return COUNTS[found.group(1)]


@pytest.mark.parametrize("name", builtin_names())
def test_the_summary_says_how_many_spots_and_stretches_the_session_has(name):
    routine = load_routine(name)
    lines = coach_lines(run_script("start", routine=name))
    intros = {text.split(":")[0] for text in default_table()["stretch_intro"]}
    stretches = [line for line in lines if line.text.split(":")[0] in intros]
    spots = [line for line in lines if re.match(r"Spot \d+ of \d+", line.text)]
    assert stated(routine.summary, "spots") == len(spots) == len(routine.spots)
    assert stated(routine.summary, "stretch") == len(stretches)


@pytest.mark.parametrize("name", builtin_names())
def test_no_cue_puts_the_ball_on_bone(name):
    routine = load_routine(name)
    assert any("never on your spine" in line for line in routine.safety)
    for spot in routine.spots:
        for cue in (spot.placement, spot.rolling, spot.find, spot.breathing):
            assert not BONE.search(cue), (spot.id, cue)


@pytest.mark.parametrize("name", builtin_names())
def test_floor_spots_roll_without_lifting_the_hips_the_light_level_keeps_down(name):
    routine = load_routine(name)
    light = routine.pressures[0].cues["floor"].lower()
    assert "hips on the floor" in light
    for spot in routine.spots:
        if spot.position == "floor":
            for cue in (spot.placement, spot.rolling, spot.find):
                assert "lift your hips" not in cue.lower(), (spot.id, cue)


def test_a_two_ball_spot_never_says_the_ball_alone():
    routine = load_routine("upper-back")
    index, spot = next((i, s) for i, s in enumerate(routine.spots) if s.balls == 2)
    assert "two balls" in spot.placement
    skip = "\n".join(f"@{t} next spot" for t in range(1, index + 1))
    for level in range(3):
        script = "harder\n" * level + "start\n" + skip
        lines = coach_lines(run_script(script))
        first = next(i for i, line in enumerate(lines) if line.text.startswith(f"Spot {index + 1}"))
        during = [line.text for line in lines[first:]]
        assert any("balls" in text for text in during[2:3]), during[:3]  # the pressure cue
        assert not [t for t in during if re.search(r"\bthe ball\b", t)], during


def test_the_safety_lines_say_what_to_say_for_pain_and_for_numbness():
    safety = " ".join(load_routine("upper-back").safety)
    assert "sharp pain" in safety and "ouch" in safety
    assert "numbness or tingling" in safety and "numb" in safety.replace("numbness", "")
