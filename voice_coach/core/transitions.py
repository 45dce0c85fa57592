"""The dialogue manager's answers to what the user says: one ``_on_<intent>`` method each.

A mixin of ``Coach`` (in ``dialogue``), which owns the state and the flow through the routine;
kept apart so each file reads as one concern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voice_coach.core.events import CancelCountdown, LineKind, StartCountdown
from voice_coach.core.routine import MAX_HOLD, MIN_HOLD
from voice_coach.core.state import (
    AFTER_PAIN,
    MIN_LEFT_AFTER_RETIME,
    PAIN_REMINDER_AFTER,
    PAUSED_REMINDER_AFTER,
    REPROMPT_INTERVAL,
    SPOT,
    STRETCH,
    WELCOME,
    Hold,
    countdown_items,
    whole,
)
from voice_coach.core.timeline import Due

if TYPE_CHECKING:
    from voice_coach.core.coach import Coach

SPOKEN_COMMANDS = {
    "start": "start",
    "harder": "harder",
    "softer": "softer",
    "next_spot": "next spot",
    "stretch": "stretch",
    "pause": "pause",
    "resume": "resume",
    "repeat": "repeat",
    "stop": "stop",
}
HELP_BY_MODE = {
    WELCOME: ("start", "harder", "softer", "stretch", "stop"),
    SPOT: ("harder", "softer", "pause", "next_spot", "stretch", "repeat", "stop"),
    STRETCH: ("next_spot", "pause", "repeat", "stop"),
    AFTER_PAIN: ("softer", "next_spot", "resume", "stop"),
    "paused": ("resume", "next_spot", "stop"),
    # Answered with commands every recognizer knows: a bare "no" in PocketSphinx's grammar
    # turned "ouch" said over the coach into "no keep" (live barge-in test, 0 of 5 heard).
    "end_offer": ("stop", "next_spot"),
}
# Sharp pain this often, on one spot or in the whole session, and the coach offers to end.
PAINS_ON_A_SPOT_TO_OFFER_END = 2
PAINS_IN_A_SESSION_TO_OFFER_END = 3


# Near misses are asked about, never guessed; urgent commands are never asked about: they are
# acted on when heard, and a question would only stand between the user and the stop.
NEVER_ASKED = frozenset({"stop", "pain", "numbness", "help"})
QUESTION_WINDOW = 10.0  # seconds a question stays open for a yes or a no


class IntentHandlers:
    """What the coach does on each intent; ``self`` is always a ``Coach``."""

    def _heard(
        self: Coach,
        intent: str | None,
        at: float,
        near: tuple[str, ...] = (),
        answer: str | None = None,
    ) -> None:
        question, self._question = self._question, None
        options = question[0] if question and at - question[1] <= QUESTION_WINDOW else ()
        if intent is None and options and answer == "no":
            self._reply("question_dropped", at)
            return
        if intent is None and options and answer == "yes":
            if len(options) > 1:  # "yes" to "softer or next spot?" says neither
                self._ask(options, at)
                return
            intent = options[0]
        if intent is None and answer is not None and self._offering_end:
            # "Shall we end the session here?" is a yes-or-no question too.
            intent = "stop" if answer == "yes" else "next_spot"
        elif intent is None and answer is not None:
            return  # "yeah" to a cue, nothing asked: an acknowledgement, not a miss
        if intent is None and self._ask(near, at):
            return
        handler = getattr(self, f"_on_{intent}", None) if intent else None
        if handler is None:
            self._on_unknown(at)
        else:
            handler(at)

    def _ask(self: Coach, near: tuple[str, ...], at: float) -> bool:
        """Ask about the near misses that make sense now; False when there are none."""
        allowed = HELP_BY_MODE.get(self._help_mode(), HELP_BY_MODE[SPOT])
        options = tuple(i for i in near if i in allowed and i not in NEVER_ASKED)
        if not options:
            return False
        self._question = (options, at)
        names = [SPOKEN_COMMANDS[i] for i in options]
        if len(names) == 1:
            self._reply("ask_one", at, command=names[0].capitalize())
        else:
            self._reply("ask_two", at, first=names[0].capitalize(), second=names[1])
        return True

    def _on_unknown(self: Coach, at: float) -> None:
        if at - self._last_reprompt >= REPROMPT_INTERVAL:
            self._last_reprompt = at
            self._reply("reprompt", at)

    def _on_start(self: Coach, at: float) -> None:
        if self.paused:
            self._on_resume(at)
        elif self.mode == WELCOME:
            self._begin(at)
        elif self._offering_end:
            self._carry_on_light(at)
        elif self.mode == AFTER_PAIN:
            self._retry_spot(at)
        else:
            self._reply("already_running", at)

    def _on_stop(self: Coach, at: float) -> None:
        if self._offering_end:
            self._reply("end_accepted", at)
            self._finish(at, closing="pain_advice")
            return
        self._finish(at, stopped=True)

    def _on_pain(self: Coach, at: float) -> None:
        self._cancel_hold(at)
        self._timeline.clear()
        self._frozen, self.paused = [], False
        self._say(self.lines.say("pain", ball=self._ball), at, LineKind.ALERT)
        if self.mode == WELCOME:
            return
        if self.mode != AFTER_PAIN:  # said again while off the ball, it is the same report
            self._count_pain()
            self._pain_in_stretch = self.mode == STRETCH
            if self.mode == STRETCH and self._return_spot is not None:
                # Out of a requested stretch, the spot to come is the one it returns to.
                self.spot_index = self._return_spot - 1
            self._return_spot = None
            self.mode, self.phase = AFTER_PAIN, ""
        self._offer_after_pain(at)

    def _count_pain(self: Coach) -> None:
        self._pains += 1
        on_spot = 0
        if self.mode == SPOT:
            self._pain_spot = self.spot_index
            on_spot = self._pains_by_spot.get(self.spot_index, 0) + 1
            self._pains_by_spot[self.spot_index] = on_spot
        else:
            self._pain_spot = None  # in a stretch: the spot that comes next starts light
        self._light_next = True
        self._offering_end = (
            on_spot >= PAINS_ON_A_SPOT_TO_OFFER_END
            or self._pains >= PAINS_IN_A_SESSION_TO_OFFER_END
        )
        self._end_offer_key = (
            "pain_end_offer_spot" if on_spot >= PAINS_ON_A_SPOT_TO_OFFER_END else "pain_end_offer"
        )

    def _offer_after_pain(self: Coach, at: float) -> None:
        if self._offering_end:
            key, reminder = self._end_offer_key, "end_offer_reminder"
        else:
            key, reminder = ("pain_lightest" if self.level == 0 else "pain_offer"), "pain_reminder"
        # Queued behind the alert, not another alert: an alert cuts what is being said.
        self._say(self.lines.say(key), at, LineKind.REPLY, instruction=True)
        self._timeline.add(at + PAIN_REMINDER_AFTER, "reminder", reminder)

    def _carry_on_light(self: Coach, at: float) -> None:
        """Declined the offer to end: on to the next spot, which starts at light pressure."""
        self._timeline.clear()
        self._reply("end_declined", at)
        self._pain_in_stretch, self._pain_spot = False, None
        if self.spot_index + 1 < len(self.routine.spots):
            self._start_spot(self.spot_index + 1, at)
        else:
            self._finish(at)

    def _on_numbness(self: Coach, at: float) -> None:
        # A nerve under pressure, not a sore muscle: no retry, no next spot; the session ends.
        self._cancel_hold(at)
        self._timeline.clear()
        self._frozen, self.paused = [], False
        key = "numbness_before_start" if self.mode == WELCOME else "numbness"
        self._say(self.lines.say(key, ball=self._ball), at, LineKind.ALERT)
        self._finish(at, closing="numbness_advice")

    def _on_harder(self: Coach, at: float) -> None:
        if self.mode == AFTER_PAIN:
            self._reply("not_after_pain", at)
        elif self.level + 1 >= len(self.routine.pressures):
            self._reply("at_firmest", at)
        else:
            self._change_level(+1, at)

    def _on_softer(self: Coach, at: float) -> None:
        if self._offering_end:
            self._carry_on_light(at)
        elif self.level == 0:
            self._reply("at_lightest", at)
        elif self.mode == AFTER_PAIN:
            # Off the ball by now: the retry sets the lighter level up from the start.
            self.level -= 1
            self._retry_spot(at, key="pain_retry")
        else:
            self._change_level(-1, at)

    def _on_next_spot(self: Coach, at: float) -> None:
        if self.mode == WELCOME:
            self._begin(at)
            return
        if self._offering_end:
            self._carry_on_light(at)
            return
        self._cancel_hold(at)
        if self.mode == STRETCH and self._return_spot is not None:
            self.spot_index = self._return_spot - 1
        self._return_spot, self._pain_in_stretch = None, False
        self._frozen, self.paused = [], False
        self._timeline.clear()
        if self.spot_index + 1 < len(self.routine.spots):
            self._say(self.lines.say("skip_to"), at, LineKind.REPLY)
            self._start_spot(self.spot_index + 1, at)
        else:
            self._say(self.lines.say("last_spot_skip"), at, LineKind.REPLY)
            self._finish(at)

    def _on_stretch(self: Coach, at: float) -> None:
        if self.mode == STRETCH:
            self._reply("stretch_already", at)
            return
        if self.mode == WELCOME:
            self._return_spot = -1
        elif self.mode == SPOT and self.phase == "release":
            self._return_spot = self.spot_index + 1
        else:
            self._return_spot = self.spot_index
        if self._return_spot is not None and self._return_spot >= len(self.routine.spots):
            self._return_spot = None  # stretching after the last spot ends the session
        self._cancel_hold(at)
        self._frozen = []
        self._start_stretch(at, requested=True)

    def _on_pause(self: Coach, at: float) -> None:
        if self.paused:
            self._reply("paused_reminder", at)
            return
        if self.mode in (WELCOME, AFTER_PAIN):
            key = "welcome_reminder" if self.mode == WELCOME else "pain_reminder"
            self._reply("end_offer_reminder" if self._offering_end else key, at)
            return
        self.paused, self._paused_at = True, at
        self._frozen = self._timeline.clear()
        if self._hold is not None:
            self._emit(CancelCountdown(at=at))
        self._reply("pause", at)
        self._timeline.add(at + PAUSED_REMINDER_AFTER, "reminder", "paused_reminder")

    def _on_resume(self: Coach, at: float) -> None:
        if self._offering_end:
            self._carry_on_light(at)
            return
        if self.mode == AFTER_PAIN:
            self._retry_spot(at)
            return
        if not self.paused:
            self._reply("not_paused" if self.mode != WELCOME else "welcome_reminder", at)
            return
        shift = at - self._paused_at
        self.paused = False
        self._timeline.clear()
        self._timeline.restore(self._frozen, shift)
        self._frozen = []
        if self._hold is not None:
            self._hold = Hold(self._hold.started + shift, self._hold.ends + shift)
            left = self._hold.ends - at
            self._reply("resume_hold", at, remaining=whole(left))
            self._emit(StartCountdown(seconds=left, ends_at=self._hold.ends, at=at))
        else:
            self._reply("resume", at)

    def _on_repeat(self: Coach, at: float) -> None:
        if not self._last_instruction:
            self._reply("repeat_nothing", at)
            return
        for text in self._last_instruction:
            self._say(text, at, LineKind.REPLY)

    def _help_mode(self: Coach) -> str:
        """The key of HELP_BY_MODE for what the coach is doing now."""
        return "paused" if self.paused else "end_offer" if self._offering_end else self.mode

    def _on_help(self: Coach, at: float) -> None:
        names = [
            SPOKEN_COMMANDS[i] for i in HELP_BY_MODE.get(self._help_mode(), HELP_BY_MODE[SPOT])
        ]
        commands = ", ".join(names[:-1]) + f", or {names[-1]}"
        self._reply("help", at, commands=commands)
        self._say(
            "Say ouch if anything hurts, or numb for numbness or tingling.", at, LineKind.REPLY
        )

    # ----------------------------------------------------------------- pressure

    def _change_level(self: Coach, step: int, at: float) -> None:
        old = self.routine.pressures[self.level]
        self.level += step
        new = self.routine.pressures[self.level]
        if self.mode in (WELCOME, STRETCH):
            key = "pressure_preset" if self.mode == WELCOME else "pressure_later"
            self._reply(key, at, pressure=new.name)
            return
        key = "pressure_up" if step > 0 else "pressure_down"
        cue = self._pressure_cue(step)
        # The body cue is what "repeat" should say now, not the placement's older one.
        self._say(self.lines.say(key, cue=cue), at, LineKind.REPLY, instruction=True)
        if self._hold is not None:
            self._retime_hold(new.hold_factor / old.hold_factor, at)

    def _retime_hold(self: Coach, ratio: float, at: float) -> None:
        """Firmer pressure, shorter hold: scale what is left, keeping the hold within 15-30 s."""
        assert self._hold is not None
        now = self._paused_at if self.paused else at
        hold = self._hold
        left = max(MIN_LEFT_AFTER_RETIME, (hold.ends - now) * ratio)
        ends = min(hold.started + MAX_HOLD, max(hold.started + MIN_HOLD, now + left))
        if abs(ends - hold.ends) < 1.0:
            return
        self._hold = Hold(hold.started, ends)
        # The halfway mark moves with the end, unless it has been said already; left where it
        # was, a shortened hold had it a second before "Five.".
        halfway = hold.started + (ends - hold.started) / 2
        if self.paused:
            pending = any(d.kind == "halfway" for d in self._frozen)
            moved = ("count", "phase_end", "halfway")
            self._frozen = [d for d in self._frozen if d.kind not in moved]
            if pending and halfway > now:
                self._frozen.append(Due(halfway, 0, "halfway"))
            self._frozen = sorted([*self._frozen, *countdown_items(ends, now)])
            return
        pending = self._timeline.has("halfway")
        self._timeline.remove("count", "phase_end", "halfway")
        if pending and halfway > now:
            self._timeline.add(halfway, "halfway")
        self._schedule_hold_end(after=now)
        self._reply("hold_retimed", at, remaining=whole(ends - now))
        self._emit(StartCountdown(seconds=ends - now, ends_at=ends, at=at))

    def _cancel_hold(self: Coach, at: float) -> None:
        if self._hold is not None and not self.paused:  # pausing already cancelled it
            self._emit(CancelCountdown(at=at))
        self._hold = None
