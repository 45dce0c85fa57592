"""`voice-coach history`: table, weeks, one spot, JSON and CSV export, the plot, forget."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.history_records import DAY0, days, record_session, spot
from voice_coach.cli import main
from voice_coach.commands.history import sessions_per_week
from voice_coach.runtime.history_read import read_sessions
from voice_coach.runtime.history_store import HistoryStore, default_path


def history(capsys, *args, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["history", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def recorded():
    """Three sessions: the rhomboid hurt at firm in the second one."""
    store = HistoryStore.open(note=print)
    record_session(store, DAY0, [spot("upper-trap-right", "light"), spot(final="moderate")])
    record_session(
        store,
        DAY0 + days(2),
        [spot("upper-trap-right", "moderate"), spot(final="light", pain=("firm",), numb=True)],
        routine="quick",
    )
    record_session(store, DAY0 + days(9), [spot(final="moderate", held=0, skipped=True)],
                   finished=False)  # fmt: skip
    yield store
    store.close()


def test_no_history_yet_is_one_sentence(capsys):
    code, out, err = history(capsys)
    assert code == 0 and out.count("\n") == 1 and "No sessions recorded yet" in out and not err
    assert not default_path().exists()  # looking does not create it


@pytest.mark.parametrize("flags", [[], ["--json"], ["--csv"], ["--spot", "rhomboid"]])
def test_an_empty_database_is_no_history_yet(capsys, flags):
    HistoryStore.open(note=print).close()
    code, out, _ = history(capsys, *flags)
    assert code == 0 and "No sessions recorded yet" in out


def test_a_zero_byte_database_is_no_history_yet(capsys):
    default_path().parent.mkdir(parents=True)
    default_path().write_bytes(b"")
    code, out, _ = history(capsys)
    assert code == 0 and "No sessions recorded yet" in out


def test_recent_sessions_as_a_table(capsys, recorded):
    code, out, _ = history(capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["date", "routine", "minutes", "spots", "worked", "pain", "reports"]
    rows = lines[1:4]
    assert rows[0].split()[2:] == ["upper-back", "8", "2", "0"]
    assert rows[1].split()[2:] == ["quick", "8", "2", "1"]
    assert rows[2].split()[2:] == ["upper-back", "(stopped)", "7", "0", "0"]
    assert lines[4] == ""
    assert lines[5].startswith("Sessions per week")


def test_limit_shows_the_most_recent(capsys, recorded):
    code, out, _ = history(capsys, "--limit", "1")
    table = out.split("\n\n")[0].splitlines()
    assert code == 0 and len(table) == 2 and "(stopped)" in table[1]


def test_sessions_per_week_count_by_monday(recorded):
    sessions = read_sessions(recorded.connection)
    now = (DAY0 + days(10)).astimezone(UTC)
    weeks = sessions_per_week(sessions, now)
    assert len(weeks) == 8 and weeks[-1][0].weekday() == 0
    assert [count for _, count in weeks[-2:]] == [2, 1]
    assert sum(count for _, count in weeks) == 3


def test_one_spot_over_time_by_a_word_of_its_name(capsys, recorded):
    code, out, _ = history(capsys, "--spot", "Rhomboid")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert lines[0].split() == ["date", "spot", "levels", "hold", "s", "pain", "at", "numb",
                                "skipped"]  # fmt: skip
    assert lines[2].split()[2:] == ["rhomboid-left", "light", "20", "firm", "yes", "-"]
    assert lines[3].split()[2:] == ["rhomboid-left", "moderate", "0", "-", "-", "yes"]
    code, by_id, _ = history(capsys, "--spot", "rhomboid-left")
    assert by_id == out


def test_an_unknown_spot_is_one_sentence_naming_the_known_ones(capsys, recorded):
    code, out, err = history(capsys, "--spot", "knee")
    assert code == 1 and not out
    assert err.count("\n") == 1 and "rhomboid-left" in err and "upper-trap-right" in err


def test_json_export_has_every_session_with_its_spots(capsys, recorded):
    code, out, _ = history(capsys, "--json")
    data = json.loads(out)
    assert code == 0 and [s["routine"] for s in data] == ["upper-back", "quick", "upper-back"]
    assert datetime.fromisoformat(data[0]["started"]) == DAY0
    assert data[1]["spots"][1]["pain_levels"] == ["firm"]
    assert data[1]["spots"][1]["numbness"] is True
    assert data[2]["finished"] is False and data[2]["ended"] is not None
    assert data[0]["stretches"][0]["name"] == "arm-circles"


def test_csv_export_has_a_row_per_spot(capsys, recorded):
    code, out, _ = history(capsys, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5
    assert rows[3]["routine"] == "quick" and rows[3]["pain_levels"] == "firm"
    assert rows[4]["skipped"] == "1" and rows[4]["held_seconds"] == "0"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_a_png(capsys, recorded, tmp_path):
    target = tmp_path / "pressure.png"
    code, out, _ = history(capsys, "--plot", str(target))
    assert code == 0 and str(target) in out
    width, height = png_size(target)
    assert 600 <= width <= 3000 and 300 <= height <= 2000
    assert target.stat().st_size > 10_000


def test_plot_into_a_missing_folder_is_one_sentence(capsys, recorded, tmp_path):
    code, _, err = history(capsys, "--plot", str(tmp_path / "no" / "such" / "x.png"))
    assert code == 1 and err.count("\n") == 1


def test_forget_asks_first_and_keeps_everything_unless_told_yes(capsys, recorded, monkeypatch):
    code, out, _ = history(capsys, "--forget", stdin="no\n", monkeypatch=monkeypatch)
    assert code == 1 and "Nothing deleted" in out
    assert len(read_sessions(recorded.connection)) == 3
    code, out, _ = history(capsys, "--forget", stdin="yes\n", monkeypatch=monkeypatch)
    assert code == 0 and "Deleted 3 recorded sessions" in out
    assert read_sessions(recorded.connection) == []


def test_forget_with_yes_does_not_ask(capsys, recorded, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)  # nothing to read an answer from
    code, out, _ = history(capsys, "--forget", "--yes")
    assert code == 0 and "Deleted 3" in out
    code, out, _ = history(capsys)
    assert "No sessions recorded yet" in out


def test_forget_without_a_history_says_so(capsys):
    code, out, _ = history(capsys, "--forget", "--yes")
    assert code == 0 and "no history" in out


def test_history_is_listed_among_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "history" in capsys.readouterr().out


def test_the_folder_is_the_per_test_one():
    # conftest points every test at its own folders; the real user's are never touched.
    assert "pytest" in os.environ["VOICE_COACH_DATA_DIR"]
    assert not Path(os.environ["VOICE_COACH_CONFIG"]).exists()
