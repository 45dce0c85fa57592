"""The dialogue manager on its own: events in, actions out, no clock but the events' times."""

import itertools

import pytest

from tests.scripted import with_numbers
from voice_coach.core.coach import Coach
from voice_coach.core.events import (
    CancelCountdown,
    DeviceBack,
    DeviceLost,
    Heard,
    Interrupted,
    LineKind,
    Say,
    SessionFinished,
    SessionStarted,
    SpeechQueued,
    StartCountdown,
    Tick,
)
from voice_coach.core.lines import default_table
from voice_coach.core.records import Exchange, ExchangeRecord
from voice_coach.core.routine import load_routine
from voice_coach.core.state import ROOM_AFTER_SPEECH, Context
from voice_coach.core.transitions import TRANSITIONS, UNKNOWN
from voice_coach.runtime.clock import MockClock

ROUTINE = load_routine("upper-back")


def drive(heard: dict[float, str], step: float, until: float = 1200.0, seed: int = 3):
    """Run a session ticking every ``step`` seconds, delivering ``heard`` intents at their times."""
    coach = Coach(ROUTINE, seed=seed)
    actions = coach.handle(SessionStarted(at=0.0))
    t = 0.0
    pending = sorted(heard.items())
    while t < until and not coach.finished:
        t = round(t + step, 6)
        while pending and pending[0][0] <= t:
            at, intent = pending.pop(0)
            actions += coach.handle(Tick(at=at))
            actions += coach.handle(Heard(intent=intent, text=intent, at=at))
        actions += coach.handle(Tick(at=t))
    return coach, actions


def test_the_result_does_not_depend_on_tick_spacing():
    heard = {0.5: "start", 61.0: "harder", 130.0: "pause", 170.0: "resume", 400.0: "stretch"}
    _, fine = drive(heard, step=0.25)
    _, coarse = drive(heard, step=3.0)
    fine, coarse = with_numbers(fine), with_numbers(coarse)
    said_fine = [(a.text, a.at) for a in fine if isinstance(a, Say)]
    said_coarse = [(a.text, a.at) for a in coarse if isinstance(a, Say)]
    assert said_fine == said_coarse
    assert any(isinstance(a, SessionFinished) for a in fine)


def test_next_deadline_tells_the_runtime_when_to_tick():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=2.0))
    assert coach.next_deadline() == pytest.approx(2.0 + ROUTINE.timing.placement)
    assert coach.handle(Tick(at=coach.next_deadline() - 0.01)) == []
    assert [a.text for a in coach.handle(Tick(at=coach.next_deadline()))] == [
        ROUTINE.spots[0].rolling
    ]


def test_hold_starts_a_countdown_and_pain_cancels_it_at_the_same_time():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=0.0))
    actions = []
    while not any(isinstance(a, StartCountdown) for a in actions):
        actions = coach.handle(Tick(at=coach.next_deadline()))
    countdown = next(a for a in actions if isinstance(a, StartCountdown))
    assert 15 <= countdown.seconds <= 30
    assert countdown.ends_at == pytest.approx(countdown.at + countdown.seconds)
    ouch_at = countdown.at + 4.2
    actions = coach.handle(Heard(intent="pain", text="ouch", at=ouch_at))
    ouch = [a for a in actions if a.at == ouch_at]  # the breathing cue at +3 s came first
    assert isinstance(ouch[0], CancelCountdown) and ouch[0].at == countdown.at + 4.2
    assert ouch[1].kind == LineKind.ALERT and ouch[1].at == countdown.at + 4.2
    # Nothing of the old hold is left: no numbers, no release.
    later = coach.handle(Tick(at=countdown.ends_at + 1))
    assert later == []


def test_countdown_numbers_are_count_lines_due_on_their_second():
    _, actions = drive({0.0: "start"}, step=1.0, until=120)
    counts = [a for a in with_numbers(actions) if isinstance(a, Say) and a.kind == LineKind.COUNT]
    assert [a.text for a in counts[:5]] == ["Five.", "Four.", "Three.", "Two.", "One."]
    assert [b.at - a.at for a, b in itertools.pairwise(counts[:5])] == [1.0] * 4


def test_events_from_the_past_do_not_move_time_backwards():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=10.0))
    late = coach.handle(Heard(intent="repeat", text="repeat", at=5.0))
    assert all(a.at >= 10.0 for a in late)


