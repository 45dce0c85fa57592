"""Where a coaching session can be, its timings, and what a running hold is.

Shared by the coach's flow through the routine (``coach``) and its answers to the user
(``transitions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

BREATH_CUE_AFTER = 3.0  # seconds into a hold, once the hold line has been said
REPROMPT_INTERVAL = 20.0  # a miss gets a reprompt at most this often
ROOM_AFTER_SPEECH = 2.0  # seconds after an instruction is said before the next phase begins
WELCOME_REMINDER_AFTER = 60.0
PAUSED_REMINDER_AFTER = 60.0
PAIN_REMINDER_AFTER = 30.0
SKIP_OFFER_REMINDER_AFTER = 30.0
MIN_LEFT_AFTER_RETIME = 3.0


class Mode(StrEnum):
    """What the session is doing."""

    WELCOME = "welcome"  # waiting for "start"
    SPOT = "spot"  # on the ball, through the spot's phases
    STRETCH = "stretch"
    AFTER_PAIN = "after_pain"  # off the ball after pain, waiting for softer, next spot or stop
    FINISHED = "finished"


class Phase(StrEnum):
    """Where on a spot the session is; a spot runs through them in this order."""

    NONE = ""  # not on a spot
    PLACEMENT = "placement"
    ROLLING = "rolling"
    FIND = "find"
    HOLD = "hold"
    RELEASE = "release"
    STRETCH = "stretch"  # the phase of a stretch, which has only one


SPOT_PHASES = (Phase.PLACEMENT, Phase.ROLLING, Phase.FIND, Phase.HOLD, Phase.RELEASE)
# The phases with the user's weight on the ball: a stop missed there costs the most.
PRESSING_PHASES = frozenset({Phase.ROLLING, Phase.FIND, Phase.HOLD})


class Context(StrEnum):
    """What a command is answered in: the mode, or one of two states a mode can be in.

    A spot or a stretch can be paused (its clock stopped until "resume"); after pain the coach
    can have asked whether to end the session (a yes-or-no question open). Either one changes
    what most commands mean, so each is a column of the transition table of its own.
    """

    WELCOME = "welcome"
    SPOT = "spot"
    STRETCH = "stretch"
    AFTER_PAIN = "after_pain"
    PAUSED = "paused"  # a spot or a stretch with its clock stopped
    END_OFFER = "end_offer"  # after pain, asked "shall we end the session here?"
    # Before a spot that brought numbness last time, asked whether to skip it.
    SKIP_OFFER = "skip_offer"
    FINISHED = "finished"


class Question(StrEnum):
    """The kind of answer a question the coach has asked and not yet seen answered takes."""

    BALL = "ball"  # "which ball do you have?": a kind of ball
    YES_NO = "yes_no"  # "Harder?", "shall we end here?", "skip this spot?"


@dataclass(frozen=True)
class AskedQuestion:
    """A yes-or-no question the coach asked when unsure what it heard, and when.

    "Yes" means its one option (with two, "Softer or next spot?", it means neither and is asked
    again); "no" means ``if_no``, or, when that is None, that the user wants neither.
    """

    options: tuple[str, ...]
    at: float
    if_no: str | None = None


@dataclass(frozen=True)
class Hold:
    """A running hold, as two session times: a pause shifts both, a re-timing moves the end."""

    started: float
    ends: float


@dataclass
class SpotTrack:
    """What happens on one spot while the session is on it, for its ``SpotRecord``.

    A spot is left and come back to (a retry after pain, a stretch asked for mid-spot): the
    track stays open until the session moves to another spot or ends.
    """

    index: int
    levels: list[str] = field(default_factory=list)  # in order, no repeats in a row
    held: float = 0.0  # seconds of hold completed, pauses excluded
    pains: list[str] = field(default_factory=list)  # the level at each sharp-pain report
    numb: bool = False
    completed: bool = False  # a hold ran to its end

    def use(self, level: str) -> None:
        if not self.levels or self.levels[-1] != level:
            self.levels.append(level)


@dataclass(frozen=True)
class StretchRun:
    """A running stretch: its name, and its start shifted by any pause (as a hold's is)."""

    name: str
    started: float


_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh")


def ordinal(n: int) -> str:
    """ "third" up to "seventh", then "8th", "21st"."""
    if 0 <= n < len(_ORDINALS):
        return _ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def whole(seconds: float) -> int:
    """Seconds as the whole number the coach says (never zero)."""
    return max(1, round(seconds))


def duration(seconds: float) -> str:
    """A session length in words: "4 minutes 5 seconds"."""
    minutes, secs = divmod(round(seconds), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)
