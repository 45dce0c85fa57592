"""What the coach remembers between sessions: the records it emits, and the past it is given.

The core stays pure: it never opens the history database. It emits a record as an action when
something worth keeping has happened (a spot ended, a stretch ended, a command was heard or
missed), and a recorder in the runtime stores it at once, so a crash loses at most the spot in
progress. At the start it is handed a ``Past``, a small summary the runtime reads from the
database, and adapts to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class SpotRecord:
    """A spot is over: worked through, skipped, or left after pain or numbness."""

    spot_id: str  # the routine's ``id`` of the spot: stable across wording changes
    spot_name: str
    levels: tuple[str, ...]  # pressure level names used on the spot, in order, no repeats in a row
    final_level: str  # the level the user ended on: where the next session starts there
    held_seconds: float  # seconds of the hold completed (0 when it never began)
    pain_levels: tuple[str, ...]  # the level in use at each sharp-pain report on the spot
    numbness: bool
    skipped: bool  # left by "next spot" before its hold ended
    at: float
    completed: bool = False  # a hold there ran to its end: the summary's "spots worked"


@dataclass(frozen=True)
class StretchRecord:
    """A stretch is over (done to its end, or cut short)."""

    name: str
    seconds: float  # how long it ran
    completed: bool
    at: float


class Exchange(StrEnum):
    """How an utterance went: what tells how well the coach hears this user."""

    COMMAND = "command"  # understood and acted on
    REPROMPT = "reprompt"  # not understood; the coach asked the user to say it again
    QUESTION = "question"  # nearly understood; the coach asked ("Harder?")


@dataclass(frozen=True)
class ExchangeRecord:
    kind: Exchange
    intent: str | None  # the command acted on, or asked about (the first one asked)
    at: float


Record = SpotRecord | StretchRecord | ExchangeRecord


@dataclass(frozen=True)
class SpotPast:
    """One spot as the history remembers it (by spot id)."""

    settled_level: str | None = None  # the level last ended on there
    pain_levels: tuple[str, ...] = ()  # levels that brought sharp pain there, recent sessions
    tender_last_time: bool = False  # sharp pain there in the last session that worked it
    numb_last_time: bool = False  # numbness there in the last session that worked it


@dataclass(frozen=True)
class Past:
    """The summary of earlier sessions the coach starts from; ``Past()`` is a first session."""

    sessions: int = 0  # finished or not, before this one
    sessions_this_week: int = 0  # in the last seven days, before this one
    days_since_last: float | None = None  # since the last session began
    spots: dict[str, SpotPast] = field(default_factory=dict)

    def spot(self, spot_id: str) -> SpotPast:
        return self.spots.get(spot_id, SpotPast())
