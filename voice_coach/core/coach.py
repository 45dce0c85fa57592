"""The dialogue manager: a pure state machine from events (heard, tick) to actions (say, count).

It never sleeps, prints or touches a device; time arrives inside the events. Everything it will do
later sits on a ``Timeline`` of deadlines, so ``next_deadline()`` tells a runtime when to tick.
What each command does in each context is the table in ``transitions``; this file is the flow
through the routine that those answers set going.
"""

from __future__ import annotations

from collections.abc import Mapping

from intents.catalog import default_catalog
from voice_coach.core.balls import Ball, default_balls
from voice_coach.core.events import (
    Action,
    BallChosen,
    CancelCountdown,
    Countdown,
    DeviceBack,
    DeviceLost,
    Event,
    Heard,
    Interrupted,
    LineKind,
    Say,
    SessionFinished,
    SessionStarted,
    SpeechQueued,
    StartCountdown,
)
from voice_coach.core.lines import Lines
from voice_coach.core.records import Past, Record, SpotPast, SpotRecord, StretchRecord
from voice_coach.core.routine import Routine, Spot
from voice_coach.core.state import (
    BREATH_CUE_AFTER,
    PAUSED_REMINDER_AFTER,
    REPROMPT_INTERVAL,
    ROOM_AFTER_SPEECH,
    SKIP_OFFER_REMINDER_AFTER,
    SPOT_PHASES,
    WELCOME_REMINDER_AFTER,
    AskedQuestion,
    Context,
    Hold,
    Mode,
    Phase,
    Question,
    SpotTrack,
    StretchRun,
    duration,
    ordinal,
    whole,
)
from voice_coach.core.timeline import Due, Timeline
from voice_coach.core.transitions import NEVER_ASKED, QUESTION_WINDOW, heard


