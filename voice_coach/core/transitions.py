"""What the coach does when it hears a command: a table from (intent, context) to an answer.

Each answer is a small function of the coach and the time; ``TRANSITIONS`` says which one runs
for each command in each context (the mode, or a paused spot, or an open offer to end), so what a
command does anywhere can be read off one table. The flow the answers set going (spots, holds,
stretches, the summary) is ``Coach``'s; the answers are its transitions, so they use its private
state and steps, kept in their own file only so that the table reads as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from voice_coach.core.events import LineKind
from voice_coach.core.records import Exchange, ExchangeRecord
from voice_coach.core.routine import MAX_HOLD, MIN_HOLD
from voice_coach.core.state import (
    MIN_LEFT_AFTER_RETIME,
    PAIN_REMINDER_AFTER,
    PRESSING_PHASES,
    REPROMPT_INTERVAL,
    AskedQuestion,
    Context,
    Hold,
    Mode,
    Phase,
    SpotTrack,
    whole,
)
from voice_coach.core.timeline import Due

if TYPE_CHECKING:
    from voice_coach.core.coach import Coach

Answer = Callable[["Coach", float], None]

HELP_BY_MODE: dict[Context, tuple[str, ...]] = {
    Context.WELCOME: ("start", "harder", "softer", "stretch", "stop"),
    Context.SPOT: ("harder", "softer", "pause", "next_spot", "stretch", "repeat", "stop"),
    Context.STRETCH: ("next_spot", "pause", "repeat", "stop"),
    Context.AFTER_PAIN: ("softer", "next_spot", "resume", "stop"),
    Context.PAUSED: ("resume", "next_spot", "stop"),
    # Answered with commands every recognizer knows: a bare "no" in PocketSphinx's grammar
    # turned "ouch" said over the coach into "no keep" (live barge-in test, 0 of 5 heard).
    Context.END_OFFER: ("stop", "next_spot"),
    Context.SKIP_OFFER: ("start", "next_spot", "stop"),
}
# Sharp pain this often, on one spot or in the whole session, and the coach offers to end.
PAINS_ON_A_SPOT_TO_OFFER_END = 2
PAINS_IN_A_SESSION_TO_OFFER_END = 3


# Near misses are asked about, never guessed; urgent commands are never asked about: they are
# acted on when heard, and a question would only stand between the user and the stop.
NEVER_ASKED = frozenset({"stop", "pain", "numbness", "help"})
QUESTION_WINDOW = 10.0  # seconds a question stays open for a yes or a no
UNKNOWN = "unknown"  # the row of the table for an utterance that matched no command
STOP_LIKE = re.compile(r"\bstart\b", re.IGNORECASE)  # the one start word that sounds like stop


def heard(
    coach: Coach,
    intent: str | None,
    at: float,
    near: tuple[str, ...] = (),
    answer: str | None = None,
    spoken: bool = True,
    text: str = "",
) -> None:
    """Answer what the user said: settle an open question first, then look the command up.

    ``spoken`` is False for a command that stands for something not heard (Ctrl-C is a stop):
    it is acted on, and left out of the record of how well the coach hears. ``text`` is what
    was heard, in words.
    """
    if coach.finished:
        _act(coach, intent, Context.FINISHED, at, spoken, default=ignore)
        return
    question, coach._question = coach._question, None
    if question is not None and at - question.at > QUESTION_WINDOW:
        question = None
    options = question.options if question is not None else ()
    if intent is None and question is not None and answer == "no":
        if question.if_no is None:
            coach._reply("question_dropped", at)
            return
        intent = question.if_no
    if intent is None and options and answer == "yes":
        if len(options) > 1:  # "yes" to "softer or next spot?" says neither
            _ask(coach, options, at)
            return
        intent = options[0]
    if intent is None and answer is not None and coach._offering_end:
        # "Shall we end the session here?" is a yes-or-no question too.
        intent = "stop" if answer == "yes" else "next_spot"
    elif intent is None and answer is not None and coach._offering_skip:
        # So is "skip this spot?": yes goes ahead with it (as start does), no skips it.
        intent = "start" if answer == "yes" else "next_spot"
    elif intent is None and answer is not None:
        return  # "yeah" to a cue, nothing asked: an acknowledgement, not a miss
    if intent is None and _ask(coach, near, at):
        return
    special = ask_if_stop if _may_be_a_misheard_stop(coach, intent, text) else None
    _act(coach, intent, coach.context, at, spoken, default=reprompt, answer=special)


def _act(
    coach: Coach,
    intent: str | None,
    context: Context,
    at: float,
    spoken: bool,
    default: Answer,
    answer: Answer | None = None,
) -> None:
    """Run the table's answer (or ``answer``); a command acted on is recorded (a miss records
    its reprompt)."""
    answer = answer or TRANSITIONS.get((intent or UNKNOWN, context), default)
    if spoken and intent is not None and answer is not ignore:
        coach._record(ExchangeRecord(Exchange.COMMAND, intent, at))
    answer(coach, at)


def _ask(coach: Coach, near: tuple[str, ...], at: float) -> bool:
    """Ask about the near misses that make sense now; False when there are none."""
    allowed = HELP_BY_MODE.get(coach.context, HELP_BY_MODE[Context.SPOT])
    options = tuple(i for i in near if i in allowed and i not in NEVER_ASKED)
    if not options:
        return False
    coach._question = AskedQuestion(options, at)
    coach._record(ExchangeRecord(Exchange.QUESTION, options[0], at))
    names = [coach.command_names[i] for i in options]
    if len(names) == 1:
        coach._reply("ask_one", at, command=names[0].capitalize())
    else:
        coach._reply("ask_two", at, first=names[0].capitalize(), second=names[1])
    return True


# ----------------------------------------------------------------- answers


def ignore(coach: Coach, at: float) -> None:
    """Nothing to do (a command after the session ended)."""


def reprompt(coach: Coach, at: float) -> None:
    if at - coach._last_reprompt >= REPROMPT_INTERVAL:
        coach._last_reprompt = at
        coach._reply("reprompt", at)
        coach._record(ExchangeRecord(Exchange.REPROMPT, None, at))


def _replying(key: str) -> Answer:
    """An answer that is one reply line and nothing else."""

    def answer(coach: Coach, at: float) -> None:
        coach._reply(key, at)

    answer.__name__ = f"reply_{key}"
    return answer


def _may_be_a_misheard_stop(coach: Coach, intent: str | None, text: str) -> bool:
    """Whether "start" heard on a spot is likelier a "stop" the recognizer got wrong.

    With the user's weight on the ball there is nothing to start, and the recognizers write a
    real "stop" as "start" more than any other way they miss it (Whisper: 2 of the 4 held-out
    real "stop"s it missed). Only the word "start" itself counts: "ready" or "let's go" sound
    nothing like "stop", and there they are a user who is ready, to be told the spot is on.
    """
    return (
        intent == "start"
        and coach.context == Context.SPOT
        and coach.phase in PRESSING_PHASES
        and STOP_LIKE.search(text) is not None
    )


def ask_if_stop(coach: Coach, at: float) -> None:
    """Stop the clock at once and ask whether that was "stop": yes (or "stop") ends the
    session, no (or "resume") carries on. Ending on a guess would lose the session for a user
    who did say "start"; going on would keep the pressure on one who said "stop"."""
    coach._pause(at)
    coach._question = AskedQuestion(("stop",), at, if_no="resume")
    coach._record(ExchangeRecord(Exchange.QUESTION, "stop", at))
    coach._reply("start_while_pressing", at)


def begin(coach: Coach, at: float) -> None:
    coach._start_spot(0, at)


def retry_spot(coach: Coach, at: float) -> None:
    coach._retry_spot(at)


def stop(coach: Coach, at: float) -> None:
    coach._finish(at, stopped=True)


def end_accepted(coach: Coach, at: float) -> None:
    coach._reply("end_accepted", at)
    coach._finish(at, closing="pain_advice")


def carry_on_light(coach: Coach, at: float) -> None:
    """Declined the offer to end: on to the next spot, which starts at light pressure."""
    coach._timeline.clear()
    coach._reply("end_declined", at)
    coach._pain_in_stretch, coach._pain_spot = False, None
    if coach.spot_index + 1 < len(coach.routine.spots):
        coach._start_spot(coach.spot_index + 1, at)
    else:
        coach._finish(at)


def pain_before_start(coach: Coach, at: float) -> None:
    coach._leave_activity(at)
    coach._say(coach.lines.say("pain", ball=coach._ball), at, LineKind.ALERT)


def pain(coach: Coach, at: float) -> None:
    """Sharp pain on a spot or in a stretch: off the ball, and the choices from here."""
    in_stretch = coach.mode == Mode.STRETCH
    if coach.mode == Mode.SPOT and coach._track is not None:
        coach._track.pains.append(coach.routine.pressures[coach.level].name)
    pain_before_start(coach, at)
    _count_pain(coach)
    coach._pain_in_stretch = in_stretch
    if in_stretch and coach._return_spot is not None:
        # Out of a requested stretch, the spot to come is the one it returns to.
        coach.spot_index = coach._return_spot - 1
    coach._return_spot = None
    coach.mode, coach.phase = Mode.AFTER_PAIN, Phase.NONE
    _offer_after_pain(coach, at)


def pain_again(coach: Coach, at: float) -> None:
    """Said again while off the ball, it is the same report."""
    pain_before_start(coach, at)
    _offer_after_pain(coach, at)


def pain_after_end(coach: Coach, at: float) -> None:
    coach._say(coach.lines.say("pain", ball=coach._ball), at, LineKind.ALERT)


def _count_pain(coach: Coach) -> None:
    coach._pains += 1
    on_spot = 0
    if coach.mode == Mode.SPOT:
        coach._pain_spot = coach.spot_index
        on_spot = coach._pains_by_spot.get(coach.spot_index, 0) + 1
        coach._pains_by_spot[coach.spot_index] = on_spot
    else:
        coach._pain_spot = None  # in a stretch: the spot that comes next starts light
    coach._light_next = True
    coach._offering_end = (
        on_spot >= PAINS_ON_A_SPOT_TO_OFFER_END or coach._pains >= PAINS_IN_A_SESSION_TO_OFFER_END
    )
    coach._end_offer_key = (
        "pain_end_offer_spot" if on_spot >= PAINS_ON_A_SPOT_TO_OFFER_END else "pain_end_offer"
    )


def _offer_after_pain(coach: Coach, at: float) -> None:
    if coach._offering_end:
        key, reminder = coach._end_offer_key, "end_offer_reminder"
    else:
        key, reminder = ("pain_lightest" if coach.level == 0 else "pain_offer"), "pain_reminder"
    # Queued behind the alert, not another alert: an alert cuts what is being said.
    coach._say(coach.lines.say(key), at, LineKind.REPLY, instruction=True)
    coach._timeline.add(at + PAIN_REMINDER_AFTER, "reminder", reminder)


def _numbness_ends_it(key: str) -> Answer:
    """A nerve under pressure, not a sore muscle: no retry, no next spot; the session ends."""

    def answer(coach: Coach, at: float) -> None:
        on_spot = coach.mode == Mode.SPOT or (
            coach.mode == Mode.AFTER_PAIN and not coach._pain_in_stretch
        )
        if on_spot and coach._track is not None:
            coach._track.numb = True
        coach._leave_activity(at)
        coach._say(coach.lines.say(key, ball=coach._ball), at, LineKind.ALERT)
        coach._finish(at, closing="numbness_advice")

    answer.__name__ = key
    return answer


numb_before_start = _numbness_ends_it("numbness_before_start")
numbness = _numbness_ends_it("numbness")


def numb_after_end(coach: Coach, at: float) -> None:
    coach._say(coach.lines.say("numbness_advice"), at, LineKind.ALERT)


def harder(coach: Coach, at: float) -> None:
    if coach.level + 1 >= len(coach.routine.pressures):
        coach._reply("at_firmest", at)
    else:
        _change_level(coach, +1, at)


def softer(coach: Coach, at: float) -> None:
    if coach.level == 0:
        coach._reply("at_lightest", at)
    else:
        _change_level(coach, -1, at)


def softer_after_pain(coach: Coach, at: float) -> None:
    if coach.level == 0:
        coach._reply("at_lightest", at)
        return
    # Off the ball by now: the retry sets the lighter level up from the start.
    coach.level -= 1
    coach._retry_spot(at, key="pain_retry")


def skip_spot(coach: Coach, at: float) -> None:
    if coach.mode == Mode.STRETCH and coach._return_spot is not None:
        coach.spot_index = coach._return_spot - 1
    coach._return_spot, coach._pain_in_stretch = None, False
    coach._leave_activity(at)
    if coach.spot_index + 1 < len(coach.routine.spots):
        coach._say(coach.lines.say("skip_to"), at, LineKind.REPLY)
        coach._start_spot(coach.spot_index + 1, at)
    else:
        coach._say(coach.lines.say("last_spot_skip"), at, LineKind.REPLY)
        coach._close_spot(at, skipped=True)
        coach._finish(at)


# ----------------------------------------------------------------- the offer to skip a spot


def go_ahead(coach: Coach, at: float) -> None:
    """Onto the spot that brought numbness last time after all: at the lightest pressure."""
    coach._offering_skip = False
    coach._timeline.clear()
    coach.level = 0
    pressure = coach.routine.pressures[0].name
    coach._say(coach.lines.say("skip_offer_go_ahead", pressure=pressure), at, LineKind.REPLY)
    coach._set_up_spot(at, new=True, went_ahead=True)


def skip_offered(coach: Coach, at: float) -> None:
    """Skipped before it began: kept in the history as a skipped spot."""
    coach._offering_skip = False
    coach._track = SpotTrack(coach.spot_index)
    skip_spot(coach, at)


def pain_at_offer(coach: Coach, at: float) -> None:
    """Not on the ball yet: the usual alert, then the question again."""
    pain_before_start(coach, at)
    coach._offer_skip(at, LineKind.REPLY)


def request_stretch(coach: Coach, at: float) -> None:
    if coach.mode == Mode.WELCOME:
        coach._return_spot = -1
    elif coach.mode == Mode.SPOT and coach.phase == Phase.RELEASE:
        coach._return_spot = coach.spot_index + 1
    else:
        coach._return_spot = coach.spot_index
    if coach._return_spot >= len(coach.routine.spots):
        coach._return_spot = None  # stretching after the last spot ends the session
    coach._start_stretch(at, requested=True)


def stretch_when_paused(coach: Coach, at: float) -> None:
    if coach.mode == Mode.STRETCH:
        coach._reply("stretch_already", at)
    else:
        request_stretch(coach, at)


def pause(coach: Coach, at: float) -> None:
    coach._pause(at)
    coach._reply("pause", at)


def resume(coach: Coach, at: float) -> None:
    shift = at - coach._paused_at
    coach.paused = False
    coach._timeline.clear()
    coach._timeline.restore(coach._frozen, shift)
    coach._frozen = []
    if coach._stretch_run is not None:  # a pause is not time stretched
        run = coach._stretch_run
        coach._stretch_run = replace(run, started=run.started + shift)
    if coach._hold is not None:
        coach._hold = Hold(coach._hold.started + shift, coach._hold.ends + shift)
        coach._reply("resume_hold", at, remaining=whole(coach._hold.ends - at))
        coach._start_countdown(at)
    else:
        coach._reply("resume", at)


def repeat(coach: Coach, at: float) -> None:
    if not coach._last_instruction:
        coach._reply("repeat_nothing", at)
        return
    for text in coach._last_instruction:
        coach._say(text, at, LineKind.REPLY)


def help_(coach: Coach, at: float) -> None:
    names = [
        coach.command_names[i] for i in HELP_BY_MODE.get(coach.context, HELP_BY_MODE[Context.SPOT])
    ]
    commands = ", ".join(names[:-1]) + f", or {names[-1]}"
    coach._reply("help", at, commands=commands)
    coach._say(coach.lines.always("help_urgent"), at, LineKind.REPLY)


# ----------------------------------------------------------------- pressure


def _change_level(coach: Coach, step: int, at: float) -> None:
    old = coach.routine.pressures[coach.level]
    coach.level += step
    new = coach.routine.pressures[coach.level]
    if coach.mode in (Mode.WELCOME, Mode.STRETCH):
        coach._level_chosen = True
        key = "pressure_preset" if coach.mode == Mode.WELCOME else "pressure_later"
        coach._reply(key, at, pressure=new.name)
        return
    if coach._track is not None:
        coach._track.use(new.name)
    key = "pressure_up" if step > 0 else "pressure_down"
    cue = coach._pressure_cue(step)
    # The body cue is what "repeat" should say now, not the placement's older one.
    coach._say(coach.lines.say(key, cue=cue), at, LineKind.REPLY, instruction=True)
    if coach._hold is not None:
        _retime_hold(coach, new.hold_factor / old.hold_factor, at)


def _retime_hold(coach: Coach, ratio: float, at: float) -> None:
    """Firmer pressure, shorter hold: scale what is left, keeping the hold within 15-30 s."""
    assert coach._hold is not None
    now = coach._paused_at if coach.paused else at
    hold = coach._hold
    left = max(MIN_LEFT_AFTER_RETIME, (hold.ends - now) * ratio)
    ends = min(hold.started + MAX_HOLD, max(hold.started + MIN_HOLD, now + left))
    if abs(ends - hold.ends) < 1.0:
        return
    coach._hold = Hold(hold.started, ends)
    if coach.paused:  # the countdown starts again on resume
        coach._frozen = _moved_hold_end(coach._frozen, hold.started, ends, now)
        return
    coach._timeline.restore(_moved_hold_end(coach._timeline.clear(), hold.started, ends, now), 0)
    coach._reply("hold_retimed", at, remaining=whole(ends - now))
    coach._start_countdown(at)


def _moved_hold_end(items: list[Due], started: float, ends: float, now: float) -> list[Due]:
    """A hold's due items with its end moved to ``ends``.

    The halfway mark moves with the end, unless it has been said already; left where it was, a
    shortened hold had it a second before "Five.".
    """
    pending = any(d.kind == "halfway" for d in items)
    kept = [d for d in items if d.kind not in ("phase_end", "halfway")]
    halfway = started + (ends - started) / 2
    if pending and halfway > now:
        kept.append(Due(halfway, 0, "halfway"))
    return sorted([*kept, Due(ends, 0, "phase_end")])


# ----------------------------------------------------------------- the table

_running = _replying("already_running")
_not_after_pain = _replying("not_after_pain")
_welcome_reminder = _replying("welcome_reminder")
_pain_reminder = _replying("pain_reminder")
_end_offer_reminder = _replying("end_offer_reminder")
_paused_reminder = _replying("paused_reminder")
_not_paused = _replying("not_paused")
_stretch_already = _replying("stretch_already")
_skip_reminder = _replying("skip_offer_reminder")

# One row per command (UNKNOWN: an utterance that matched none); one column per context, in
# the order of COLUMNS.
COLUMNS = (
    Context.WELCOME,
    Context.SPOT,
    Context.STRETCH,
    Context.AFTER_PAIN,
    Context.PAUSED,
    Context.END_OFFER,
    Context.FINISHED,
    Context.SKIP_OFFER,
)
_ROWS: dict[str, tuple[Answer, ...]] = {
    #             welcome              spot                 stretch              after pain
    #             paused               end offer            finished             skip offer
    "start":     (begin,               _running,            _running,            retry_spot,
                  resume,              carry_on_light,      ignore,              go_ahead),
    "stop":      (stop,                stop,                stop,                stop,
                  stop,                end_accepted,        ignore,              stop),
    "pain":      (pain_before_start,   pain,                pain,                pain_again,
                  pain,                pain_again,          pain_after_end,      pain_at_offer),
    "numbness":  (numb_before_start,   numbness,            numbness,            numbness,
                  numbness,            numbness,            numb_after_end,      numbness),
    "harder":    (harder,              harder,              harder,              _not_after_pain,
                  harder,              _not_after_pain,     ignore,              _skip_reminder),
    "softer":    (softer,              softer,              softer,              softer_after_pain,
                  softer,              carry_on_light,      ignore,              _skip_reminder),
    "next_spot": (begin,               skip_spot,           skip_spot,           skip_spot,
                  skip_spot,           carry_on_light,      ignore,              skip_offered),
    "stretch":   (request_stretch,     request_stretch,     _stretch_already,    request_stretch,
                  stretch_when_paused, request_stretch,     ignore,              _skip_reminder),
    "pause":     (_welcome_reminder,   pause,               pause,               _pain_reminder,
                  _paused_reminder,    _end_offer_reminder, ignore,              _skip_reminder),
    "resume":    (_welcome_reminder,   _not_paused,         _not_paused,         retry_spot,
                  resume,              carry_on_light,      ignore,              go_ahead),
    "repeat":    (repeat,              repeat,              repeat,              repeat,
                  repeat,              repeat,              ignore,              repeat),
    "help":      (help_,               help_,               help_,               help_,
                  help_,               help_,               ignore,              help_),
    UNKNOWN:     (reprompt,            reprompt,            reprompt,            reprompt,
                  reprompt,            reprompt,            ignore,              reprompt),
}  # fmt: skip
TRANSITIONS: dict[tuple[str, Context], Answer] = {
    (intent, context): answer
    for intent, answers in _ROWS.items()
    for context, answer in zip(COLUMNS, answers, strict=True)
}
