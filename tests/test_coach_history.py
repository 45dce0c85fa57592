"""The coach and the history (issue 17): the records it emits, and what it does with ``Past``.

Pure: events in, actions out, session times only (the virtual clock for the text sessions).
"""

from __future__ import annotations

import io

import pytest

from voice_coach.core.coach import Coach
from voice_coach.core.events import (
    Heard,
    Interrupted,
    LineKind,
    Say,
    SessionFinished,
    SessionStarted,
    Tick,
)
from voice_coach.core.lines import default_table
from voice_coach.core.records import (
    Exchange,
    ExchangeRecord,
    Past,
    SpotPast,
    SpotRecord,
    StretchRecord,
)
from voice_coach.core.routine import load_routine
from voice_coach.core.state import SKIP_OFFER_REMINDER_AFTER, Context, ordinal
from voice_coach.core.transitions import TRANSITIONS, UNKNOWN
from voice_coach.runtime.text_session import TextSession

ROUTINE = load_routine("upper-back")
IDS = [s.id for s in ROUTINE.spots]
LINES = default_table()


def session(past: Past | None = None, seed: int = 4) -> tuple[Coach, list]:
    coach = Coach(ROUTINE, seed=seed, past=past)
    return coach, coach.handle(SessionStarted(at=0.0))


def hear(coach: Coach, intent: str | None, at: float, **extra) -> list:
    return coach.handle(Heard(intent=intent, text=intent or "mumble", at=at, **extra))


def tick_until(coach: Coach, done) -> list:
    """Tick from deadline to deadline until ``done(coach)``; every action on the way."""
    actions: list = []
    while not done(coach) and coach.next_deadline() is not None:
        actions += coach.handle(Tick(at=coach.next_deadline()))
    return actions


def in_hold(coach: Coach) -> float:
    """Tick to the current spot's hold; the session time it began."""
    tick_until(coach, lambda c: c.phase == "hold")
    assert coach.hold is not None
    return coach.hold.started