class Coach:
    """Guides one session through a routine: feed it events, act on the actions it returns."""

    def __init__(
        self,
        routine: Routine,
        seed: int = 0,
        lines: Lines | None = None,
        past: Past | None = None,
        ball: Ball | None = None,
        ask_ball: bool = False,
        command_names: Mapping[str, str] | None = None,
    ):
        """``ball`` is the user's kind of ball, if known; ``ask_ball`` asks which it is at the
        welcome (the runtime sets it when none is configured); ``command_names`` are the
        commands as the coach says them (by default the intent catalog's ``spoken`` names)."""
        self.routine = routine
        self.command_names = dict(command_names or default_catalog().spoken_names())
        self.lines = lines or Lines(seed)
        self.past = past or Past()
        self.mode = Mode.WELCOME
        self.phase = Phase.NONE
        self.ball = ball
        self._asking_ball = ask_ball and ball is None
        self._first_cue_said = False  # the ball's word of warning, said on the first spot
        self.level = ball.start_level(routine) if ball else routine.start_pressure
        self.spot_index = -1  # the spot we are on, or the last one finished
        self.spots_done = 0
        self.paused = False
        self._now = 0.0
        self._started_at = 0.0
        self._timeline = Timeline()
        self._frozen: list[Due] = []
        self._paused_at = 0.0
        self._paused_by_device = False  # paused (or asked to) because a device was lost
        self._hold: Hold | None = None
        self._stretch_count = 0
        self._return_spot: int | None = None  # where a requested stretch returns to
        self._pain_in_stretch = False
        self._pains = 0  # sharp pain reported in this session
        self._pains_by_spot: dict[int, int] = {}
        self._offering_end = False  # asked "shall we end?" after repeated pain; yes or no
        self._end_offer_key = ""
        # After pain the next spot starts light: any spot but the one that hurt (None: any).
        self._light_next = False
        self._pain_spot: int | None = None
        self._last_instruction: list[str] = []
        # One instruction is what one event or one due item makes the coach say; grouping lines
        # by their time instead joined everything said at the same second (under the virtual
        # clock, the welcome and the first spot), and "repeat" replayed all of it.
        self._instruction_open = False
        self._last_reprompt = -REPROMPT_INTERVAL
        # What the coach asked about when unsure ("Softer or next spot?").
        self._question: AskedQuestion | None = None
        # What the history keeps: the spot and the stretch under way, and the records made.
        self._track: SpotTrack | None = None
        self._stretch_run: StretchRun | None = None
        self._records: list[Record] = []
        # The user set the pressure for the next spot (before start, in a stretch): it wins
        # over the level remembered there, though never over the cap that past pain sets.
        self._level_chosen = False
        self._offering_skip = False  # asked whether to skip a spot that brought numbness
        self._skip_offered: set[int] = set()
        self._out: list[Action] = []

    # ----------------------------------------------------------------- public interface

    @property
    def finished(self) -> bool:
        return self.mode == Mode.FINISHED

    @property
    def now(self) -> float:
        """The latest session time the coach has seen."""
        return self._now

    @property
    def hold(self) -> Hold | None:
        """The running hold (paused or not), if the session is in one."""
        return self._hold

    @property
    def context(self) -> Context:
        """What a command is answered in: the column of the transition table."""
        if self.paused:
            return Context.PAUSED
        if self._offering_end:
            return Context.END_OFFER
        if self._offering_skip:
            return Context.SKIP_OFFER
        return Context(self.mode.value)

    @property
    def open_question(self) -> Question | None:
        """The question the coach has asked and not yet seen answered, if any: what the user
        says next is likely its answer (a recognizer told so hears one better)."""
        if self.finished:
            return None
        if self._asking_ball and self.mode == Mode.WELCOME:
            return Question.BALL
        asked = self._question is not None and self._now - self._question.at <= QUESTION_WINDOW
        if asked or self._offering_end or self._offering_skip:
            return Question.YES_NO
        return None

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
        self._instruction_open = False
        if isinstance(event, SpeechQueued):
            self._make_room_for_speech(event.until)
        elif isinstance(event, Heard):
            if not self._answered_ball(event, at):
                heard(self, event.intent, at, event.near, event.answer, text=event.text)
        elif isinstance(event, Interrupted):
            # As if the user had said stop (the summary is said), though nothing was heard.
            heard(self, "stop", at, spoken=False)
        elif isinstance(event, DeviceLost):
            self._device_lost(event.device, at)
        elif isinstance(event, DeviceBack):
            self._device_back(at)
        return self._flush()

    # ----------------------------------------------------------------- time

    def _advance(self, now: float) -> None:
        while (due := self._timeline.pop_due(now)) is not None:
            self._now = due.at
            self._fire(due)
        self._now = max(self._now, now)

    def _fire(self, due: Due) -> None:
        at = due.at
        self._instruction_open = False
        if due.kind == "phase_end":
            self._phase_ended(at)
        elif due.kind == "say":
            self._say(str(due.data), at)
        elif due.kind == "breath":
            self._say(self._spot.breathing, at)
        elif due.kind == "halfway":
            # A progress mark, not an instruction: "repeat" after it says the breathing cue.
            self._say(self.lines.say("halfway"), at, instruction=False)
        elif due.kind == "reminder":
            self._say(self.lines.say(str(due.data)), at, LineKind.REPLY)

    def _make_room_for_speech(self, until: float) -> None:
        # A hold is never stretched (its countdown is on the clock); every other phase lasts at
        # least until its instructions have been said, plus a moment to act on them.
        if self.paused or self.finished or (self.mode == Mode.SPOT and self.phase == Phase.HOLD):
            return
        self._timeline.defer("phase_end", until + ROOM_AFTER_SPEECH)

    # ----------------------------------------------------------------- devices

    def _device_lost(self, device: str, at: float) -> None:
        if self.paused or self.finished:
            return
        self._question = None
        self._paused_by_device = True
        # Paused without the reply to "pause": the user did not pause, the device did.
        if self.context in (Context.SPOT, Context.STRETCH):
            self._pause(at)
        self._say(self.lines.always("device_lost", device=device), at, LineKind.ALERT)

    def _device_back(self, at: float) -> None:
        if self._paused_by_device and self.paused:
            self._paused_by_device = False
            heard(self, "resume", at, spoken=False)

    # ----------------------------------------------------------------- flow

    def _welcome(self, at: float) -> None:
        self._started_at = at
        self._now = at
        r = self.routine
        self._say(self.lines.say("welcome", title=r.title, summary=r.summary), at)
        for line in r.safety:
            self._say(line, at)
        opening = self._past_opening()
        if opening is not None:
            self._say(opening, at)
        if self._asking_ball:
            self._say(self.lines.say("ball_question"), at)
        else:
            self._say(self.lines.say("ready"), at)
        self._timeline.add(at + WELCOME_REMINDER_AFTER, "reminder", "welcome_reminder")

    def _leave_activity(self, at: float) -> None:
        """Drop whatever is running: the hold and its countdown, what is due, a pause."""
        if self._hold is not None and not self.paused:  # pausing already cancelled it
            self._emit(CancelCountdown(at=at))
        until = self._paused_at if self.paused else at  # a pause is not time held or stretched
        if self._hold is not None and self._track is not None:
            self._track.held += max(0.0, until - self._hold.started)
        self._close_stretch(until, completed=False)
        self._hold = None
        self._offering_skip = False
        self._timeline.clear()
        self._frozen, self.paused = [], False

    def _start_spot(self, index: int, at: float, intro: str | None = None) -> None:
        self._leave_activity(at)
        self.mode, self.spot_index, self.phase = Mode.SPOT, index, Phase.NONE
        self._offering_end = False
        spot = self._spot
        total = len(self.routine.spots)
        if intro is None:
            intro = self.lines.say("spot_intro", number=index + 1, total=total, name=spot.name)
        self._say(intro, at)
        # Back on the spot it was on (a retry, a stretch in between), the session carries on
        # with it; a new spot closes the one left before its hold was over.
        new = self._track is None or self._track.index != index
        if new:
            self._close_spot(at, skipped=True)
            if self._spot_past(index).numb_last_time and index not in self._skip_offered:
                self._skip_offered.add(index)
                self._offer_skip(at, LineKind.GUIDE)
                return
        self._set_up_spot(at, new)

    def _set_up_spot(self, at: float, new: bool, went_ahead: bool = False) -> None:
        """Onto the current spot: its starting pressure, placement and pressure cue."""
        if self._light_next and self.spot_index != self._pain_spot:
            self._light_next = False
            if not went_ahead:  # going ahead after numbness is at the lightest level already
                self.level = 0
                self._say(self.lines.say("light_after_pain"), at)
        elif new and not went_ahead:
            level, key = self._remembered_level(self.spot_index)
            self.level = level
            if key is not None:
                self._say(self.lines.say(key, pressure=self.routine.pressures[level].name), at)
        if new:
            self._level_chosen = False
            self._track = SpotTrack(self.spot_index)
        assert self._track is not None
        self._track.use(self.routine.pressures[self.level].name)
        self._say(self._placement, at)
        if self.ball and self.ball.first_cue and not self._first_cue_said:
            self._first_cue_said = True
            self._say(self.ball.first_cue, at)
        self._say(self._pressure_cue(), at)
        self._enter_phase(Phase.PLACEMENT, at)

    def _offer_skip(self, at: float, kind: LineKind) -> None:
        """Ask whether to skip a spot that brought numbness last time, and wait for it."""
        self._offering_skip = True
        self._say(self.lines.say("skip_offer"), at, kind, instruction=True)
        self._timeline.add(at + SKIP_OFFER_REMINDER_AFTER, "reminder", "skip_offer_reminder")

    def _enter_phase(self, phase: Phase, at: float) -> None:
        self.phase = phase
        timing = self.routine.timing
        spot = self._spot
        if phase == Phase.PLACEMENT:
            self._timeline.add(at + timing.placement, "phase_end")
        elif phase == Phase.ROLLING:
            self._say(spot.rolling, at)
            self._timeline.add(at + timing.rolling, "phase_end")
        elif phase == Phase.FIND:
            self._say(spot.find, at)
            self._timeline.add(at + timing.find, "phase_end")
        elif phase == Phase.HOLD:
            seconds = self.routine.hold_for(spot, self.level, self._hold_factor)
            self._hold = Hold(started=at, ends=at + seconds)
            self._say(self.lines.say("hold", seconds=whole(seconds)), at)
            self._start_countdown(at)
            self._timeline.add(at + BREATH_CUE_AFTER, "breath")
            self._timeline.add(at + seconds / 2, "halfway")
            self._timeline.add(at + seconds, "phase_end")
        elif phase == Phase.RELEASE:
            if self._hold is not None and self._track is not None:
                self._track.held += max(0.0, at - self._hold.started)
                self._track.completed = True
            self._hold = None
            self.spots_done += 1
            self._say(self.lines.say("release", ball=self._ball), at)
            self._timeline.add(at + timing.release, "phase_end")

    def _start_countdown(self, at: float) -> None:
        """Count down the rest of the running hold, from ``at``."""
        assert self._hold is not None
        ends = self._hold.ends
        countdown = Countdown.ahead_of(at, ends)
        self._emit(StartCountdown(seconds=ends - at, countdown=countdown, at=at))

    def _phase_ended(self, at: float) -> None:
        if self.mode == Mode.SPOT:
            position = SPOT_PHASES.index(self.phase)
            if position + 1 < len(SPOT_PHASES):
                self._enter_phase(SPOT_PHASES[position + 1], at)
            else:
                self._close_spot(at, skipped=False)
                self._after_spot(at)
        elif self.mode == Mode.STRETCH:
            self._say(self.lines.say("stretch_done"), at)
            self._close_stretch(at, completed=True)
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
                self.mode, self.phase = Mode.WELCOME, Phase.NONE
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
        self._leave_activity(at)
        if self._track is not None and self._track.completed:
            self._close_spot(at, skipped=False)  # asked for in the release: the spot is done
        self.mode, self.phase = Mode.STRETCH, Phase.STRETCH
        self._offering_end = False
        stretch = self.routine.stretches[self._stretch_count % len(self.routine.stretches)]
        self._stretch_count += 1
        self._stretch_run = StretchRun(stretch.name, at)
        key = "stretch_on_request" if requested else "stretch_intro"
        self._say(self.lines.say(key, name=stretch.name), at)
        for cue in stretch.cues:
            if cue.at == 0:
                self._say(cue.text, at)
            else:
                self._timeline.add(at + cue.at, "say", cue.text)
        self._timeline.add(at + stretch.seconds, "phase_end")

    def _pause(self, at: float) -> None:
        """Stop the clock: what is due waits, the countdown is void until resumed."""
        self.paused, self._paused_at = True, at
        self._frozen = self._timeline.clear()
        if self._hold is not None:
            self._emit(CancelCountdown(at=at))
        self._timeline.add(at + PAUSED_REMINDER_AFTER, "reminder", "paused_reminder")

    def _finish(self, at: float, stopped: bool = False, closing: str | None = None) -> None:
        """End the session with its summary; ``closing`` is a line key said last."""
        self._leave_activity(at)
        self._close_spot(at, skipped=False)  # the spot the session ended on is kept too
        if self.mode == Mode.WELCOME:
            if closing is None:
                self._reply("farewell_early", at)
            else:
                self._say(self.lines.say(closing), at, LineKind.REPLY)
            self._emit(SessionFinished(summary="", at=at))
            self.mode = Mode.FINISHED
            return
        if stopped:
            self._say(self.lines.say("stopped"), at, LineKind.ALERT)
        summary = self.lines.say(
            "summary",
            done=self.spots_done,
            total=len(self.routine.spots),
            duration=duration(at - self._started_at),
            pressure=self.routine.pressures[self.level].name,
        )
        self._say(summary, at)
        if closing is not None:
            self._say(self.lines.say(closing), at)
        else:  # not after pain or numbness: that advice is the last word
            regularity = self._regularity_line()
            if regularity is not None:
                self._say(regularity, at)
        self._emit(SessionFinished(summary=summary, at=at))
        self.mode, self.phase = Mode.FINISHED, Phase.NONE

    def _pressure_cue(self, step: int = 0) -> str:
        """What to do with the body for the current level: to set it up (``step`` 0), or to
        arrive at it from the level below (+1) or above (-1)."""
        cue = self.routine.pressures[self.level].cue(self._spot.position, step)
        if cue is None:
            return self.lines.say("cue_up" if step > 0 else "cue_down", ball=self._ball)
        return cue.format(ball=self._ball)

    # ----------------------------------------------------------------- history

    def _spot_past(self, index: int) -> SpotPast:
        return self.past.spot(self.routine.spots[index].id)

    def _remembered_level(self, index: int) -> tuple[int, str | None]:
        """The level a spot starts at, from what the history remembers of it, and the line key
        that says so (None when it is the level carried over from the spot before)."""
        carried = self.level
        past = self._spot_past(index)
        names = [p.name for p in self.routine.pressures]
        level = carried
        if past.settled_level is not None and not self._level_chosen:
            settled = past.settled_level
            level = names.index(settled) if settled in names else self.routine.start_pressure
        hurt = [names.index(n) for n in past.pain_levels if n in names]
        capped = bool(hurt) and level >= min(hurt)
        if capped:
            level = max(0, min(hurt) - 1)
        if level == carried:
            return level, None
        return level, "past_start_capped" if capped else "past_start_settled"

    def _past_opening(self) -> str | None:
        """One line about last time, when something on this routine's spots matters."""
        numb = [s.name for s in self.routine.spots if self.past.spot(s.id).numb_last_time]
        if numb:
            it = "it" if len(numb) == 1 else "them"
            return self.lines.say("past_numb", spots=_names(numb), it=it)
        tender = [s.name for s in self.routine.spots if self.past.spot(s.id).tender_last_time]
        if tender:
            return self.lines.say("past_tender", spots=_names(tender))
        return None

    def _regularity_line(self) -> str | None:
        past = self.past
        if past.sessions == 0:
            return None
        if past.days_since_last is not None and past.days_since_last >= 7:
            return self.lines.say("back_after_gap", days=int(past.days_since_last))
        if past.sessions_this_week + 1 >= 2:
            return self.lines.say("week_count", ordinal=ordinal(past.sessions_this_week + 1))
        return None

    def _close_spot(self, at: float, skipped: bool) -> None:
        """Record the spot under way, if any; ``skipped``: left for another spot (or the end,
        by "next spot"), which counts only when its hold had not run to its end."""
        track, self._track = self._track, None
        if track is None:
            return
        spot = self.routine.spots[track.index]
        final = track.levels[-1] if track.levels else self.routine.pressures[self.level].name
        self._record(
            SpotRecord(
                spot_id=spot.id,
                spot_name=spot.name,
                levels=tuple(track.levels),
                final_level=final,
                held_seconds=track.held,
                pain_levels=tuple(track.pains),
                numbness=track.numb,
                skipped=skipped and not track.completed,
                at=at,
                completed=track.completed,
            )
        )

    def _close_stretch(self, at: float, completed: bool) -> None:
        run, self._stretch_run = self._stretch_run, None
        if run is not None:
            seconds = max(0.0, at - run.started)
            self._record(StretchRecord(run.name, seconds, completed, at))

    def _record(self, record: Record) -> None:
        self._records.append(record)

    # ----------------------------------------------------------------- the user's ball

    def takes_as_ball(self, intent: str | None, ball: str | None) -> bool:
        """Whether an utterance matched as ``intent`` and naming ``ball`` answers "which ball?"
        now (so a transcript can show it as the ball, not as the command it resembles)."""
        return (
            ball is not None
            and self._asking_ball
            and self.mode == Mode.WELCOME
            and intent not in NEVER_ASKED
        )

    def _answered_ball(self, event: Heard, at: float) -> bool:
        """Settle "which ball?" if it is open and this answers it; False: hear it as usual.

        A ball named wins over the command its words resemble ("firm" is nearly "firmer"), but
        not over the urgent ones; "start" without a ball goes ahead with the routine's defaults.
        """
        if not self._asking_ball or self.mode != Mode.WELCOME:
            return False
        if event.intent in NEVER_ASKED:
            return False
        if event.ball is None:
            if event.intent is not None:
                self._asking_ball = event.intent != "start"
                return False
            self._reply("ball_reprompt", at)
            return True
        ball = default_balls().get(event.ball)
        if ball is None:  # a catalog naming a kind the ball file lacks: as if unanswered
            self._reply("ball_reprompt", at)
            return True
        self._asking_ball = False
        self.ball, self.level = ball, ball.start_level(self.routine)
        self._reply_text(ball.confirm, at)
        self._emit(BallChosen(kind_id=ball.id, at=at))
        if event.intent == "start":  # "start, with the firm ball"
            heard(self, "start", at)
        else:
            self._say(self.lines.say("ready"), at)
        return True

    @property
    def _hold_factor(self) -> float:
        return self.ball.hold_factor if self.ball else 1.0

    def _two_balls_here(self, spot: Spot) -> bool:
        """The spot is worked with two balls straddling the spine."""
        return bool(self.ball and self.ball.two_balls and spot.two_balls_placement)

    @property
    def _placement(self) -> str:
        spot = self._spot
        if self._two_balls_here(spot) and spot.two_balls_placement:
            return spot.two_balls_placement
        return spot.placement

    # ----------------------------------------------------------------- helpers

    def _retry_spot(self, at: float, key: str = "back_to_spot") -> None:
        """Back onto a spot after pain; after pain in a stretch, onto the spot that comes next."""
        index = self.spot_index + 1 if self._pain_in_stretch else self.spot_index
        self._pain_in_stretch = False
        if index >= len(self.routine.spots):
            self._finish(at)
            return
        name = self.routine.spots[index].name
        pressure = self.routine.pressures[self.level].name
        self._start_spot(index, at, intro=self.lines.say(key, name=name, pressure=pressure))

    @property
    def _spot(self) -> Spot:
        return self.routine.spots[max(self.spot_index, 0)]

    @property
    def _ball(self) -> str:
        """What the lines' ``{ball}`` says on the current spot."""
        spot = self._spot
        return "balls" if spot.balls > 1 or self._two_balls_here(spot) else "ball"

    def _reply(self, key: str, at: float, **values: object) -> None:
        self._say(self.lines.say(key, **values), at, LineKind.REPLY)

    def _reply_text(self, text: str, at: float) -> None:
        self._say(text, at, LineKind.REPLY)

    def _say(
        self,
        text: str,
        at: float,
        kind: LineKind = LineKind.GUIDE,
        instruction: bool | None = None,
    ) -> None:
        """Say ``text``; an instruction (by default, a guide line) is what "repeat" says again."""
        if instruction if instruction is not None else kind == LineKind.GUIDE:
            if not self._instruction_open:
                self._last_instruction, self._instruction_open = [], True
            self._last_instruction.append(text)
        self._emit(Say(text=text, at=at, kind=kind))

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _flush(self) -> list[Action]:
        # Records go after what is said and done, so they change no line's place among the
        # actions, but before the end of the session, so a recorder has them all by then.
        out, self._out = self._out, []
        records, self._records = self._records, []
        end = next((i for i, a in enumerate(out) if isinstance(a, SessionFinished)), len(out))
        return [*out[:end], *records, *out[end:]]


def _names(names: list[str]) -> str:
    """Spot names to say in one breath: "right rhomboids and the left upper trapezius"."""
    short = [name.split(",")[0] for name in names]  # "right rhomboids, between ..." is long
    if len(short) == 1:
        return short[0]
    return ", the ".join(short[:-1]) + " and the " + short[-1]