def test_finished_session_ignores_commands_but_still_answers_pain():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="stop", text="stop", at=1.0))
    assert coach.finished and coach.next_deadline() is None
    assert coach.handle(Heard(intent="harder", text="harder", at=2.0)) == []
    assert coach.handle(Heard(intent="pain", text="ouch", at=3.0))[0].kind == LineKind.ALERT


@pytest.mark.parametrize("intent", ["harder", "softer", "next_spot", "stretch", "pause", "resume",
                                    "repeat", "stop", "help", "pain", "numbness", "start",
                                    None])  # fmt: skip
def test_every_intent_is_handled_in_every_state(intent):
    # Reach each state, then say the intent: nothing raises, and time never runs backwards.
    for prelude in ([], ["start"], ["start", "pause"], ["start", "pain"], ["start", "stretch"]):
        coach = Coach(ROUTINE, seed=2)
        coach.handle(SessionStarted(at=0.0))
        coach.handle(Heard("start", "start", 1.0))  # on a spot: next spot is one of them
        t = 0.0
        for said in prelude:
            t += 1
            coach.handle(Heard(intent=said, text=said, at=t))
        actions = coach.handle(Heard(intent=intent, text=str(intent), at=t + 1))
        assert all(a.at >= t + 1 for a in actions)


def test_a_phase_waits_until_its_spoken_instructions_have_been_heard():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=2.0))
    # At a slow speaking rate the placement lines outlast the placement phase.
    long_speech = 2.0 + ROUTINE.timing.placement + 10.0
    assert coach.handle(SpeechQueued(until=long_speech, at=2.5)) == []
    assert coach.handle(Tick(at=long_speech + 1.0)) == []
    rolling = coach.handle(Tick(at=coach.next_deadline()))
    assert [a.text for a in rolling] == [ROUTINE.spots[0].rolling]
    assert rolling[0].at == pytest.approx(long_speech + ROOM_AFTER_SPEECH)


def test_speech_that_ends_in_time_changes_nothing_and_a_hold_is_never_stretched():
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=2.0))
    coach.handle(SpeechQueued(until=3.0, at=2.5))
    assert coach.next_deadline() == pytest.approx(2.0 + ROUTINE.timing.placement)
    while coach.phase != "hold":
        coach.handle(Tick(at=coach.next_deadline()))
    hold = coach.hold
    coach.handle(SpeechQueued(until=hold.ends + 30.0, at=hold.started + 0.5))
    actions = []
    while coach.phase == "hold":
        actions += coach.handle(Tick(at=coach.next_deadline()))
    releases = [text.format(ball="ball") for text in default_table()["release"]]
    release = [a for a in actions if isinstance(a, Say) and a.text in releases]
    assert release and release[0].at == pytest.approx(hold.ends)


def test_repeat_says_what_the_last_event_made_the_coach_say_not_all_lines_of_that_second():
    coach = Coach(ROUTINE, seed=1)
    welcome = coach.handle(SessionStarted(at=0.0))
    spot = coach.handle(Heard(intent="start", text="start", at=0.0))
    again = coach.handle(Heard(intent="repeat", text="repeat", at=0.0))
    # What is said (the history's records of the two commands are not said).
    assert says(again) == says(spot)
    assert not set(says(welcome)) & set(says(again))
    assert [a for a in again if not isinstance(a, Say)] == [
        ExchangeRecord(Exchange.COMMAND, "repeat", 0.0)
    ]


def run_to_hold(coach: Coach, clock: MockClock) -> StartCountdown:
    """Tick ``coach`` on ``clock`` until a hold starts; its countdown."""
    while True:
        clock.advance_to(coach.next_deadline())
        actions = coach.handle(Tick(at=clock.now()))
        for action in actions:
            if isinstance(action, StartCountdown):
                return action


