"""The user's ball is data: the kinds in ``data/balls.toml``, loaded and validated.

A kind changes a session in three ways: where pressure starts, how long holds last, and a few
lines (a warning on the first spot, two-ball placements beside the spine). The coach reads them
from a ``Ball``; nothing else about a kind is written in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from voice_coach.core.routine import PRESSURE_NAMES, Routine

ROUTINE_START = "routine"  # start_pressure: the routine's own
HOLD_FACTOR_RANGE = (0.5, 1.0)  # a ball never lengthens holds, and never halves them further


class BallError(ValueError):
    """The ball file cannot be used; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class Ball:
    """One kind of ball and what it changes."""

    id: str
    name: str  # what the coach calls it: "firm ball"
    confirm: str  # said when the user names it
    start_pressure: str  # "routine", or a pressure level name
    hold_factor: float
    first_cue: str | None = None  # said after the first spot's placement
    two_balls: bool = False  # spots beside the spine use their two-ball placement

    def start_level(self, routine: Routine) -> int:
        """The pressure level a session starts at: the ball's, never above the routine's."""
        if self.start_pressure == ROUTINE_START:
            return routine.start_pressure
        names = [p.name for p in routine.pressures]
        return min(routine.start_pressure, names.index(self.start_pressure))


def parse_balls(text: str, source: str = "data/balls.toml") -> dict[str, Ball]:
    """The kinds in a ball file, by id, in file order; BallError names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BallError(f"{source}: not valid TOML ({error})") from error
    entries = data.get("ball")
    if not isinstance(entries, list) or not entries:
        raise BallError(f"{source}: needs [[ball]] entries")
    if not all(isinstance(e, dict) for e in entries):
        raise BallError(f"{source}: ball must be written as [[ball]] tables")
    balls: dict[str, Ball] = {}
    for index, entry in enumerate(entries):
        ball = _ball(entry, f"{source}: ball {index + 1} ({entry.get('id', '?')})")
        if ball.id in balls:
            raise BallError(f"{source}: ball {index + 1}: id {ball.id!r} is used twice")
        balls[ball.id] = ball
    return balls


@cache
def default_balls() -> dict[str, Ball]:
    """The packaged kinds, loaded once."""
    text = resources.files("voice_coach").joinpath("data", "balls.toml").read_text("utf-8")
    return parse_balls(text)


def ball_ids() -> list[str]:
    """The ids a config file or ``--ball`` may name, in file order."""
    return list(default_balls())


def ball_kind(kind_id: str) -> Ball:
    """The packaged kind called ``kind_id``; BallError (one sentence) for an unknown one."""
    balls = default_balls()
    if kind_id not in balls:
        raise BallError(f"no ball called {kind_id!r}; choose one of {', '.join(balls)}")
    return balls[kind_id]


def _ball(entry: dict[str, Any], label: str) -> Ball:
    def text(key: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise BallError(f"{label}: {key} must be non-empty text")
        return value.strip()

    known = {"id", "name", "confirm", "start_pressure", "hold_factor", "first_cue", "two_balls"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise BallError(f"{label}: unknown field {unknown[0]!r}")
    start = entry.get("start_pressure", ROUTINE_START)
    if start not in (ROUTINE_START, *PRESSURE_NAMES):
        choices = ", ".join((ROUTINE_START, *PRESSURE_NAMES))
        raise BallError(f"{label}: start_pressure must be one of {choices}")
    factor = entry.get("hold_factor", 1.0)
    low, high = HOLD_FACTOR_RANGE
    if not isinstance(factor, int | float) or isinstance(factor, bool) or not low <= factor <= high:
        raise BallError(f"{label}: hold_factor must be {low} to {high}")
    two_balls = entry.get("two_balls", False)
    if not isinstance(two_balls, bool):
        raise BallError(f"{label}: two_balls must be true or false")
    return Ball(
        id=str(text("id")),
        name=str(text("name")),
        confirm=str(text("confirm")),
        start_pressure=start,
        hold_factor=float(factor),
        first_cue=text("first_cue", required=False),
        two_balls=two_balls,
    )
