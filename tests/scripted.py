"""Run scripted text-mode sessions in-process and read back their transcript."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from voice_coach.core.coach import Coach
from voice_coach.core.countdown import CountdownLines
from voice_coach.core.events import Action
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


def holds(lines: list[Line]) -> list[tuple[float, float, float]]:
    """(start, end, length last announced) of every hold that ran to its release.

    A re-timing line ("12 seconds to go") moves the announced end: it counts from where it is said.
    """
    out = []
    start: float | None = None
    expected_end = 0.0  # set with start
    for line in coach_lines(lines):
        found = re.search(r"(\d+) seconds(?: to go| left)?\.$", line.text)
        if found and ("Hold" in line.text or "Stay" in line.text or "rest there" in line.text):
            start, expected_end = line.at, line.at + int(found.group(1))
        elif found and start is not None:
            expected_end = line.at + int(found.group(1))
        elif start is not None and "release" in line.text.lower():
            out.append((start, line.at, expected_end - start))
            start = None
        elif start is not None and line.text.startswith(("Ease off now", "Stop pressing")):
            start = None
    return out


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
