"""The dialogue manager's vocabulary: facts that come in, commands that go out.

Facts are nouns or past tense (``Heard``, ``Tick``); commands are imperative (``Say``,
``StartCountdown``), as in the wyoming protocol. All times are session seconds from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LineKind(StrEnum):
    """What a spoken line is for; the audio edge treats them differently."""

    GUIDE = "guide"  # instructions: placement, rolling, breathing, stretches
    COUNT = "count"  # a countdown number, due exactly at ``Say.at``
    REPLY = "reply"  # an answer to something the user said
    ALERT = "alert"  # pain and stop: cut whatever is being said


@dataclass(frozen=True)
class SessionStarted:
    """The session opened; the coach welcomes the user."""

    at: float


@dataclass(frozen=True)
class Heard:
    """The user said something; ``intent`` is None when it matched no command.

    Without an intent, ``near`` names the commands it nearly was (best first, at most two),
    and ``answer`` is "yes" or "no" when it was nothing but that.
    """

    intent: str | None
    text: str
    at: float
    confidence: float = 1.0
    near: tuple[str, ...] = ()
    answer: str | None = None


@dataclass(frozen=True)
class Tick:
    """Time has passed."""

    at: float


@dataclass(frozen=True)
class SpeechQueued:
    """The coach's spoken lines queued so far end at session time ``until``.

    Speech takes longer than printing (more so at a slow rate): a runtime that speaks sends this
    so the coach waits for its instructions to be heard before moving to the next phase.
    """

    until: float
    at: float


Event = SessionStarted | Heard | Tick | SpeechQueued


@dataclass(frozen=True)
class Say:
    """Speak (or print) a line, due at ``at`` (which may be earlier than the tick that made it)."""

    text: str
    at: float
    kind: LineKind = LineKind.GUIDE


@dataclass(frozen=True)
class StartCountdown:
    """A hold began (or was re-timed): it ends at ``ends_at``; numbers are spoken as ``Say``."""

    seconds: float
    ends_at: float
    at: float


@dataclass(frozen=True)
class CancelCountdown:
    """The running hold's countdown is void (pause, pain, skip, stop)."""

    at: float


@dataclass(frozen=True)
class SessionFinished:
    """The session is over; ``summary`` was also said."""

    summary: str
    at: float


Action = Say | StartCountdown | CancelCountdown | SessionFinished