def halfway_and_countdown(presses: dict[float, str], preset: tuple[str, ...] = ()):
    """Said at a hold's halfway mark, the hold as last announced, and the numbers, when
    ``presses`` (seconds into the hold -> intent) change it; on the mock clock."""
    clock = MockClock()
    coach = Coach(ROUTINE, seed=1)
    coach.handle(SessionStarted(at=clock.now()))
    for intent in preset:
        coach.handle(Heard(intent=intent, text=intent, at=clock.now()))
    coach.handle(Heard(intent="start", text="start", at=clock.now()))
    countdown = run_to_hold(coach, clock)
    actions: list = []
    for offset, intent in sorted(presses.items()):
        while (due := coach.next_deadline()) is not None and due <= countdown.at + offset:
            clock.advance_to(due)
            actions += coach.handle(Tick(at=clock.now()))
        clock.advance_to(countdown.at + offset)
        actions += coach.handle(Heard(intent=intent, text=intent, at=clock.now()))
    while coach.phase == "hold":
        clock.advance_to(coach.next_deadline())
        actions += coach.handle(Tick(at=clock.now()))
    last = [countdown, *(a for a in actions if isinstance(a, StartCountdown))][-1]
    halfway = [a for a in actions if isinstance(a, Say) and a.text.startswith("Halfway")]
    said = with_numbers([countdown, *actions])
    numbers = [a for a in said if isinstance(a, Say) and a.kind == LineKind.COUNT]
    return countdown.at, last, halfway, numbers


@pytest.mark.parametrize(
    ("presses", "preset", "paused"),
    [
        # 30 s became 20: halfway was heard 0.6 s before "Five."
        ({1.0: "harder", 2.0: "harder"}, (), 0.0),
        ({2.0: "softer", 3.0: "softer"}, ("harder", "harder"), 0.0),  # 20 s became 30
        ({1.0: "pause", 20.0: "harder", 40.0: "resume"}, (), 39.0),  # re-timed while paused
    ],
)
def test_halfway_follows_the_holds_length_when_harder_or_softer_changes_it(presses, preset, paused):
    started, last, halfway, numbers = halfway_and_countdown(presses, preset)
    assert len(halfway) == 1
    length = last.ends_at - started - paused
    assert halfway[0].at == pytest.approx(started + paused + length / 2)
    assert numbers[0].text == "Five." and numbers[0].at - halfway[0].at >= 5


def test_halfway_already_said_is_not_said_again_after_a_change():
    started, last, halfway, _ = halfway_and_countdown({10.5: "softer"}, ("harder", "harder"))
    # Softer just after the 20 s hold's halfway mark: the new one, at 11.1 s, is still ahead.
    assert last.ends_at - started > 22
    assert len(halfway) == 1 and halfway[0].at == pytest.approx(started + 10)


def in_a_hold(seed: int = 1) -> tuple[Coach, StartCountdown]:
    clock = MockClock()
    coach = Coach(ROUTINE, seed=seed)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard(intent="start", text="start", at=0.0))
    return coach, run_to_hold(coach, clock)


