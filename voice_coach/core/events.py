"""The dialogue manager's vocabulary: facts that come in, commands that go out.

Facts are nouns or past tense (``Heard``, ``Tick``); commands are imperative (``Say``,
``StartCountdown``), as in the wyoming protocol. All times are session seconds from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voice_coach.core.records import Record


class LineKind(StrEnum):
    """What a spoken line is for; the audio edge treats them differently."""

    GUIDE = "guide"  # instructions: placement, rolling, breathing, stretches
    COUNT = "count"  # a countdown number, printed at ``Say.at`` (the speaker has it scheduled)
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
    and ``answer`` is "yes" or "no" when it was nothing but that. ``ball`` is the kind of ball
    (an id from ``data/balls.toml``) the words name, if any, whatever the intent: only the
    question "which ball?" gives it a meaning.
    """

    intent: str | None
    text: str
    at: float
    confidence: float = 1.0
    near: tuple[str, ...] = ()
    answer: str | None = None
    ball: str | None = None


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


@dataclass(frozen=True)
class DeviceLost:
    """The microphone or speaker stopped responding: the coach pauses until it is back."""

    device: str
    at: float


@dataclass(frozen=True)
class DeviceBack:
    """Every lost device is back: what the loss paused carries on."""

    device: str
    at: float


@dataclass(frozen=True)
class Interrupted:
    """The session is to end now (Ctrl-C, end of input): the coach says its summary."""

    at: float


Event = SessionStarted | Heard | Tick | SpeechQueued | DeviceLost | DeviceBack | Interrupted


@dataclass(frozen=True)
class Say:
    """Speak (or print) a line, due at ``at`` (which may be earlier than the tick that made it)."""

    text: str
    at: float
    kind: LineKind = LineKind.GUIDE


COUNTDOWN_FROM = 5  # a hold's last seconds are counted down from this number


@dataclass(frozen=True)
class Countdown:
    """The numbers said at the end of a hold: each is due ``n`` seconds before ``ends_at``.

    ``numbers`` are the ones still ahead, as (session time, number), first due first. This is
    the one place the countdown is worked out; the runtimes schedule and print what it says.
    """

    ends_at: float
    numbers: tuple[tuple[float, int], ...]

    @classmethod
    def ahead_of(cls, after: float, ends_at: float) -> Countdown:
        """The countdown of a hold ending at ``ends_at``: the numbers due after ``after``."""
        numbers = tuple(
            (ends_at - n, n) for n in range(COUNTDOWN_FROM, 0, -1) if ends_at - n > after
        )
        return cls(ends_at, numbers)


@dataclass(frozen=True)
class StartCountdown:
    """A hold began (or was re-timed, or resumed): count down the numbers of ``countdown``."""

    seconds: float
    countdown: Countdown
    at: float

    @property
    def ends_at(self) -> float:
        return self.countdown.ends_at


@dataclass(frozen=True)
class CancelCountdown:
    """The running countdown is void (pause, pain, skip, stop): its numbers are not said."""

    at: float


@dataclass(frozen=True)
class SessionFinished:
    """The session is over; ``summary`` was also said."""

    summary: str
    at: float


@dataclass(frozen=True)
class BallChosen:
    """The user named their ball (``kind_id``, from ``data/balls.toml``): keep it for next time."""

    kind_id: str
    at: float


# Records (``records``) are actions too: the runtime stores them in the history as they come.
Action = Say | StartCountdown | CancelCountdown | SessionFinished | BallChosen | Record
