"""The user's ball (issue 17): kinds are data, the coach asks which one when none is configured,
and pressure, holds and a few lines follow it; `voice-coach setup` and the session keep it in the
config file without touching anything else there."""

from __future__ import annotations

import io
import sys
from importlib import resources

import pytest

from intents.catalog import CatalogError, default_catalog, load_catalog
from intents.matcher import IntentMatcher
from voice_coach import cli
from voice_coach.config_file import set_top_level
from voice_coach.core.balls import BallError, ball_ids, ball_kind, default_balls, parse_balls
from voice_coach.core.coach import Coach
from voice_coach.core.coach_speech import coach_sentences
from voice_coach.core.events import BallChosen, Heard, LineKind, Say, SessionStarted, Tick
from voice_coach.core.lines import default_table
from voice_coach.core.routine import RoutineError, load_routine
from voice_coach.runtime.text_session import TextSession
from voice_coach.settings import Settings, load_settings

UPPER_BACK = load_routine("upper-back")
QUICK = load_routine("quick")
QUESTION = default_table()["ball_question"][0]


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    """Every test's config file is a missing file in tmp_path (never the user's own)."""
    path = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(path))
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(tmp_path / "data"))
    return path


def transcript(coach: Coach, script: list[str]) -> list[str]:
    out = io.StringIO()
    TextSession(coach, out=out, err=io.StringIO()).run_virtual(script)
    return out.getvalue().splitlines()


def coach_lines(lines: list[str]) -> list[str]:
    return [line.split("] coach: ", 1)[1] for line in lines if "] coach: " in line]


def hold_seconds(lines: list[str]) -> list[int]:
    """The hold lengths said, in order."""
    holds = []
    for text in coach_lines(lines):
        for wording in default_table()["hold"]:
            prefix, suffix = wording.split("{seconds}")
            if text.startswith(prefix) and text.endswith(suffix):
                holds.append(int(text[len(prefix) : len(text) - len(suffix)]))
    return holds


