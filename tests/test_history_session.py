"""Sessions record themselves: the session row, the switches that turn it off, failures."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import sys

from voice_coach.cli import main
from voice_coach.runtime.history_read import read_sessions

SESSION = ["session", "--text", "--clock", "virtual", "--seed", "3", "--routine", "quick"]


def history_path():
    return os.path.join(os.environ["VOICE_COACH_DATA_DIR"], "history.db")


def run_session(monkeypatch, capsys, *flags, stdin="start\n@30 harder\n"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main([*SESSION, *flags])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def sessions():
    with sqlite3.connect(history_path()) as db:
        return read_sessions(db)


def test_a_text_session_leaves_a_finished_session_row(monkeypatch, capsys):
    out, err = run_session(monkeypatch, capsys)
    assert err == ""
    (session,) = sessions()
    assert session.routine == "quick" and session.finished
    assert session.summary == out.splitlines()[-1].split("coach: ", 1)[1]
    assert session.seconds > 200 and session.ended is not None and session.ball is None


def test_recording_does_not_change_what_the_coach_says(monkeypatch, capsys):
    recorded, _ = run_session(monkeypatch, capsys)
    unrecorded, _ = run_session(monkeypatch, capsys, "--no-history")
    assert recorded == unrecorded


def test_each_session_is_a_new_row(monkeypatch, capsys):
    run_session(monkeypatch, capsys)
    run_session(monkeypatch, capsys, stdin="start\nstop\n")
    first, second = sessions()
    assert first.finished and second.finished and second.seconds < first.seconds


def test_no_history_flag_records_nothing(monkeypatch, capsys):
    run_session(monkeypatch, capsys, "--no-history")
    assert not os.path.exists(history_path())


def test_history_false_in_the_config_records_nothing(monkeypatch, capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("history = false\n")
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(config))
    run_session(monkeypatch, capsys)
    assert not os.path.exists(history_path())


def test_a_bad_history_value_in_the_config_is_one_warning(monkeypatch, capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('history = "sometimes"\n')
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(config))
    _, err = run_session(monkeypatch, capsys)
    assert err.count("\n") == 1 and "history" in err and "true or false" in err
    assert len(sessions()) == 1  # the default: recorded


def test_a_history_that_cannot_be_opened_is_one_sentence_and_the_session_goes_on(
    monkeypatch, capsys, tmp_path
):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(blocker))
    out, err = run_session(monkeypatch, capsys)
    assert err.count("\n") == 1 and "not recorded" in err
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(tmp_path / "fine"))
    unrecorded, _ = run_session(monkeypatch, capsys, "--no-history")
    assert out == unrecorded


def test_a_damaged_history_is_moved_aside_and_the_session_recorded_afresh(monkeypatch, capsys):
    os.makedirs(os.path.dirname(history_path()), exist_ok=True)
    with open(history_path(), "wb") as file:
        file.write(b"\x00garbage" * 1000)
    _, err = run_session(monkeypatch, capsys)
    assert err.count("\n") == 1 and "damaged" in err and ".damaged-" in err
    assert len(sessions()) == 1


def test_spots_are_recorded_after_a_full_virtual_session(monkeypatch, capsys):
    run_session(monkeypatch, capsys)
    (session,) = sessions()
    assert [spot.spot_id for spot in session.spots] == [
        "upper-trap-right",
        "upper-trap-left",
        "rhomboid-right",
        "rhomboid-left",
    ]
    assert all(spot.held_seconds > 0 and not spot.skipped for spot in session.spots)
    assert len(session.stretches) == 2
    assert session.commands >= 2  # start, harder


def test_a_session_that_cannot_begin_leaves_no_row(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", None)
    assert main(SESSION) == 1
    assert "standard input is closed" in capsys.readouterr().err
    assert sessions() == []


def test_the_configured_ball_is_recorded_with_the_session(monkeypatch, capsys):
    run_session(monkeypatch, capsys, "--ball", "spiky")
    (session,) = sessions()
    assert session.ball == "spiky"


def test_a_ball_named_at_the_welcome_is_recorded_and_kept_in_the_config(monkeypatch, capsys):
    # Asked only of someone at a terminal: stand one in for the piped script.
    monkeypatch.setattr("voice_coach.commands.session._is_terminal", lambda stream: True)
    out, err = run_session(monkeypatch, capsys, stdin="firm\nstart\n@30 stop\n")
    assert "Which ball" in out and "Saved your ball (firm)" in err
    (session,) = sessions()
    assert session.ball == "firm" and session.finished
    with open(os.environ["VOICE_COACH_CONFIG"]) as config:
        assert 'ball = "firm"' in config.read()


def test_the_spots_worked_in_the_history_are_those_the_summary_counts(monkeypatch, capsys):
    # Numbness in the middle of a hold: that spot is recorded, but was not worked through.
    out, _ = run_session(monkeypatch, capsys, stdin="start\n@150 numb\n")
    summary = re.search(r"(\d+) of \d+ spots", out)  # every wording of the summary says this
    assert summary is not None
    worked = int(summary.group(1))
    (session,) = sessions()
    assert session.spots[-1].numbness and not session.spots[-1].completed
    assert sum(spot.completed for spot in session.spots) == worked < len(session.spots)