def says(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


@pytest.mark.parametrize("text", ["my arm is numb", "tingling", "I can't feel my fingers"])
def test_numbness_stops_the_hold_and_ends_the_session_with_advice(text):
    from intents.matcher import IntentMatcher

    intent = IntentMatcher().match(text).intent
    assert intent == "numbness"
    coach, countdown = in_a_hold()
    at = countdown.at + 6
    coach.handle(Tick(at=at))  # the breathing cue
    actions = coach.handle(Heard(intent=intent, text=text, at=at))
    assert isinstance(actions[0], CancelCountdown) and actions[0].at == at
    assert actions[1].kind == LineKind.ALERT and "off the ball" in actions[1].text
    assert coach.finished and coach.next_deadline() is None
    assert isinstance(actions[-1], SessionFinished)
    spoken = " ".join(says(actions))
    assert "doctor or physiotherapist" in spoken and ("persist" in spoken or "spread" in spoken)
    assert all(a.at == at for a in actions)
    assert not any(t.startswith("Spot ") for t in says(actions))
    assert coach.handle(Tick(at=at + 100)) == []


@pytest.mark.parametrize(
    "prelude", [[], ["start", "pain"], ["start", "stretch"], ["start", "pause"]]
)
def test_numbness_ends_the_session_from_any_state(prelude):
    coach = Coach(ROUTINE, seed=2)
    coach.handle(SessionStarted(at=0.0))
    for t, said in enumerate(prelude, start=1):
        coach.handle(Heard(intent=said, text=said, at=float(t)))
    actions = coach.handle(Heard(intent="numbness", text="numb", at=10.0))
    assert coach.finished and isinstance(actions[-1], SessionFinished)
    assert actions[0].kind == LineKind.ALERT or isinstance(actions[0], CancelCountdown)
    assert "doctor or physiotherapist" in " ".join(says(actions))
    # Once over, numbness is still answered.
    again = coach.handle(Heard(intent="numbness", text="numb", at=20.0))
    assert again and again[0].kind == LineKind.ALERT


@pytest.mark.parametrize("intent", ["pain", "numbness", "stop"])
def test_only_the_first_line_of_an_urgent_answer_cuts_speech(intent):
    # An alert cuts whatever is being said, an alert queued just before it too: the lines that
    # follow it in the same answer must queue behind it, not cut it off.
    coach, countdown = in_a_hold()
    at = countdown.at + 6
    actions = coach.handle(Heard(intent=intent, text=intent, at=at))
    kinds = [a.kind for a in actions if isinstance(a, Say) and a.at == at]
    assert kinds[0] == LineKind.ALERT and LineKind.ALERT not in kinds[1:]


def hear(coach: Coach, intent: str, at: float) -> list:
    return coach.handle(Heard(intent=intent, text=intent, at=at))


def to_spot_hold(coach: Coach, index: int, at: float) -> float:
    """Skip to spot ``index`` and tick until its hold; the session time the hold started."""
    while coach.spot_index < index:
        at += 1
        hear(coach, "next_spot", at)
    while coach.phase != "hold":
        at = coach.next_deadline()
        coach.handle(Tick(at=at))
    return at


def started_session(*preset: str) -> Coach:
    coach = Coach(ROUTINE, seed=4)
    coach.handle(SessionStarted(at=0.0))
    for intent in preset:
        hear(coach, intent, 0.0)
    hear(coach, "start", 0.0)
    return coach


def asks_to_end(actions) -> bool:
    text = " ".join(says(actions)).lower()
    return "say stop to finish" in text and "next spot" in text


def test_first_pain_offers_the_usual_choices_not_the_end():
    coach = started_session()
    at = to_spot_hold(coach, 0, 0.0)
    assert not asks_to_end(hear(coach, "pain", at + 2))


def test_second_pain_on_the_same_spot_offers_to_end_and_stop_ends_with_advice():
    coach = started_session("harder")
    at = to_spot_hold(coach, 0, 0.0)
    hear(coach, "pain", at + 2)
    hear(coach, "softer", at + 5)  # the same spot again, lighter
    at = to_spot_hold(coach, 0, at + 5)
    actions = hear(coach, "pain", at + 3)
    assert asks_to_end(actions) and not coach.finished
    # The question is the instruction to repeat; other commands wait for the answer.
    assert says(hear(coach, "repeat", at + 4)) == [says(actions)[-1]]
    assert not coach.finished and coach.next_deadline() is not None
    actions = hear(coach, "stop", at + 6)
    assert coach.finished and isinstance(actions[-1], SessionFinished)
    assert "doctor or physiotherapist" in " ".join(says(actions))


@pytest.mark.parametrize("answer", ["next_spot", "resume", "softer"])
def test_next_spot_or_continue_after_the_offer_goes_on_at_light_pressure(answer):
    coach = started_session("harder", "harder")
    at = to_spot_hold(coach, 0, 0.0)
    hear(coach, "pain", at + 2)
    hear(coach, "resume", at + 4)  # the same spot again, as it was
    at = to_spot_hold(coach, 0, at + 4)
    assert asks_to_end(hear(coach, "pain", at + 3))
    actions = hear(coach, answer, at + 5)
    assert not coach.finished and coach.level == 0
    assert coach.spot_index == 1 and coach.mode == "spot"
    assert "light pressure" in " ".join(says(actions))


def test_third_pain_in_a_session_offers_to_end_even_on_new_spots():
    coach = started_session()
    at = 0.0
    for index in range(3):
        at = to_spot_hold(coach, index, at)
        actions = hear(coach, "pain", at + 2)
        at += 2
        if index < 2:
            assert not asks_to_end(actions), index
            hear(coach, "next_spot", at + 1)
            at += 1
    assert asks_to_end(actions)


def test_ouch_said_again_while_off_the_ball_is_the_same_report():
    coach = started_session()
    at = to_spot_hold(coach, 0, 0.0)
    hear(coach, "pain", at + 2)
    assert not asks_to_end(hear(coach, "pain", at + 3))


@pytest.mark.parametrize("preset", [("harder",), ("harder", "harder"), ()])
def test_after_pain_the_next_spot_starts_light_and_the_coach_says_so(preset):
    coach = started_session(*preset)
    at = to_spot_hold(coach, 0, 0.0)
    hear(coach, "pain", at + 2)
    actions = hear(coach, "next_spot", at + 5)
    assert coach.spot_index == 1 and coach.level == 0
    text = " ".join(says(actions))
    assert "light pressure" in text
    assert ROUTINE.pressures[0].cue("wall").format(ball="ball") in text


def test_after_a_lighter_retry_of_the_painful_spot_the_spot_after_it_starts_light():
    coach = started_session("harder", "harder")
    at = to_spot_hold(coach, 0, 0.0)
    hear(coach, "pain", at + 2)
    hear(coach, "softer", at + 4)
    assert coach.spot_index == 0 and coach.level == 1
    actions = []
    while coach.spot_index == 0:
        actions = coach.handle(Tick(at=coach.next_deadline()))
    assert coach.spot_index == 1 and coach.level == 0
    assert "light pressure" in " ".join(says(actions))


def test_the_transition_table_answers_every_command_in_every_context():
    from intents.catalog import default_catalog

    for intent in [*default_catalog().names(), UNKNOWN]:
        for context in Context:
            assert (intent, context) in TRANSITIONS, (intent, context)


def test_a_lost_device_pauses_the_hold_without_the_reply_to_pause_and_its_return_resumes():
    coach, countdown = in_a_hold()
    at = countdown.at + 6
    coach.handle(Tick(at=at))
    lost = coach.handle(DeviceLost("microphone", at))
    assert isinstance(lost[0], CancelCountdown)
    assert [(a.text, a.kind) for a in lost[1:]] == [
        ("The microphone stopped working. Pausing.", LineKind.ALERT)
    ]
    assert coach.paused and coach.context == Context.PAUSED
    back = coach.handle(DeviceBack("microphone", at + 10))
    assert not coach.paused
    assert [a.kind for a in back if isinstance(a, Say)] == [LineKind.REPLY]
    restarted = [a for a in back if isinstance(a, StartCountdown)]
    assert restarted and restarted[0].ends_at == pytest.approx(countdown.ends_at + 10)


def test_a_device_back_does_not_resume_a_pause_the_user_asked_for():
    coach, countdown = in_a_hold()
    hear(coach, "pause", countdown.at + 1)
    assert coach.handle(DeviceLost("speaker", countdown.at + 2)) == []
    assert coach.handle(DeviceBack("speaker", countdown.at + 3)) == []
    assert coach.paused


def test_interrupted_ends_the_session_as_stop_does():
    stopped, interrupted = Coach(ROUTINE, seed=4), Coach(ROUTINE, seed=4)
    for coach in (stopped, interrupted):
        coach.handle(SessionStarted(at=0.0))
        coach.handle(Heard("start", "start", 1.0))  # on a spot: next spot is one of them
        hear(coach, "start", 1.0)
    by_voice = hear(stopped, "stop", 20.0)
    # The same, but for the record of a command heard: Ctrl-C was not heard.
    heard_stop = ExchangeRecord(Exchange.COMMAND, "stop", 20.0)
    assert heard_stop in by_voice
    assert interrupted.handle(Interrupted(at=20.0)) == [a for a in by_voice if a != heard_stop]
    assert interrupted.finished


def test_help_names_the_commands_as_the_coach_was_told_to_say_them():
    from intents.catalog import default_catalog

    def helped(coach: Coach) -> str:
        coach.handle(SessionStarted(at=0.0))
        coach.handle(Heard("start", "start", 1.0))  # on a spot: next spot is one of them
        return " ".join(
            a.text for a in coach.handle(Heard("help", "help", 2.0)) if isinstance(a, Say)
        )

    assert "next spot" in helped(Coach(ROUTINE))  # the catalog's spoken names by default
    names = {**default_catalog().spoken_names(), "stretch": "stretch break"}
    assert "stretch break" in helped(Coach(ROUTINE, command_names=names))
