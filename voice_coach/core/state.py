"""Where a coaching session can be, and the deadline arithmetic of a hold.

Shared by the dialogue manager's flow (``dialogue``) and its answers to the user
(``intent_handlers``).
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_coach.core.timeline import Due

COUNTDOWN_FROM = 5
BREATH_CUE_AFTER = 3.0  # seconds into a hold, once the hold line has been said
REPROMPT_INTERVAL = 20.0  # a miss gets a reprompt at most this often
ROOM_AFTER_SPEECH = 2.0  # seconds after an instruction is said before the next phase begins
WELCOME_REMINDER_AFTER = 60.0
PAUSED_REMINDER_AFTER = 60.0
PAIN_REMINDER_AFTER = 30.0
MIN_LEFT_AFTER_RETIME = 3.0

# Where in the session we are. A spot runs placement -> rolling -> find -> hold -> release.
WELCOME, SPOT, STRETCH, AFTER_PAIN, FINISHED = (
    "welcome",
    "spot",
    "stretch",
    "after_pain",
    "finished",
)
SPOT_PHASES = ("placement", "rolling", "find", "hold", "release")


@dataclass
class Hold:
    """A running hold, as two session times: a pause shifts both, a re-timing moves the end."""

    started: float
    ends: float


def countdown_items(ends: float, after: float) -> list[Due]:
    """The last five numbers still ahead of ``after``, then the hold's end."""
    items = [Due(ends - n, 0, "count", n) for n in range(COUNTDOWN_FROM, 0, -1) if ends - n > after]
    return [*items, Due(ends, 0, "phase_end")]


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
