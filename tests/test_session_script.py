"""Scripted text-mode sessions under the virtual clock, checked line by line."""

import itertools
import time

import pytest

from tests.scripted import coach_lines, holds, run_script
from voice_coach.core.routine import load_routine

ROUTINE = load_routine("upper-back")
NUMBERS = ["Five.", "Four.", "Three.", "Two.", "One."]


def said(lines, text):
    return [line for line in coach_lines(lines) if text in line.text]


def test_a_whole_routine_runs_in_well_under_a_second():
    began = time.perf_counter()
    lines = run_script("start")
    elapsed = time.perf_counter() - began
    assert elapsed < 1.0
    end = coach_lines(lines)[-1]
    assert "spots" in end.text and f"7 of {len(ROUTINE.spots)}" in end.text
    assert 8 * 60 < end.at < 16 * 60  # the default routine is a real 10-15 minute session
    for number, spot in enumerate(ROUTINE.spots, start=1):
        assert said(lines, f"Spot {number} of 7"), spot.id
        assert said(lines, spot.placement)
    for name in ("arm circles", "torso twists", "shoulder rolls"):
        assert said(lines, name)


def test_quick_routine_takes_about_five_minutes():
    end = coach_lines(run_script("start", routine="quick"))[-1]
    assert 3.5 * 60 <= end.at <= 6 * 60
    assert "4 of 4" in end.text


def test_welcome_says_safety_and_waits_for_start():
    lines = run_script("")
    texts = [line.text for line in coach_lines(lines)]
    assert any("never on your spine" in t for t in texts)
    assert any("not medical advice" in t for t in texts)
    assert any("numbness or tingling" in t for t in texts)
    assert not any("Spot 1" in t for t in texts)


def test_every_hold_is_15_to_30_seconds_and_lasts_what_it_announces():
    lines = run_script("start\n@100 harder\n@300 harder\n@500 softer")
    found = holds(lines)
    assert len(found) == len(ROUTINE.spots)
    for start, end, announced in found:
        assert 15 <= end - start <= 30
        assert end - start == pytest.approx(announced)


def test_countdown_ends_with_five_numbers_one_second_apart_then_release():
    lines = coach_lines(run_script("start"))
    for _start, end, _ in holds(lines):
        numbers = [line for line in lines if line.text in NUMBERS and end - 5.5 < line.at < end]
        assert [n.text for n in numbers] == NUMBERS
        assert [n.at for n in numbers] == pytest.approx(
            [end - 5, end - 4, end - 3, end - 2, end - 1]
        )
        release = next(line for line in lines if line.at == end and "elease" in line.text)
        assert release


def test_hold_has_length_halfway_and_breathing_cues():
    lines = coach_lines(run_script("start"))
    start, end, seconds = holds(lines)[0]
    during = [line for line in lines if start <= line.at < end]
    assert any(ROUTINE.spots[0].breathing == line.text for line in during)
    halfway = [line for line in during if line.text.startswith("Halfway")]
    assert len(halfway) == 1 and halfway[0].at == pytest.approx(start + seconds / 2)


def test_harder_and_softer_give_the_body_cue_for_the_position():
    moderate, firm = ROUTINE.pressures[1], ROUTINE.pressures[2]
    # Spot 1 is at the wall; spot 3 is on the floor.
    lines = run_script(
        "start\n@20 harder\n@21 harder\n@22 harder\n@25 softer\n@26 softer\n@27 softer"
    )
    texts = [line.text for line in coach_lines(lines)]
    assert any(moderate.up["wall"].format(ball="ball") in t for t in texts)
    assert any(firm.up["wall"].format(ball="ball") in t for t in texts)
    assert any(moderate.down["wall"] in t for t in texts)
    assert any("firmest" in t for t in texts)
    assert any("lightest" in t for t in texts)
    floor_lines = run_script("start\n@200 harder")
    assert said(floor_lines, moderate.up["floor"].format(ball="ball"))


def test_harder_during_a_hold_shortens_what_is_left():
    plain = holds(run_script("start"))[0]
    start = plain[0]
    lines = run_script(f"start\n@{start + 2} harder")
    start2, end2, _ = holds(lines)[0]
    assert start2 == start
    assert end2 - start2 < plain[1] - plain[0]
    assert 15 <= end2 - start2 <= 30
    assert said(lines, "seconds to go") or said(lines, "seconds left")
    numbers = [line for line in coach_lines(lines) if line.text in NUMBERS and line.at < end2]
    assert [n.at for n in numbers][-5:] == pytest.approx(
        [end2 - 5, end2 - 4, end2 - 3, end2 - 2, end2 - 1]
    )


def test_pause_freezes_the_countdown_and_resume_keeps_the_remaining_time():
    start, end, _ = holds(run_script("start"))[0]
    pause_at = start + 10
    lines = run_script(f"start\n@{pause_at} pause\n@{pause_at + 45} resume")
    quiet = [line for line in coach_lines(lines) if pause_at < line.at < pause_at + 45]
    assert quiet == []
    assert said(lines, f"{round(end - pause_at)} seconds")
    _, end2, _ = holds(lines)[0]
    assert end2 == pytest.approx(end + 45)


def test_pain_cancels_the_hold_in_the_same_tick_and_offers_options():
    start, _, _ = holds(run_script("start"))[0]
    ouch_at = start + 6
    lines = run_script(f"start\n@{ouch_at} ouch")
    after = [line for line in coach_lines(lines) if line.at >= ouch_at]
    assert after[0].at == ouch_at and after[0].text.startswith(("Ease off now", "Stop pressing"))
    assert "softer" in after[1].text.lower() or "next spot" in after[1].text.lower()
    assert not [line for line in after if line.text in NUMBERS or "elease" in line.text]