class Recording(Coach):
    """A coach that keeps every action it returned."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions: list = []

    def handle(self, event):
        actions = super().handle(event)
        self.actions += actions
        return actions


# ----------------------------------------------------------------- data


def test_the_four_kinds_and_what_they_change():
    balls = default_balls()
    assert list(balls) == ["soft", "firm", "spiky", "two-balls"] == ball_ids()
    assert balls["soft"].start_pressure == "routine" and balls["soft"].hold_factor == 1.0
    assert balls["firm"].start_pressure == "light" and balls["firm"].hold_factor < 1.0
    assert balls["spiky"].hold_factor < balls["firm"].hold_factor and balls["spiky"].first_cue
    assert balls["two-balls"].two_balls and not balls["soft"].two_balls
    assert (
        ball_kind("firm").confirm == "A firm ball: we'll start light and keep holds a bit shorter."
    )


GOOD = 'id = "x"\nname = "x ball"\nconfirm = "An x ball."\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "needs [[ball]] entries"),
        ("ball = 3", "needs [[ball]] entries"),
        ("ball = [1, 2]", "written as [[ball]] tables"),
        ("[[ball]\n", "not valid TOML"),
        ('[[ball]]\nname = "x"\nconfirm = "y"\n', "ball 1 (?): id must be non-empty text"),
        ('[[ball]]\nid = "x"\nname = "x ball"\n', "ball 1 (x): confirm must be non-empty text"),
        (f"[[ball]]\n{GOOD}[[ball]]\n{GOOD}", "ball 2: id 'x' is used twice"),
        (f"[[ball]]\n{GOOD}hold_factor = 1.2\n", "hold_factor must be 0.5 to 1.0"),
        (f"[[ball]]\n{GOOD}hold_factor = true\n", "hold_factor must be 0.5 to 1.0"),
        (f'[[ball]]\n{GOOD}start_pressure = "hard"\n', "start_pressure must be one of routine"),
        (f'[[ball]]\n{GOOD}two_balls = "yes"\n', "two_balls must be true or false"),
        (f'[[ball]]\n{GOOD}first_cue = ""\n', "first_cue must be non-empty text"),
        (f"[[ball]]\n{GOOD}colour = 1\n", "unknown field 'colour'"),
    ],
)
def test_a_bad_ball_file_is_one_sentence_naming_the_problem(text, problem):
    with pytest.raises(BallError) as caught:
        parse_balls(text, "balls.toml")
    message = str(caught.value)
    assert message.startswith("balls.toml: ") and problem in message
    assert "\n" not in message


def test_an_unknown_kind_is_one_sentence_with_the_choices():
    with pytest.raises(BallError, match="no ball called 'golf'; choose one of soft, firm"):
        ball_kind("golf")


def test_the_catalog_answers_for_exactly_the_kinds_and_stays_out_of_the_grammars():
    catalog = default_catalog()
    assert set(catalog.ball_answers) == set(ball_ids())
    phrases = set(catalog.phrases())
    assert not {p for kind in catalog.ball_answers.values() for p in kind} & phrases


def test_a_bad_ball_answer_table_is_a_clear_error(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text('[ball_answers]\nfirm = []\n[intents.start]\ntemplates = ["start"]\n')
    with pytest.raises(CatalogError, match=r"\[ball_answers\] firm must be a non-empty list"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("soft", "soft"),
        ("a soft foam ball", "soft"),
        ("foam", "soft"),
        ("tennis ball", "soft"),
        ("firm", "firm"),
        ("I've got a lacrosse ball", "firm"),
        ("hard", "firm"),
        ("spiky", "spiky"),
        ("the acupressure one", "spiky"),
        ("a hard spiky ball", "spiky"),
        ("two balls", "two-balls"),
        ("two tennis balls in a sock", "two-balls"),
        ("a sock", "two-balls"),
        ("peanut ball", "two-balls"),
        ("not the soft one, the firm one", "firm"),
        ("softer", None),
        ("harder", None),
        ("start", None),
        ("ouch", None),
    ],
)
def test_the_matcher_names_the_ball(text, kind):
    assert IntentMatcher().match(text).ball == kind


def test_a_ball_word_leaves_the_command_it_also_is_alone():
    match = IntentMatcher().match("firm pressure")
    assert match.intent == "harder" and match.ball == "firm"


# ----------------------------------------------------------------- routines


def test_spots_beside_the_spine_have_a_two_ball_placement_in_both_routines():
    for routine in (UPPER_BACK, QUICK):
        beside = {s.id for s in routine.spots if s.two_balls_placement}
        assert beside == {s.id for s in routine.spots if s.id.startswith("rhomboid")}
        for spot in routine.spots:
            if spot.two_balls_placement:
                text = spot.two_balls_placement
                assert "sock" in text and "spine" in text
                assert any(w in text for w in ("each side", "either side", "gap"))
    assert next(s for s in UPPER_BACK.spots if s.id == "mid-back").two_balls_placement is None


ROUTINE_FILE = """
name = "mine"
based_on = "upper-back"
start_pressure = "moderate"
"""


def test_a_two_ball_placement_on_a_two_ball_spot_or_empty_is_an_error(tmp_path):
    source = resources.files("voice_coach").joinpath("routines", "upper-back.toml")
    original = source.read_text("utf-8")
    path = tmp_path / "bad.toml"
    path.write_text(
        original.replace("balls = 2\n", 'balls = 2\ntwo_balls_placement = "Two balls."\n', 1)
    )
    with pytest.raises(RoutineError, match=r"spot 7 \(mid-back\): two_balls_placement is for"):
        load_routine(path)
    first = next(line for line in original.splitlines() if line.startswith("two_balls_placement"))
    path.write_text(original.replace(first, 'two_balls_placement = "  "'))
    with pytest.raises(RoutineError, match=r"spot 3 .*two_balls_placement must be non-empty text"):
        load_routine(path)


def test_holds_follow_the_ball_within_15_to_30_seconds():
    for routine in (UPPER_BACK, QUICK):
        for spot in routine.spots:
            for level in range(3):
                plain = routine.hold_for(spot, level)
                for ball in default_balls().values():
                    held = routine.hold_for(spot, level, ball.hold_factor)
                    assert 15 <= held <= 30
                    assert held <= plain
    spot = UPPER_BACK.spots[0]
    assert UPPER_BACK.hold_for(spot, 0, ball_kind("firm").hold_factor) == 26  # 30 x 0.85
    assert UPPER_BACK.hold_for(spot, 0, ball_kind("spiky").hold_factor) == 22  # 30 x 0.75


# ----------------------------------------------------------------- the coach


@pytest.mark.parametrize(
    ("kind", "level", "holds"),
    [
        ("soft", "moderate", 25),  # 30 x 0.83
        ("firm", "light", 26),
        ("spiky", "light", 22),
        ("two-balls", "moderate", 25),
    ],
)
def test_the_ball_sets_the_starting_pressure_and_the_holds(tmp_path, kind, level, holds):
    path = tmp_path / "mine.toml"
    path.write_text(ROUTINE_FILE)
    routine = load_routine(path)
    coach = Coach(routine, seed=3, ball=ball_kind(kind))
    assert routine.pressures[coach.level].name == level
    lines = transcript(coach, ["start"])
    assert hold_seconds(lines)[0] == holds
    assert "at light pressure" in lines[-1] or level != "light"


def test_without_a_ball_nothing_changes():
    plain = transcript(Coach(QUICK, seed=5), ["start"])
    assert QUESTION not in coach_lines(plain)
    assert hold_seconds(plain) == [20, 20, 20, 20]
    soft = transcript(Coach(QUICK, seed=5, ball=ball_kind("soft")), ["start"])
    assert soft == plain


def test_a_configured_ball_is_not_asked_about():
    lines = coach_lines(transcript(Coach(QUICK, seed=5, ball=ball_kind("firm"), ask_ball=True), []))
    assert QUESTION not in lines


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("soft foam", "soft"),
        ("a lacrosse ball", "firm"),
        ("firm", "firm"),
        ("spiky", "spiky"),
        ("two balls in a sock", "two-balls"),
    ],
)
def test_the_question_and_each_answer(answer, kind):
    coach = Recording(QUICK, seed=7, ask_ball=True)
    lines = transcript(coach, [f"@2 {answer}", "@4 start"])
    said = coach_lines(lines)
    safety_end = said.index(QUICK.safety[-1])
    assert said[safety_end + 1] == QUESTION  # after the welcome and safety lines
    assert said[safety_end + 2] == ball_kind(kind).confirm
    assert said[safety_end + 3] in default_table()["ready"]
    chosen = [a for a in coach.actions if isinstance(a, BallChosen)]
    assert chosen == [BallChosen(kind_id=kind, at=2.0)]
    assert coach.ball == ball_kind(kind)
    factor = ball_kind(kind).hold_factor
    assert hold_seconds(lines)[0] == QUICK.hold_for(QUICK.spots[0], 0, factor)


def test_the_confirmation_is_a_reply_and_start_after_it_begins():
    coach = Coach(QUICK, seed=7, ask_ball=True)
    welcome = coach.handle(SessionStarted(at=0.0))
    assert welcome[-1] == Say(QUESTION, at=0.0)
    actions = coach.handle(Heard(None, "spiky", at=3.0, ball="spiky"))
    replies = [a for a in actions if isinstance(a, Say) and a.kind == LineKind.REPLY]
    assert [r.text for r in replies] == [ball_kind("spiky").confirm]
    started = coach.handle(Heard("start", "start", at=5.0))
    assert coach.mode == "spot"
    texts = [a.text for a in started if isinstance(a, Say)]
    # The spiky warning follows the first placement, once.
    assert texts[texts.index(QUICK.spots[0].placement) + 1] == ball_kind("spiky").first_cue
    rest = transcript(coach, [])
    assert ball_kind("spiky").first_cue not in coach_lines(rest)


def test_start_without_answering_goes_ahead_with_the_routines_defaults():
    coach = Recording(QUICK, seed=7, ask_ball=True)
    lines = transcript(coach, ["@2 start", "@3 spiky"])
    assert not any(isinstance(a, BallChosen) for a in coach.actions)
    assert coach.ball is None
    assert hold_seconds(lines) == [20, 20, 20, 20]
    assert ball_kind("spiky").confirm not in coach_lines(lines)


def test_a_command_that_names_a_ball_and_says_start_begins_with_that_ball():
    coach = Recording(QUICK, seed=7, ask_ball=True)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard("start", "start with the firm ball", at=2.0, ball="firm"))
    assert coach.mode == "spot" and coach.ball == ball_kind("firm")


def test_an_answer_that_names_no_ball_asks_again_and_urgent_words_still_count():
    coach = Coach(QUICK, seed=7, ask_ball=True)
    lines = coach_lines(transcript(coach, ["@2 the blue one", "@3 ouch", "@4 help"]))
    assert default_table()["ball_reprompt"][0] in lines
    assert any(line.format(ball="ball") in lines for line in default_table()["pain"])
    assert any(line.startswith(("You can say", "Here's what")) for line in lines)


def test_other_commands_keep_the_question_open():
    coach = Coach(QUICK, seed=7, ask_ball=True)
    coach.handle(SessionStarted(at=0.0))
    coach.handle(Heard("softer", "softer", at=1.0))
    actions = coach.handle(Heard(None, "foam", at=2.0, ball="soft"))
    assert [a for a in actions if isinstance(a, BallChosen)] == [BallChosen("soft", 2.0)]


def test_two_balls_change_the_lines_beside_the_spine_only():
    coach = Coach(UPPER_BACK, seed=1, ball=ball_kind("two-balls"))
    said = coach_lines(transcript(coach, ["start"]))
    for spot in UPPER_BACK.spots:
        if spot.two_balls_placement:
            assert spot.two_balls_placement in said and spot.placement not in said
        else:
            assert spot.placement in said
    rhomboid_right = said.index(UPPER_BACK.spots[2].two_balls_placement)
    # The pressure cue after it says "balls" ("let only part of your weight rest on the balls").
    assert said[rhomboid_right + 1].endswith("balls.")
    single = coach_lines(transcript(Coach(UPPER_BACK, seed=1, ball=ball_kind("firm")), ["start"]))
    assert not any(s.two_balls_placement in single for s in UPPER_BACK.spots[:4])


def test_the_coachs_ball_lines_are_in_the_recognizers_sentences():
    sentences = set(coach_sentences())
    assert {"a firm ball", "we'll start light and keep holds a bit shorter"} <= sentences
    assert "spikes feel sharper at first" in sentences
    assert {
        "which ball do you have",
        "soft foam, firm like a lacrosse ball, spiky, or two balls in a sock".replace(",", ""),
    } <= sentences


# ----------------------------------------------------------------- config and command line


def test_settings_take_a_known_ball_and_report_a_bad_one(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('ball = "spiky"\n')
    assert load_settings(path, warn=pytest.fail).ball == "spiky"
    path.write_text('ball = "bowling"\nrate = 120\n')
    warnings: list[str] = []
    settings = load_settings(path, warn=warnings.append)
    assert settings.ball is None and settings.rate == 120
    assert warnings == [
        f"{path}: ball = 'bowling' ignored; expected one of soft, firm, spiky, two-balls."
    ]
    assert Settings().ball is None


def test_setup_with_ball_creates_the_file_and_its_folder(config, capsys):
    assert cli.main(["setup", "--ball", "firm"]) == 0
    assert config.read_bytes() == b'ball = "firm"\n'
    assert "Saved your ball (firm)" in capsys.readouterr().out


def test_setup_replaces_the_ball_line_and_keeps_every_other_byte(config):
    config.parent.mkdir(parents=True)
    before = b'# mine\r\nrate = 150   # slow\r\nball = "soft"  # old\r\n\r\n[later]\r\nball = 1\r\n'
    config.write_bytes(before)
    assert cli.main(["setup", "--ball", "two-balls"]) == 0
    assert config.read_bytes() == before.replace(
        b'ball = "soft"  # old\r\n', b'ball = "two-balls"\r\n'
    )


def test_setup_inserts_before_the_first_table(config):
    config.parent.mkdir(parents=True)
    config.write_bytes(b'voice = "en"\n\n[history]\nkeep = true\n')
    assert cli.main(["setup", "--ball", "spiky"]) == 0
    assert config.read_bytes() == b'voice = "en"\n\nball = "spiky"\n[history]\nkeep = true\n'


def test_setup_appends_to_a_file_without_tables_or_final_newline(config):
    config.parent.mkdir(parents=True)
    config.write_bytes(b"rate = 150")
    assert cli.main(["setup", "--ball", "soft"]) == 0
    assert config.read_bytes() == b'rate = 150\nball = "soft"\n'
    assert load_settings(config, warn=pytest.fail).ball == "soft"


def test_setup_with_a_bad_ball_is_a_usage_error_and_writes_nothing(config, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["setup", "--ball", "bowling"])
    assert exited.value.code == 2
    assert "invalid choice: 'bowling'" in capsys.readouterr().err
    assert not config.exists()


def test_setup_asks_by_typed_answer(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("no idea\na lacrosse ball\n"))
    assert cli.main(["setup"]) == 0
    out, err = capsys.readouterr()
    assert out.count(QUESTION) == 2 and ball_kind("firm").confirm in out
    assert "names no ball" in err
    assert config.read_text() == 'ball = "firm"\n'


def test_setup_without_an_answer_saves_nothing(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["setup"]) == 1
    assert "nothing saved" in capsys.readouterr().err
    assert not config.exists()


def test_a_layout_the_edit_would_break_is_left_alone(config):
    config.parent.mkdir(parents=True)
    before = b'names = [\n["a", "b"],\n]\n'
    config.write_bytes(before)
    with pytest.raises(ValueError, match="cannot find where ball goes"):
        set_top_level(config, "ball", "firm")
    assert config.read_bytes() == before


def test_a_config_file_that_is_not_text_is_left_alone(config):
    config.parent.mkdir(parents=True)
    config.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="not UTF-8"):
        set_top_level(config, "ball", "firm")
    assert config.read_bytes() == b"\xff\xfe"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_session(monkeypatch, capsys, stdin: io.StringIO, *flags: str) -> tuple[str, str]:
    monkeypatch.setattr(sys, "stdin", stdin)
    args = ["session", "--text", "--clock", "virtual", "--routine", "quick", "--seed", "2"]
    assert cli.main([*args, *flags]) == 0
    return capsys.readouterr()


def test_a_piped_session_without_a_ball_is_not_asked(config, monkeypatch, capsys):
    out, _ = run_session(monkeypatch, capsys, io.StringIO("start\n"))
    assert QUESTION not in out and not config.exists()


def test_a_typed_session_without_a_ball_asks_and_saves_the_answer(config, monkeypatch, capsys):
    out, err = run_session(monkeypatch, capsys, Terminal("@2 spiky\n@3 start\n"))
    assert f"coach: {QUESTION}" in out
    assert "you: spiky -> ball: spiky" in out
    assert "Saved your ball (spiky); `voice-coach setup` changes it." in err
    assert config.read_text() == 'ball = "spiky"\n'
    out, err = run_session(monkeypatch, capsys, Terminal("start\n"))  # the next session
    assert QUESTION not in out and "Spikes feel sharper" in out


def test_the_ball_flag_overrides_the_config_file(config, monkeypatch, capsys):
    config.parent.mkdir(parents=True)
    config.write_text('ball = "soft"\n')
    out, _ = run_session(monkeypatch, capsys, io.StringIO("start\n"))
    assert hold_seconds(out.splitlines()) == [20, 20, 20, 20]
    out, _ = run_session(monkeypatch, capsys, Terminal("start\n"), "--ball", "firm")
    assert QUESTION not in out
    assert hold_seconds(out.splitlines()) == [17, 17, 17, 17]  # 20 x 0.85
    assert config.read_text() == 'ball = "soft"\n'  # a flag is for this session only


def test_a_bad_ball_in_the_config_is_one_note_and_the_session_goes_on(config, monkeypatch, capsys):
    config.parent.mkdir(parents=True)
    config.write_text('ball = "bowling"\n')
    out, err = run_session(monkeypatch, capsys, io.StringIO("start\n"))
    assert err.count("ball = 'bowling' ignored") == 1
    assert "4 of 4 spots" in out


def test_a_ball_that_cannot_be_saved_is_one_note(config, monkeypatch, capsys):
    config.parent.mkdir(parents=True)
    config.mkdir()  # a folder where the file should be: unreadable, unwritable
    out, err = run_session(monkeypatch, capsys, Terminal("@2 firm\n@3 start\n"))
    assert "cannot save your ball" in err
    assert "4 of 4 spots" in out


def test_each_kind_can_be_chosen_under_the_virtual_clock_to_the_end():
    for kind in ball_ids():
        coach = Coach(UPPER_BACK, seed=4, ball=ball_kind(kind))
        coach.handle(SessionStarted(at=0.0))
        coach.handle(Heard("start", "start", at=1.0))
        while not coach.finished:
            coach.handle(Tick(at=coach.next_deadline()))
        assert coach.spots_done == len(UPPER_BACK.spots)


def test_a_ball_word_is_shown_as_the_ball_while_the_question_is_open(config, monkeypatch, capsys):
    # "firm" is also nearly "harder": while "which ball?" is open the transcript says what the
    # coach does with it; once answered, the same word is the command again.
    out, _ = run_session(monkeypatch, capsys, Terminal("firm\n@5 start\n@60 firm\n"))
    assert "you: firm -> ball: firm" in out
    assert "you: firm -> harder" in out.split("you: firm -> ball: firm", 1)[1]


def test_which_ball_stays_the_open_question_until_it_is_answered():
    from voice_coach.core.state import Question

    coach = Coach(QUICK, seed=7, ask_ball=True)
    coach.handle(SessionStarted(at=0.0))
    assert coach.open_question is Question.BALL
    coach.handle(Heard(None, "mumble", at=2.0))  # not understood: asked again
    assert coach.open_question is Question.BALL
    coach.handle(Heard(None, "firm", at=4.0, ball="firm"))
    assert coach.open_question is None
    # With the ball known, or set in the config file, nothing is asked.
    known = Coach(QUICK, seed=7, ball=ball_kind("soft"), ask_ball=True)
    known.handle(SessionStarted(at=0.0))
    assert known.open_question is None


def test_a_voice_session_tells_the_listener_the_answers_while_which_ball_is_open():
    from audio_models.testing import FakeSpeaker
    from voice_coach.runtime.clock import MockClock
    from voice_coach.runtime.speech_output import SpeechOutput
    from voice_coach.runtime.testing import ScriptedUser, Step
    from voice_coach.runtime.voice_session import VoiceSession

    clock = MockClock(start=100.0)
    coach = Coach(QUICK, seed=7, ask_ball=True)
    speaker = FakeSpeaker(clock.monotonic)
    output = SpeechOutput(clock, lambda s: None, lambda s: None, None, speaker)
    user = ScriptedUser(clock, [])
    answered_at: list[int] = []

    def answer() -> None:
        answered_at.append(len(user.expected))
        user.pending.append(_utterance("two balls", clock.monotonic()))

    user.steps = [
        Step(lambda: clock.monotonic() > 110, answer),
        Step(lambda: coach.mode == "welcome" and not coach.open_question, "start"),
        Step(lambda: coach.mode == "spot", "stop"),
    ]
    VoiceSession(coach, output, user, lambda s: None, lambda s: None, clock).run()
    balls = tuple(default_catalog().ball_answers.values())
    assert coach.ball is not None and coach.ball.id == "two-balls"
    # Told once when the question was asked, and once when it was answered; nothing after.
    assert user.expected == [balls, ()]
    assert answered_at == [1]


def _utterance(text: str, at: float):
    from voice_coach.runtime.listener import Utterance

    return Utterance(text, 0.9, at - 0.5, at, at + 0.1)