def says(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def of(kind, actions) -> list:
    return [a for a in actions if isinstance(a, kind)]


def wordings(key: str, **values) -> list[str]:
    return [text.format(**values) for text in LINES[key]]


def said_one_of(key: str, actions, **values) -> bool:
    return bool(set(wordings(key, **values)) & set(says(actions)))


# ----------------------------------------------------------------- spot records


def test_a_spot_worked_to_its_end_is_recorded_when_its_release_ends():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    ends = coach.hold.ends
    hear(coach, "harder", started + 2)  # the hold is re-timed: the held time follows the clock
    ends = coach.hold.ends
    actions = tick_until(coach, lambda c: c.spot_index == 1)
    [record] = of(SpotRecord, actions)
    assert record.spot_id == IDS[0] and record.spot_name == ROUTINE.spots[0].name
    assert record.levels == ("light", "moderate") and record.final_level == "moderate"
    assert record.held_seconds == pytest.approx(ends - started)
    assert record.pain_levels == () and not record.numbness and not record.skipped
    assert record.at == pytest.approx(ends + ROUTINE.timing.release)


def test_next_spot_before_the_hold_ends_records_a_skipped_spot_with_the_time_held():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    actions = hear(coach, "next_spot", started + 7)
    [record] = of(SpotRecord, actions)
    assert record.skipped and record.held_seconds == pytest.approx(7.0)
    assert record.levels == ("light",)
    # Nothing is said differently for it, and it comes after what is said.
    assert isinstance(actions[-1], SpotRecord | ExchangeRecord)


def test_next_spot_in_the_release_is_not_a_skip():
    coach, _ = session()
    hear(coach, "start", 1.0)
    tick_until(coach, lambda c: c.phase == "release")
    [record] = of(SpotRecord, hear(coach, "next_spot", coach.now + 1))
    assert not record.skipped and record.held_seconds > 0


def test_a_pause_is_not_counted_as_time_held():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    hear(coach, "pause", started + 5)
    hear(coach, "resume", started + 65)  # a minute paused
    actions = hear(coach, "next_spot", started + 70)
    [record] = of(SpotRecord, actions)
    assert record.held_seconds == pytest.approx(10.0)


def test_a_session_stopped_mid_spot_records_that_spot_before_it_finishes():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    hear(coach, "pause", started + 4)
    actions = hear(coach, "stop", started + 30)  # stopped while paused
    kinds = [type(a) for a in actions]
    assert kinds.index(SpotRecord) < kinds.index(SessionFinished) == len(kinds) - 1
    [record] = of(SpotRecord, actions)
    assert record.held_seconds == pytest.approx(4.0) and not record.skipped


def test_an_interrupted_session_records_the_spot_it_was_on():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    actions = coach.handle(Interrupted(at=started + 3))
    [record] = of(SpotRecord, actions)
    assert record.held_seconds == pytest.approx(3.0)
    assert of(ExchangeRecord, actions) == []  # Ctrl-C is not a command heard


def test_pain_then_next_spot_records_the_level_that_hurt_and_a_skip():
    coach, _ = session()
    hear(coach, "harder", 0.5)
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    assert of(SpotRecord, hear(coach, "pain", started + 3)) == []  # not over: softer retries it
    [record] = of(SpotRecord, hear(coach, "next_spot", started + 10))
    assert record.pain_levels == ("moderate",) and record.skipped
    assert record.final_level == "moderate" and record.held_seconds == pytest.approx(3.0)


def test_a_softer_retry_after_pain_is_the_same_spot_and_one_record():
    coach, _ = session()
    hear(coach, "harder", 0.5)
    hear(coach, "start", 1.0)
    first = in_hold(coach)
    hear(coach, "pain", first + 3)
    hear(coach, "softer", first + 10)
    second = in_hold(coach)
    actions = tick_until(coach, lambda c: c.spot_index == 1)
    [record] = of(SpotRecord, actions)
    assert record.spot_id == IDS[0]
    assert record.levels == ("moderate", "light") and record.final_level == "light"
    assert record.pain_levels == ("moderate",) and not record.skipped
    full = ROUTINE.hold_for(ROUTINE.spots[0], 0)
    assert record.held_seconds == pytest.approx(3.0 + full)
    assert second > first


def test_numbness_on_a_spot_is_recorded_before_the_session_ends():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    actions = hear(coach, "numbness", started + 2)
    [record] = of(SpotRecord, actions)
    assert record.numbness and not record.skipped
    assert isinstance(actions[-1], SessionFinished)


def test_next_spot_on_the_last_spot_is_a_skip():
    coach, _ = session()
    hear(coach, "start", 1.0)
    at = 1.0
    while coach.spot_index < len(ROUTINE.spots) - 1:
        at += 1
        hear(coach, "next_spot", at)
    actions = hear(coach, "next_spot", at + 1)
    assert coach.finished
    [record] = of(SpotRecord, actions)
    assert record.spot_id == IDS[-1] and record.skipped


def test_a_stretch_asked_for_mid_spot_does_not_end_the_spot():
    coach, _ = session()
    hear(coach, "start", 1.0)
    started = in_hold(coach)
    actions = hear(coach, "stretch", started + 6)
    assert of(SpotRecord, actions) == []
    actions = tick_until(coach, lambda c: c.mode == "spot")  # back to the same spot
    [stretch] = of(StretchRecord, actions)
    assert stretch.completed
    actions = tick_until(coach, lambda c: c.spot_index == 1)
    [record] = of(SpotRecord, actions)
    assert record.spot_id == IDS[0] and not record.skipped
    assert record.held_seconds == pytest.approx(6.0 + ROUTINE.hold_for(ROUTINE.spots[0], 0))


def test_a_whole_session_records_every_spot_and_stretch_once():
    coach, actions = session()
    actions += hear(coach, "start", 1.0)
    actions += tick_until(coach, lambda c: c.finished)
    spots = of(SpotRecord, actions)
    assert [r.spot_id for r in spots] == IDS
    assert not any(r.skipped for r in spots)
    stretches = of(StretchRecord, actions)
    assert len(stretches) == len(ROUTINE.spots) // ROUTINE.stretch_every
    assert all(s.completed for s in stretches)
    assert isinstance(actions[-1], SessionFinished)


# ----------------------------------------------------------------- stretch records


def test_a_stretch_cut_short_by_pain_excludes_its_pause():
    coach, _ = session()
    hear(coach, "start", 1.0)
    tick_until(coach, lambda c: c.mode == "stretch")
    begun = coach.now
    hear(coach, "pause", begun + 4)
    hear(coach, "resume", begun + 40)
    actions = hear(coach, "pain", begun + 46)
    [stretch] = of(StretchRecord, actions)
    assert not stretch.completed and stretch.seconds == pytest.approx(10.0)
    assert stretch.name == ROUTINE.stretches[0].name


def test_next_spot_in_a_stretch_cuts_it_short():
    coach, _ = session()
    hear(coach, "start", 1.0)
    tick_until(coach, lambda c: c.mode == "stretch")
    [stretch] = of(StretchRecord, hear(coach, "next_spot", coach.now + 3))
    assert not stretch.completed and stretch.seconds == pytest.approx(3.0)


# ----------------------------------------------------------------- exchange records


def test_commands_acted_on_are_recorded_ignored_ones_are_not():
    coach, _ = session()
    assert of(ExchangeRecord, hear(coach, "harder", 1.0)) == [
        ExchangeRecord(Exchange.COMMAND, "harder", 1.0)
    ]
    hear(coach, "stop", 2.0)
    assert of(ExchangeRecord, hear(coach, "harder", 3.0)) == []  # after the end: ignored
    assert of(ExchangeRecord, hear(coach, "pain", 4.0)) == [
        ExchangeRecord(Exchange.COMMAND, "pain", 4.0)  # still answered
    ]


def test_a_reprompt_is_recorded_when_it_is_said():
    coach, _ = session()
    first = hear(coach, None, 1.0)
    assert of(ExchangeRecord, first) == [ExchangeRecord(Exchange.REPROMPT, None, 1.0)]
    again = hear(coach, None, 2.0)  # too soon for another reprompt: nothing said, no record
    assert says(again) == [] and of(ExchangeRecord, again) == []


def test_a_question_and_the_yes_that_answers_it_are_recorded():
    coach, _ = session()
    hear(coach, "start", 1.0)
    asked = hear(coach, None, 2.0, near=("softer", "next_spot"))
    assert of(ExchangeRecord, asked) == [ExchangeRecord(Exchange.QUESTION, "softer", 2.0)]
    asked = hear(coach, None, 3.0, near=("harder",))
    assert says(asked) == ["Harder?"]
    yes = hear(coach, None, 4.0, answer="yes")
    assert of(ExchangeRecord, yes) == [ExchangeRecord(Exchange.COMMAND, "harder", 4.0)]
    assert of(ExchangeRecord, hear(coach, None, 5.0, answer="yeah")) == []


# ----------------------------------------------------------------- records change nothing said


@pytest.mark.parametrize("past", [None, Past()])
def test_without_a_past_the_session_says_exactly_what_it_said_before(past):
    script = ["@1 start", "@60 harder", "@120 ouch", "@125 softer", "@300 pause", "@320 resume"]

    def transcript(coach: Coach) -> str:
        out = io.StringIO()
        TextSession(coach, out).run_virtual(script)
        return out.getvalue()

    assert transcript(Coach(ROUTINE, seed=5, past=past)) == transcript(Coach(ROUTINE, seed=5))


# ----------------------------------------------------------------- the opening line


def test_a_first_session_says_nothing_about_last_time():
    _, welcome = session(Past())
    assert not said_one_of("past_tender", welcome, spots="x")
    assert len(says(welcome)) == 2 + len(ROUTINE.safety)


def test_a_spot_that_hurt_last_time_is_mentioned_between_the_welcome_and_ready():
    past = Past(sessions=1, spots={IDS[2]: SpotPast(pain_levels=("light",), tender_last_time=True)})
    _, welcome = session(past)
    said = says(welcome)
    # The spot's name up to its comma: "right rhomboids, between the shoulder blade..." is long.
    assert said[-2] in wordings("past_tender", spots="right rhomboids")
    assert said[-1] in wordings("ready")
    assert said[0].startswith(("Welcome", "Hi"))


def test_two_tender_spots_are_named_in_one_line():
    tender = SpotPast(pain_levels=("firm",), tender_last_time=True)
    past = Past(sessions=2, spots={IDS[0]: tender, IDS[1]: tender})
    _, welcome = session(past)
    names = "right upper trapezius and the left upper trapezius"
    assert said_one_of("past_tender", welcome, spots=names)


def test_numbness_last_time_is_what_the_opening_line_is_about():
    past = Past(
        sessions=1,
        spots={
            IDS[0]: SpotPast(pain_levels=("light",), tender_last_time=True),
            IDS[3]: SpotPast(numb_last_time=True),
        },
    )
    _, welcome = session(past)
    assert said_one_of("past_numb", welcome, spots="left rhomboids", it="it")
    assert not said_one_of("past_tender", welcome, spots="right upper trapezius")


def test_spots_of_another_routine_are_not_mentioned():
    past = Past(sessions=1, spots={"neck-left": SpotPast(tender_last_time=True)})
    _, welcome = session(past)
    assert len(says(welcome)) == 2 + len(ROUTINE.safety)


# ----------------------------------------------------------------- the starting pressure


def first_spot(past: Past, *preset: str) -> tuple[Coach, list]:
    coach, _ = session(past)
    for intent in preset:
        hear(coach, intent, 0.5)
    return coach, hear(coach, "start", 1.0)


def test_a_spot_starts_at_the_level_settled_on_there_and_says_so():
    coach, actions = first_spot(Past(sessions=1, spots={IDS[0]: SpotPast(settled_level="firm")}))
    assert coach.level == 2
    said = says(actions)
    assert said[1] in wordings("past_start_settled", pressure="firm")
    assert said[2] == ROUTINE.spots[0].placement
    assert said[3] == ROUTINE.pressures[2].cue(ROUTINE.spots[0].position).format(ball="ball")


def test_a_settled_level_this_routine_does_not_have_starts_at_its_default():
    spots = {IDS[0]: SpotPast(settled_level="firm"), IDS[1]: SpotPast(settled_level="crushing")}
    coach, _ = first_spot(Past(sessions=1, spots=spots))
    assert coach.level == 2
    actions = hear(coach, "next_spot", 5.0)
    assert coach.level == ROUTINE.start_pressure
    assert said_one_of("past_start_settled", actions, pressure="light")


def test_a_spot_without_history_keeps_the_level_carried_from_the_spot_before():
    past = Past(sessions=1, spots={IDS[0]: SpotPast(settled_level="moderate")})
    coach, _ = first_spot(past)
    assert coach.level == 1
    actions = hear(coach, "next_spot", 5.0)
    assert coach.spot_index == 1 and coach.level == 1
    assert not said_one_of("past_start_settled", actions, pressure="moderate")


def test_the_level_never_reaches_one_that_hurt_there():
    hurt = SpotPast(settled_level="firm", pain_levels=("firm", "moderate"), tender_last_time=True)
    spots = {IDS[0]: SpotPast(settled_level="firm"), IDS[1]: hurt}
    coach, _ = first_spot(Past(sessions=3, spots=spots))
    assert coach.level == 2
    actions = hear(coach, "next_spot", 5.0)
    assert coach.level == 0
    assert said_one_of("past_start_capped", actions, pressure="light")


def test_the_cap_holds_a_level_the_user_chose_but_a_choice_beats_the_settled_level():
    chose_firm = first_spot(
        Past(sessions=1, spots={IDS[0]: SpotPast(settled_level="light", pain_levels=("firm",))}),
        "harder",
        "harder",
    )
    assert chose_firm[0].level == 1
    assert said_one_of("past_start_capped", chose_firm[1], pressure="moderate")
    chose_moderate = first_spot(
        Past(sessions=1, spots={IDS[0]: SpotPast(settled_level="light")}), "harder"
    )
    assert chose_moderate[0].level == 1  # as the user asked, not the light of last time


def test_pain_on_the_lightest_level_keeps_the_lightest():
    past = Past(sessions=1, spots={IDS[0]: SpotPast(pain_levels=("light",))})
    coach, actions = first_spot(past)
    assert coach.level == 0
    assert not said_one_of("past_start_capped", actions, pressure="light")  # no change to say


def test_after_pain_the_next_spot_still_starts_light_whatever_last_time_says():
    past = Past(sessions=1, spots={IDS[1]: SpotPast(settled_level="firm")})
    coach, _ = first_spot(past)
    started = in_hold(coach)
    hear(coach, "pain", started + 2)
    actions = hear(coach, "next_spot", started + 5)
    assert coach.spot_index == 1 and coach.level == 0
    assert said_one_of("light_after_pain", actions)


def test_a_retry_does_not_go_back_to_the_remembered_level():
    past = Past(sessions=1, spots={IDS[0]: SpotPast(settled_level="firm")})
    coach, _ = first_spot(past)
    started = in_hold(coach)
    hear(coach, "pain", started + 2)
    hear(coach, "softer", started + 5)
    assert coach.spot_index == 0 and coach.level == 1


# ----------------------------------------------------------------- the offer to skip a spot

NUMB_FIRST = Past(sessions=1, spots={IDS[0]: SpotPast(numb_last_time=True, settled_level="firm")})
NUMB_LAST = Past(sessions=1, spots={IDS[-1]: SpotPast(numb_last_time=True)})


def offered(past: Past = NUMB_FIRST) -> tuple[Coach, list]:
    coach, _ = session(past)
    return coach, hear(coach, "start", 1.0)


def test_a_spot_that_brought_numbness_is_offered_to_be_skipped_before_it_starts():
    coach, actions = offered()
    said = says(actions)
    assert said[1] in wordings("skip_offer") and len(said) == 2
    assert coach.context == Context.SKIP_OFFER and coach.hold is None
    reminder = coach.handle(Tick(at=1.0 + SKIP_OFFER_REMINDER_AFTER))
    assert says(reminder) == wordings("skip_offer_reminder")
    assert [a.kind for a in reminder] == [LineKind.REPLY]


@pytest.mark.parametrize("answer", [{"intent": "next_spot"}, {"intent": None, "answer": "no"}])
def test_next_spot_or_no_skips_it_and_records_a_skip(answer):
    coach, _ = offered()
    actions = coach.handle(Heard(text="x", at=5.0, **answer))
    assert coach.spot_index == 1 and coach.context == Context.SPOT
    [record] = of(SpotRecord, actions)
    assert record.spot_id == IDS[0] and record.skipped
    assert record.levels == () and record.held_seconds == 0 and not record.numbness


@pytest.mark.parametrize(
    "answer", [{"intent": "start"}, {"intent": "resume"}, {"intent": None, "answer": "yes"}]
)
def test_start_resume_or_yes_goes_ahead_at_the_lightest_level(answer):
    coach, _ = offered()
    actions = coach.handle(Heard(text="x", at=5.0, **answer))
    assert coach.spot_index == 0 and coach.level == 0 and coach.phase == "placement"
    said = says(actions)
    assert said[0] in wordings("skip_offer_go_ahead", pressure="light")
    assert said[1:] == [ROUTINE.spots[0].placement, ROUTINE.pressures[0].cue("wall")]
    heard_as = answer["intent"] or "start"  # a yes to the offer is a start
    assert of(ExchangeRecord, actions) == [ExchangeRecord(Exchange.COMMAND, heard_as, 5.0)]
    actions = tick_until(coach, lambda c: c.spot_index == 1)
    [record] = of(SpotRecord, actions)
    assert record.levels == ("light",) and not record.skipped


def test_stop_during_the_offer_ends_without_recording_the_spot_not_begun():
    coach, _ = offered()
    actions = hear(coach, "stop", 5.0)
    assert coach.finished and of(SpotRecord, actions) == []


def test_pain_during_the_offer_is_answered_and_the_offer_stands():
    coach, _ = offered()
    actions = hear(coach, "pain", 5.0)
    assert actions[0].kind == LineKind.ALERT
    assert says(actions)[-1] in wordings("skip_offer")
    assert coach.context == Context.SKIP_OFFER
    hear(coach, "next_spot", 6.0)
    assert coach.spot_index == 1


def test_numbness_during_the_offer_ends_the_session():
    coach, _ = offered()
    actions = hear(coach, "numbness", 5.0)
    assert coach.finished and actions[0].kind == LineKind.ALERT
    assert of(SpotRecord, actions) == []


def test_help_during_the_offer_names_its_answers_and_other_commands_remind():
    coach, _ = offered()
    assert says(hear(coach, "help", 5.0))[0] in wordings(
        "help", commands="start, next spot, or stop"
    )
    for intent in ("harder", "softer", "pause", "stretch"):
        assert says(hear(coach, intent, 6.0)) == wordings("skip_offer_reminder")
    assert says(hear(coach, "repeat", 7.0))[-1] in wordings("skip_offer")


def test_skipping_the_last_spot_when_offered_ends_the_session():
    coach, _ = session(NUMB_LAST)
    hear(coach, "start", 1.0)
    at = 1.0
    while coach.spot_index < len(ROUTINE.spots) - 1:
        at += 1
        hear(coach, "next_spot", at)
    assert coach.context == Context.SKIP_OFFER
    actions = hear(coach, "next_spot", at + 1)
    assert coach.finished
    assert [r.spot_id for r in of(SpotRecord, actions)] == [IDS[-1]]


def test_the_offer_is_made_once_a_session():
    coach, _ = offered()
    hear(coach, "start", 2.0)  # go ahead
    started = in_hold(coach)
    hear(coach, "stretch", started + 2)
    actions = tick_until(coach, lambda c: c.mode == "spot")  # back to the same spot
    assert not said_one_of("skip_offer", actions)


@pytest.mark.parametrize("intent", [*sorted({i for i, _ in TRANSITIONS}), None])
def test_every_command_is_answered_during_the_offer(intent):
    assert (intent or UNKNOWN, Context.SKIP_OFFER) in TRANSITIONS
    coach, _ = offered()
    actions = hear(coach, intent, 5.0)
    assert all(a.at >= 5.0 for a in actions)
    tick_until(coach, lambda c: c.finished or c.now > 600)


# ----------------------------------------------------------------- regularity


def closing(past: Past, *script: str) -> list[str]:
    coach, _ = session(past)
    hear(coach, "start", 1.0)
    at = 2.0
    for intent in script:
        hear(coach, intent, at)
        at += 1
    return says(hear(coach, "stop", at))


def test_a_second_or_later_session_this_week_is_counted_after_the_summary():
    said = closing(Past(sessions=5, sessions_this_week=2, days_since_last=1.0))
    assert said[-1] == "That's your third session this week."
    assert said[-2].startswith(("That's the end", "All done"))


def test_a_long_gap_is_welcomed_back():
    said = closing(Past(sessions=5, sessions_this_week=0, days_since_last=9.6))
    assert said[-1] == "Good to have you back after 9 days."


@pytest.mark.parametrize(
    "past", [Past(), Past(sessions=3, sessions_this_week=0, days_since_last=3.0)]
)
def test_nothing_is_said_about_regularity_on_a_first_session_or_when_it_says_nothing(past):
    said = closing(past)
    assert said[-1].startswith(("That's the end", "All done"))


def test_advice_after_numbness_stays_the_last_word():
    coach, _ = session(Past(sessions=5, sessions_this_week=3))
    hear(coach, "start", 1.0)
    said = says(hear(coach, "numbness", 2.0))
    assert said[-1] in wordings("numbness_advice")
    assert "session this week" not in " ".join(said)


@pytest.mark.parametrize(
    "n, word",
    [(2, "second"), (3, "third"), (7, "seventh"), (8, "8th"), (11, "11th"), (21, "21st"),
     (22, "22nd"), (23, "23rd"), (112, "112th")],
)  # fmt: skip
def test_ordinals(n, word):
    assert ordinal(n) == word


# ----------------------------------------------------------------- in text mode


def test_text_mode_shows_the_lines_about_last_time():
    past = Past(
        sessions=4,
        sessions_this_week=1,
        days_since_last=2.0,
        spots={
            IDS[0]: SpotPast(settled_level="moderate"),
            IDS[2]: SpotPast(settled_level="firm", pain_levels=("firm",), tender_last_time=True),
        },
    )
    out = io.StringIO()
    TextSession(Coach(ROUTINE, seed=0, past=past), out).run_virtual(["@1 start"])
    text = out.getvalue()
    assert "coach: Last time the right rhomboids felt tender" in text or (
        "coach: The right rhomboids felt tender last time" in text
    )
    assert "moderate pressure here" in text
    assert text.rstrip().endswith("coach: That's your second session this week.")