def test_softer_after_pain_retries_the_spot_lighter():
    start, _, _ = holds(run_script("start\n@1 harder"))[0]
    lines = run_script(f"start\n@1 harder\n@{start + 4} ouch\n@{start + 10} softer")
    after = [line.text for line in coach_lines(lines) if line.at >= start + 10]
    assert any(ROUTINE.pressures[0].cues["wall"] in t for t in after)
    assert ROUTINE.spots[0].placement in after


def test_stretch_runs_now_and_returns_to_the_same_spot():
    start, _, _ = holds(run_script("start"))[2]  # spot 3, on the floor
    lines = run_script(f"start\n@{start + 5} stretch")
    after = [line for line in coach_lines(lines) if line.at >= start + 5]
    assert "stretch" in after[0].text.lower()
    back = next(line for line in after if line.text.startswith(("Back to", "Now, back to")))
    assert ROUTINE.spots[2].name in back.text
    assert said(lines, "Spot 4 of 7")  # and the routine goes on from there


def test_next_spot_skips_ahead_and_past_the_last_spot_ends():
    lines = run_script("start\n@5 next spot")
    assert said(lines, "Spot 2 of 7")[0].at == 5
    lines = run_script("start\n" + "\n".join(f"@{i} next" for i in range(1, 9)))
    assert said(lines, "That was the last spot")
    assert "0 of 7" in coach_lines(lines)[-1].text


def test_repeat_says_the_last_instruction_again():
    lines = run_script("start\n@20 repeat")
    again = [line.text for line in coach_lines(lines) if line.at == 20]
    assert again == [ROUTINE.spots[0].rolling]


def test_help_lists_what_can_be_said_now():
    lines = run_script("help\nstart\n@20 help")
    welcome_help = said(lines, "You can say")[0].text if said(lines, "You can say") else ""
    texts = [line.text for line in coach_lines(lines) if "say" in line.text.lower()]
    assert any("start" in t for t in texts[:8]), welcome_help
    spot_help = [line.text for line in coach_lines(lines) if line.at == 20]
    assert any("harder" in t and "pause" in t and "next spot" in t for t in spot_help)


def test_stop_ends_with_a_summary_and_nothing_after():
    lines = run_script("start\n@100 stop\n@200 harder")
    last = coach_lines(lines)[-1]
    assert last.at == 100 and "spots" in last.text
    assert not [line for line in lines if line.at > 100]


def test_unrecognised_input_is_reprompted_but_not_every_time():
    lines = run_script("start\n@10 banana\n@11 purple\n@12 xyzzy\n@40 blah")
    reprompts = [line for line in coach_lines(lines) if "didn't" in line.text]
    assert [r.at for r in reprompts] == [10, 40]


def test_you_lines_show_text_and_intent():
    lines = run_script("start\n@3 a bit harder please\n@4 what a lovely day")
    you = [line.text for line in lines if line.who == "you"]
    assert you == ["start -> start", "a bit harder please -> harder", "what a lovely day -> none"]


def test_same_seed_same_session_other_seed_other_wording():
    script = "start\n@100 harder\n@400 pause\n@420 resume"
    first, again = run_script(script, seed=7), run_script(script, seed=7)
    assert first == again
    other = run_script(script, seed=8)
    assert [line.text for line in first] != [line.text for line in other]


def test_lines_vary_instead_of_repeating_the_same_sentence():
    releases = [line.text for line in coach_lines(run_script("start")) if "elease" in line.text]
    assert len(set(releases)) > 1
    assert all(a != b for a, b in itertools.pairwise(releases))


def replies_to(lines, text):
    """The coach's lines printed right after the input ``text``, up to the next input."""
    start = next(i for i, line in enumerate(lines) if line.who == "you" and line.text == text)
    out = []
    for line in lines[start + 1 :]:
        if line.who == "you" or line.at > lines[start].at:
            break
        out.append(line.text)
    return out


def test_repeat_right_after_start_is_the_spots_instruction_not_the_whole_session():
    # Under the virtual clock the welcome and the first spot are said at the same second; the
    # welcome is not part of the last instruction.
    lines = run_script("start\nrepeat")
    spot = ROUTINE.spots[0]
    again = replies_to(lines, "repeat -> repeat")
    assert len(again) == 3 and again[0].startswith("Spot 1 of 7")
    assert again[1:] == [spot.placement, ROUTINE.pressures[0].cues["wall"]]


def test_repeat_in_a_hold_is_the_breathing_cue_not_the_halfway_mark():
    start, end, _ = holds(run_script("start"))[0]
    lines = run_script(f"start\n@{(start + end) / 2 + 1} repeat")
    again = replies_to(lines, "repeat -> repeat")
    assert again == [ROUTINE.spots[0].breathing]


def test_numbness_typed_in_a_hold_ends_the_session_with_advice_and_no_next_spot():
    start, _, _ = holds(run_script("start"))[0]
    lines = run_script(f"start\n@{start + 5} my hand is tingling\n@{start + 60} next spot")
    after = [line for line in coach_lines(lines) if line.at >= start + 5]
    assert "off the ball" in after[0].text
    assert "doctor or physiotherapist" in after[-1].text
    assert not [line for line in after if line.text in NUMBERS or line.text.startswith("Spot")]
    assert not [line for line in lines if line.at > start + 5]
