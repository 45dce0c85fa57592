"""The history database: schema and migrations, records in and out, Past, damage and failure."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.history_records import DAY0, days, record_session, spot
from voice_coach.core.events import SessionFinished
from voice_coach.core.records import Exchange, ExchangeRecord, Past, SpotPast
from voice_coach.runtime.history_read import read_sessions
from voice_coach.runtime.history_recorder import HistoryRecorder
from voice_coach.runtime.history_schema import MIGRATIONS
from voice_coach.runtime.history_store import (
    VERSION,
    HistoryStore,
    HistoryUnavailable,
    default_path,
)


@pytest.fixture
def store(tmp_path):
    opened = HistoryStore.open(tmp_path / "history.db", note=_unexpected)
    yield opened
    opened.close()


def _unexpected(text: str) -> None:
    raise AssertionError(f"unexpected note: {text}")


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def user_version(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_the_history_lives_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(tmp_path / "somewhere"))
    assert default_path() == tmp_path / "somewhere" / "history.db"


def test_an_empty_file_is_migrated_to_the_current_version(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"")  # what sqlite3.connect leaves behind: a version-0 database
    HistoryStore.open(path, note=_unexpected).close()
    assert user_version(path) == VERSION == 2
    assert {"sessions", "spots", "stretches"} <= tables(path)


def test_a_version_0_database_with_other_tables_is_migrated_and_keeps_them(tmp_path):
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('kept')")
    HistoryStore.open(path, note=_unexpected).close()
    assert user_version(path) == VERSION
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT text FROM notes").fetchall() == [("kept",)]


def test_a_version_1_database_gains_completed_spots_guessed_from_what_it_kept(tmp_path):
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0].split(";"):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO sessions (id, started, routine) VALUES (1, '2026-11-30', 'quick')")
        spots = "INSERT INTO spots VALUES (NULL, 1, ?, 'x', 'x', '[]', 'light', ?, '[]', ?, ?, 9)"
        db.execute(spots, (1, 20.0, 0, 0))  # held, kept on: worked
        db.execute(spots, (2, 0.0, 0, 1))  # skipped before its hold
        db.execute(spots, (3, 12.0, 1, 0))  # ended by numbness
    HistoryStore.open(path, note=_unexpected).close()
    assert user_version(path) == VERSION
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT position, completed FROM spots ORDER BY position").fetchall()
    assert rows == [(1, 1), (2, 0), (3, 0)]


def test_a_database_at_the_current_version_opens_as_it_is(tmp_path):
    path = tmp_path / "history.db"
    store = HistoryStore.open(path, note=_unexpected)
    record_session(store, DAY0, [spot()])
    store.close()
    again = HistoryStore.open(path, note=_unexpected)
    assert len(read_sessions(again.connection)) == 1
    again.close()
    assert user_version(path) == VERSION


def test_the_store_uses_wal_and_foreign_keys(store):
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_a_recorded_session_reads_back_whole(store):
    records = [
        spot("upper-trap-right", "light", 20, at=60),
        spot("rhomboid-left", "firm", 25, pain=("firm",), levels=("moderate", "firm"), at=120),
        spot("rhomboid-right", "light", 0, skipped=True, numb=True, at=130),
    ]
    record_session(store, DAY0, records)
    (session,) = read_sessions(store.connection)
    assert session.started == DAY0 and session.ended == DAY0
    assert session.routine == "upper-back" and session.finished and session.summary == "Done."
    assert session.seconds == 500.0
    assert session.commands == 1 and session.reprompts == 0 and session.questions == 0
    assert [s.position for s in session.spots] == [1, 2, 3]
    second = session.spots[1]
    assert second.levels == ("moderate", "firm") and second.pain_levels == ("firm",)
    assert second.final_level == "firm" and second.held_seconds == 25
    assert session.spots[2].skipped and session.spots[2].numbness
    assert [(s.name, s.seconds, s.completed) for s in session.stretches] == [
        ("arm-circles", 30.0, True)
    ]
    assert session.pain_reports == 1


def test_each_record_is_written_when_it_comes_not_at_the_end(store, tmp_path):
    recorder = HistoryRecorder(store, note=_unexpected)
    recorder.started("quick", ball="firm", wall_clock=lambda: DAY0)
    recorder.observe([spot(at=40.0), ExchangeRecord(Exchange.REPROMPT, None, 41.0)])
    recorder.observe([ExchangeRecord(Exchange.QUESTION, "harder", 42.0)])
    # Another connection (another process, or after a crash) sees it all already.
    with sqlite3.connect(tmp_path / "history.db") as other:
        row = other.execute(
            "SELECT ended, finished, ball, reprompts, questions, seconds FROM sessions"
        ).fetchone()
        assert row == (None, 0, "firm", 1, 1, 40.0)
        assert other.execute("SELECT count(*) FROM spots").fetchone()[0] == 1


def test_a_session_that_ends_without_finishing_is_closed_unfinished(store):
    recorder = HistoryRecorder(store, note=_unexpected)
    recorder.started("upper-back", wall_clock=lambda: DAY0 + timedelta(minutes=3))
    recorder.observe([spot(at=90.0)])
    recorder.close()
    (session,) = read_sessions(store.connection)
    assert not session.finished and session.ended is not None and session.seconds == 90.0


def test_finishing_twice_is_recorded_once(store):
    recorder = HistoryRecorder(store, note=_unexpected)
    recorder.started("quick", wall_clock=lambda: DAY0)
    recorder.observe([SessionFinished("Bye.", 10.0)])
    recorder.observe([SessionFinished("Again.", 20.0)])
    recorder.close()
    (session,) = read_sessions(store.connection)
    assert session.summary == "Bye." and session.finished


def test_a_failing_write_is_said_once_and_the_session_goes_on(store):
    notes: list[str] = []
    recorder = HistoryRecorder(store, note=notes.append)
    recorder.started("quick", wall_clock=lambda: DAY0)
    store.connection.close()  # as if the disk had gone
    recorder.observe([spot(), spot()])
    recorder.observe([SessionFinished("Bye.", 10.0)])
    recorder.close()
    assert len(notes) == 1 and "not recorded" in notes[0]


def test_a_store_that_cannot_be_opened_raises_one_sentence(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(HistoryUnavailable) as raised:
        HistoryStore.open(blocker / "history.db", note=_unexpected)
    message = str(raised.value)
    assert str(blocker) in message and message.endswith("not recorded.")
    assert message.count(". ") == 0  # one sentence


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_file_is_moved_aside_and_a_fresh_one_started(tmp_path, damage):
    path = tmp_path / "history.db"
    if damage == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    else:
        store = HistoryStore.open(path, note=_unexpected)
        for n in range(40):
            record_session(store, DAY0 + days(n), [spot(at=float(i)) for i in range(30)])
        store.close()
        size = path.stat().st_size
        assert size > 8 * 4096
        with open(path, "r+b") as file:
            file.truncate(size // 2)
    notes: list[str] = []
    store = HistoryStore.open(path, note=notes.append)
    record_session(store, DAY0, [spot()])
    assert len(read_sessions(store.connection)) == 1
    assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
    (aside,) = tmp_path.glob("history.db.damaged-*")
    assert len(notes) == 1 and str(aside) in notes[0] and "fresh" in notes[0]
    assert aside.name.removeprefix("history.db.damaged-").endswith("Z")


def test_forget_deletes_everything(store):
    record_session(store, DAY0, [spot()])
    record_session(store, DAY0 + days(1), [spot(), spot("upper-trap-left")])
    assert store.forget() == 2
    assert read_sessions(store.connection) == []
    for table in ("spots", "stretches"):
        assert store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_no_sessions_is_a_first_session(store):
    assert store.past(DAY0) == Past()


def test_past_counts_sessions_and_the_days_since_the_last(store):
    for n in (0, 5, 9, 10):
        record_session(store, DAY0 + days(n), [])
    past = store.past(DAY0 + days(11.5))
    assert past.sessions == 4
    assert past.sessions_this_week == 3  # days 5, 9 and 10 are within seven days of 11.5
    assert past.days_since_last == pytest.approx(1.5)
    assert store.past(DAY0 + days(7)).sessions == 2  # only sessions begun before now


def test_past_settles_on_the_last_held_level_across_routines(store):
    record_session(store, DAY0, [spot(final="firm", held=20)])
    record_session(store, DAY0 + days(1), [spot(final="moderate", held=25)], routine="quick")
    record_session(store, DAY0 + days(2), [spot(final="light", held=0, skipped=True)])
    past = store.past(DAY0 + days(3))
    assert past.spot("rhomboid-left").settled_level == "moderate"
    assert past.spot("upper-trap-left") == SpotPast()


def test_a_spot_never_held_settles_on_its_last_level(store):
    record_session(store, DAY0, [spot(final="light", held=0, skipped=True)])
    assert store.past(DAY0 + days(1)).spot("rhomboid-left").settled_level == "light"


def test_pain_is_remembered_for_five_sessions_that_worked_the_spot(store):
    record_session(store, DAY0, [spot(pain=("firm",))])
    for n in range(1, 5):
        record_session(store, DAY0 + days(n), [spot(pain=("moderate",) if n == 2 else ())])
    record_session(store, DAY0 + days(5), [spot("upper-trap-left")])  # another spot: no count
    past = store.past(DAY0 + days(6))
    assert past.spot("rhomboid-left").pain_levels == ("firm", "moderate")
    assert not past.spot("rhomboid-left").tender_last_time
    record_session(store, DAY0 + days(7), [spot()])  # the firm pain is now six sessions back
    assert store.past(DAY0 + days(8)).spot("rhomboid-left").pain_levels == ("moderate",)


def test_tender_and_numb_come_from_the_last_session_that_worked_the_spot(store):
    record_session(store, DAY0, [spot(numb=True)])
    record_session(store, DAY0 + days(1), [spot(pain=("light",)), spot("upper-trap-left")])
    record_session(store, DAY0 + days(2), [spot("upper-trap-left", numb=True)])
    past = store.past(DAY0 + days(3))
    left = past.spot("rhomboid-left")
    assert left.tender_last_time and not left.numb_last_time
    trap = past.spot("upper-trap-left")
    assert trap.numb_last_time and not trap.tender_last_time
