"""The dialogue manager: a pure state machine from events (heard, tick) to actions (say, count).

It never sleeps, prints or touches a device; time arrives inside the events. Everything it will do
later sits on a ``Timeline`` of deadlines, so ``next_deadline()`` tells a runtime when to tick.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_coach.events import (
    Action,
    CancelCountdown,
    Event,
    Heard,
    LineKind,
    Say,
    SessionFinished,
    SessionStarted,
    StartCountdown,
)
from voice_coach.lines import NUMBER_WORDS, Lines
from voice_coach.routine import MAX_HOLD, MIN_HOLD, Routine
from voice_coach.timeline import Due, Timeline

COUNTDOWN_FROM = 5
BREATH_CUE_AFTER = 3.0  # seconds into a hold, once the hold line has been said
REPROMPT_INTERVAL = 20.0  # a miss gets a reprompt at most this often
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
}


@dataclass
class _Hold:
    started: float
    ends: float


class Coach:
    """Guides one session through a routine: feed it events, act on the actions it returns."""

    def __init__(self, routine: Routine, seed: int = 0, lines: Lines | None = None):
        self.routine = routine
        self.lines = lines or Lines(seed)
        self.mode = WELCOME
        self.phase = ""
        self.level = routine.start_pressure
        self.spot_index = -1  # the spot we are on, or the last one finished
        self.spots_done = 0
        self.paused = False
        self._now = 0.0
        self._started_at = 0.0
        self._timeline = Timeline()
        self._frozen: list[Due] = []
        self._paused_at = 0.0
        self._hold: _Hold | None = None
        self._stretch_count = 0
        self._return_spot: int | None = None  # where a requested stretch returns to
        self._pain_in_stretch = False
        self._last_instruction: list[str] = []
        self._last_instruction_at = -1.0
        self._last_reprompt = -REPROMPT_INTERVAL
        self._out: list[Action] = []

    # ----------------------------------------------------------------- public interface

    @property
    def finished(self) -> bool:
        return self.mode == FINISHED

    def next_deadline(self) -> float | None:
        """The session time at which the coach next has something to do, if any."""
        return None if self.finished else self._timeline.next_at()

    def handle(self, event: Event) -> list[Action]:
        """Process one event and return the actions it causes, in order."""
        self._out = []
        at = max(event.at, self._now)
        if isinstance(event, SessionStarted):
            self._welcome(at)
            return self._flush()
        self._advance(at)
        if isinstance(event, Heard) and not self.finished:
            self._heard(event.intent, at)
        elif isinstance(event, Heard) and event.intent == "pain":
            self._say(self.lines.say("pain"), at, LineKind.ALERT)
        return self._flush()

    # ----------------------------------------------------------------- time

    def _advance(self, now: float) -> None:
        while (due := self._timeline.pop_due(now)) is not None:
            self._now = due.at
            self._fire(due)
        self._now = max(self._now, now)

    def _fire(self, due: Due) -> None:
        at = due.at
        if due.kind == "phase_end":
            self._phase_ended(at)
        elif due.kind == "say":
            self._say(str(due.data), at)
        elif due.kind == "breath":
            self._say(self._spot.breathing, at)
        elif due.kind == "halfway":
            self._say(self.lines.say("halfway"), at)
        elif due.kind == "count":
            self._say(NUMBER_WORDS[int(due.data)], at, LineKind.COUNT)
        elif due.kind == "reminder":
            self._say(self.lines.say(str(due.data)), at, LineKind.REPLY)

    # ----------------------------------------------------------------- flow

    def _welcome(self, at: float) -> None:
        self._started_at = at
        self._now = at
        r = self.routine
        self._say(self.lines.say("welcome", title=r.title, summary=r.summary), at)
        for line in r.safety:
            self._say(line, at)
        self._say(self.lines.say("ready"), at)
        self._timeline.add(at + WELCOME_REMINDER_AFTER, "reminder", "welcome_reminder")

    def _begin(self, at: float) -> None:
        self._start_spot(0, at)

    def _start_spot(self, index: int, at: float, intro: str | None = None) -> None:
        self._timeline.clear()
        self.mode, self.spot_index, self.paused = SPOT, index, False
        spot = self._spot
        total = len(self.routine.spots)
        if intro is None:
            intro = self.lines.say("spot_intro", number=index + 1, total=total, name=spot.name)
        self._say(intro, at)
        self._say(spot.placement, at)
        self._say(self._pressure_cue(), at)
        self._enter_phase("placement", at)

    def _enter_phase(self, phase: str, at: float) -> None:
        self.phase = phase
        timing = self.routine.timing
        spot = self._spot
        if phase == "placement":
            self._timeline.add(at + timing.placement, "phase_end")
        elif phase == "rolling":
            self._say(spot.rolling, at)
            self._timeline.add(at + timing.rolling, "phase_end")
        elif phase == "find":
            self._say(spot.find, at)
            self._timeline.add(at + timing.find, "phase_end")
        elif phase == "hold":
            seconds = self.routine.hold_for(spot, self.level)
            self._hold = _Hold(started=at, ends=at + seconds)
            self._say(self.lines.say("hold", seconds=_whole(seconds)), at)
            self._emit(StartCountdown(seconds=seconds, ends_at=at + seconds, at=at))
            self._timeline.add(at + BREATH_CUE_AFTER, "breath")
            self._timeline.add(at + seconds / 2, "halfway")
            self._schedule_hold_end(after=at)
        elif phase == "release":
            self._hold = None
            self.spots_done += 1
            self._say(self.lines.say("release"), at)
            self._timeline.add(at + timing.release, "phase_end")

    def _schedule_hold_end(self, after: float) -> None:
        """Countdown numbers and the hold's end, for the current ``_hold``."""
        assert self._hold is not None
        ends = self._hold.ends
        for number in range(COUNTDOWN_FROM, 0, -1):
            if ends - number > after:
                self._timeline.add(ends - number, "count", number)
        self._timeline.add(ends, "phase_end")

    def _phase_ended(self, at: float) -> None:
        if self.mode == SPOT:
            position = SPOT_PHASES.index(self.phase)
            if position + 1 < len(SPOT_PHASES):
                self._enter_phase(SPOT_PHASES[position + 1], at)
            else:
                self._after_spot(at)
        elif self.mode == STRETCH:
            self._say(self.lines.say("stretch_done"), at)
            self._after_stretch(at)

    def _after_spot(self, at: float) -> None:
        every = self.routine.stretch_every
        if every and self.spots_done and (self.spot_index + 1) % every == 0:
            self._start_stretch(at, requested=False)
        else:
            self._next_spot_or_finish(at)

    def _after_stretch(self, at: float) -> None:
        if self._return_spot is not None:
            index, self._return_spot = self._return_spot, None
            if index < 0:
                self.mode, self.phase = WELCOME, ""
                self._timeline.clear()
                self._say(self.lines.say("back_to_start"), at)
                return
            name = self.routine.spots[index].name
            self._start_spot(index, at, intro=self.lines.say("back_to_spot", name=name))
            return
        self._next_spot_or_finish(at)

    def _next_spot_or_finish(self, at: float) -> None:
        if self.spot_index + 1 < len(self.routine.spots):
            self._start_spot(self.spot_index + 1, at)
        else:
            self._finish(at)

    def _start_stretch(self, at: float, requested: bool) -> None:
        self._timeline.clear()
        self.mode, self.phase, self.paused, self._hold = STRETCH, "stretch", False, None
        stretch = self.routine.stretches[self._stretch_count % len(self.routine.stretches)]
        self._stretch_count += 1
        key = "stretch_on_request" if requested else "stretch_intro"
        self._say(self.lines.say(key, name=stretch.name), at)
        for cue in stretch.cues:
            if cue.at == 0:
                self._say(cue.text, at)
            else:
                self._timeline.add(at + cue.at, "say", cue.text)
        self._timeline.add(at + stretch.seconds, "phase_end")

    def _finish(self, at: float, stopped: bool = False) -> None:
        self._timeline.clear()
        self._cancel_hold(at)
        self._frozen = []
        if self.mode == WELCOME:
            self._reply("farewell_early", at)
            self._emit(SessionFinished(summary="", at=at))
            self.mode = FINISHED
            return
        if stopped:
            self._say(self.lines.say("stopped"), at, LineKind.ALERT)
        summary = self.lines.say(
            "summary",
            done=self.spots_done,
            total=len(self.routine.spots),
            duration=_duration(at - self._started_at),
            pressure=self.routine.pressures[self.level].name,
        )
        self._say(summary, at)
        self._emit(SessionFinished(summary=summary, at=at))
        self.mode, self.phase, self.paused = FINISHED, "", False

    # ----------------------------------------------------------------- intents

    def _heard(self, intent: str | None, at: float) -> None:
        handler = getattr(self, f"_on_{intent}", None) if intent else None
        if handler is None:
            self._on_unknown(at)
        else:
            handler(at)

    def _on_unknown(self, at: float) -> None:
        if at - self._last_reprompt >= REPROMPT_INTERVAL:
            self._last_reprompt = at
            self._reply("reprompt", at)

    def _on_start(self, at: float) -> None:
        if self.paused:
            self._on_resume(at)
        elif self.mode == WELCOME:
            self._begin(at)
        elif self.mode == AFTER_PAIN:
            self._retry_spot(at)
        else:
            self._reply("already_running", at)

    def _on_stop(self, at: float) -> None:
        self._finish(at, stopped=True)

    def _on_pain(self, at: float) -> None:
        self._cancel_hold(at)
        self._timeline.clear()
        self._frozen, self.paused = [], False
        self._say(self.lines.say("pain"), at, LineKind.ALERT)
        if self.mode == WELCOME:
            return
        self._pain_in_stretch = self.mode == STRETCH
        if self.mode == STRETCH and self._return_spot is not None:
            # Out of a requested stretch, the spot to come is the one it would have returned to.
            self.spot_index = self._return_spot - 1
        self._return_spot = None
        self.mode, self.phase = AFTER_PAIN, ""
        lightest = self.level == 0
        self._say(self.lines.say("pain_lightest" if lightest else "pain_offer"), at, LineKind.ALERT)
        self._timeline.add(at + PAIN_REMINDER_AFTER, "reminder", "pain_reminder")

    def _on_harder(self, at: float) -> None:
        if self.mode == AFTER_PAIN:
            self._reply("not_after_pain", at)
        elif self.level + 1 >= len(self.routine.pressures):
            self._reply("at_firmest", at)
        else:
            self._change_level(+1, at)

    def _on_softer(self, at: float) -> None:
        if self.level == 0:
            self._reply("at_lightest", at)
        elif self.mode == AFTER_PAIN:
            self.level -= 1
            self._say(self.lines.say("pressure_down", cue=self._pressure_cue()), at, LineKind.REPLY)
            self._retry_spot(at, key="pain_retry")
        else:
            self._change_level(-1, at)

    def _on_next_spot(self, at: float) -> None:
        if self.mode == WELCOME:
            self._begin(at)
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

    def _on_stretch(self, at: float) -> None:
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

    def _on_pause(self, at: float) -> None:
        if self.paused:
            self._reply("paused_reminder", at)
            return
        if self.mode in (WELCOME, AFTER_PAIN):
            self._reply("welcome_reminder" if self.mode == WELCOME else "pain_reminder", at)
            return
        self.paused, self._paused_at = True, at
        self._frozen = self._timeline.clear()
        if self._hold is not None:
            self._emit(CancelCountdown(at=at))
        self._reply("pause", at)
        self._timeline.add(at + PAUSED_REMINDER_AFTER, "reminder", "paused_reminder")

    def _on_resume(self, at: float) -> None:
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
            self._hold = _Hold(self._hold.started + shift, self._hold.ends + shift)
            left = self._hold.ends - at
            self._reply("resume_hold", at, remaining=_whole(left))
            self._emit(StartCountdown(seconds=left, ends_at=self._hold.ends, at=at))
        else:
            self._reply("resume", at)

    def _on_repeat(self, at: float) -> None:
        if not self._last_instruction:
            self._reply("repeat_nothing", at)
            return
        for text in self._last_instruction:
            self._say(text, at, LineKind.REPLY)

    def _on_help(self, at: float) -> None:
        mode = "paused" if self.paused else self.mode
        names = [SPOKEN_COMMANDS[i] for i in HELP_BY_MODE.get(mode, HELP_BY_MODE[SPOT])]
        commands = ", ".join(names[:-1]) + f", or {names[-1]}"
        self._reply("help", at, commands=commands)
        self._say("Say ouch if anything hurts.", at, LineKind.REPLY)

    # ----------------------------------------------------------------- pressure

    def _change_level(self, step: int, at: float) -> None:
        old = self.routine.pressures[self.level]
        self.level += step
        new = self.routine.pressures[self.level]
        if self.mode in (WELCOME, STRETCH):
            key = "pressure_preset" if self.mode == WELCOME else "pressure_later"
            self._reply(key, at, pressure=new.name)
            return
        key = "pressure_up" if step > 0 else "pressure_down"
        self._say(self.lines.say(key, cue=self._pressure_cue()), at, LineKind.REPLY)
        if self._hold is not None:
            self._retime_hold(new.hold_factor / old.hold_factor, at)

    def _retime_hold(self, ratio: float, at: float) -> None:
        """Firmer pressure, shorter hold: scale what is left, keeping the hold within 15-30 s."""
        assert self._hold is not None
        now = self._paused_at if self.paused else at
        hold = self._hold
        left = max(MIN_LEFT_AFTER_RETIME, (hold.ends - now) * ratio)
        ends = min(hold.started + MAX_HOLD, max(hold.started + MIN_HOLD, now + left))
        if abs(ends - hold.ends) < 1.0:
            return
        self._hold = _Hold(hold.started, ends)
        if self.paused:
            self._frozen = [d for d in self._frozen if d.kind not in ("count", "phase_end")]
            self._frozen += _countdown_items(ends, now)
            return
        self._timeline.remove("count", "phase_end")
        self._schedule_hold_end(after=now)
        self._reply("hold_retimed", at, remaining=_whole(ends - now))
        self._emit(StartCountdown(seconds=ends - now, ends_at=ends, at=at))

    def _cancel_hold(self, at: float) -> None:
        if self._hold is not None and not self.paused:  # pausing already cancelled it
            self._emit(CancelCountdown(at=at))
        self._hold = None

    def _pressure_cue(self) -> str:
        return self.routine.pressures[self.level].cues[self._spot.position]

    # ----------------------------------------------------------------- helpers

    def _retry_spot(self, at: float, key: str = "back_to_spot") -> None:
        """Back onto a spot after pain; after pain in a stretch, onto the spot that comes next."""
        index = self.spot_index + 1 if self._pain_in_stretch else self.spot_index
        self._pain_in_stretch = False
        if index >= len(self.routine.spots):
            self._finish(at)
            return
        name = self.routine.spots[index].name
        self._start_spot(index, at, intro=self.lines.say(key, name=name))

    @property
    def _spot(self):
        return self.routine.spots[max(self.spot_index, 0)]

    def _reply(self, key: str, at: float, **values: object) -> None:
        self._say(self.lines.say(key, **values), at, LineKind.REPLY)

    def _say(self, text: str, at: float, kind: LineKind = LineKind.GUIDE) -> None:
        if kind == LineKind.GUIDE:
            if at != self._last_instruction_at:
                self._last_instruction, self._last_instruction_at = [], at
            self._last_instruction.append(text)
        self._emit(Say(text=text, at=at, kind=kind))

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out


def _countdown_items(ends: float, after: float) -> list[Due]:
    items = [Due(ends - n, 0, "count", n) for n in range(COUNTDOWN_FROM, 0, -1) if ends - n > after]
    return [*items, Due(ends, 0, "phase_end")]


def _whole(seconds: float) -> int:
    return max(1, round(seconds))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)
