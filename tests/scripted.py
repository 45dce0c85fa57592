"""Run scripted text-mode sessions in-process and read back their transcript."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from voice_coach.core.coach import Coach
from voice_coach.core.countdown import CountdownLines
from voice_coach.core.events import Action
from voice_coach.core.lines import default_table
from voice_coach.core.routine import load_routine
from voice_coach.runtime.text_session import TextSession

_LINE = re.compile(r"^\[(\d+):(\d+\.\d)\] (coach|you): (.*)$")


@dataclass(frozen=True)
class Line:
    at: float
    who: str
    text: str


def run_script(script: str, routine: str = "upper-back", seed: int = 1) -> list[Line]:
    """Feed ``script`` (one input per line) to a virtual-clock session; return what was printed."""
    out, err = io.StringIO(), io.StringIO()
    coach = Coach(load_routine(routine), seed=seed)
    TextSession(coach, out=out, err=err).run_virtual(script.splitlines())
    lines = []
    for raw in out.getvalue().splitlines():
        match = _LINE.match(raw)
        assert match, f"badly formatted output line: {raw!r}"
        minutes, seconds, who, text = match.groups()
        lines.append(Line(int(minutes) * 60 + float(seconds), who, text))
    return lines


def coach_lines(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line.who == "coach"]


def _wordings(*keys: str) -> re.Pattern[str]:
    """Any wording of ``keys`` in lines.toml, its number placeholder captured, others wild."""
    patterns = []
    for key in keys:
        for wording in default_table()[key]:
            pattern = re.escape(wording)
            for name in ("seconds", "remaining"):
                pattern = pattern.replace(re.escape("{" + name + "}"), r"(\d+)")
            patterns.append(re.sub(r"\\\{\w+\\\}", ".*", pattern))
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def holds(lines: list[Line]) -> list[tuple[float, float, float]]:
    """(start, end, length last announced) of every hold that ran to its release.

    The lines are recognised by lines.toml's wordings, not by copies of them: a hold line starts
    one, a re-timing or resuming line ("12 seconds to go") moves the announced end (it counts
    from where it is said), a release ends it, a pain alert abandons it.
    """
    hold, retimed = _wordings("hold"), _wordings("hold_retimed", "resume_hold")
    release, pain = _wordings("release"), _wordings("pain")
    out = []
    start: float | None = None
    expected_end = 0.0  # set with start
    for line in coach_lines(lines):
        if found := hold.fullmatch(line.text):
            start, expected_end = line.at, line.at + _number(found)
        elif start is not None and (found := retimed.fullmatch(line.text)):
            expected_end = line.at + _number(found)
        elif start is not None and release.fullmatch(line.text):
            out.append((start, line.at, expected_end - start))
            start = None
        elif start is not None and pain.fullmatch(line.text):
            start = None
    return out


def _number(found: re.Match[str]) -> int:
    return int(next(group for group in found.groups() if group is not None))


def with_numbers(actions: list[Action]) -> list[Action]:
    """The coach's actions with the countdown numbers put in, each where a runtime says it:
    after what came before its second, unless a cancel came first."""
    numbers = CountdownLines()
    out: list[Action] = []
    for action in actions:
        out += numbers.pop_due(action.at)
        numbers.follow([action])
        out.append(action)
    return out + numbers.pop_due(float("inf"))
