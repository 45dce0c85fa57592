"""The history survives what real use does to it: two sessions at once, and a killed session."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from voice_coach.core.coach import Coach
from voice_coach.core.records import SpotRecord
from voice_coach.core.routine import load_routine
from voice_coach.runtime.history_read import read_sessions
from voice_coach.runtime.history_store import HistoryStore, HistoryUnavailable
from voice_coach.runtime.text_session import TextSession

REPO = Path(__file__).resolve().parent.parent
SEED = 5
KILL_SCRIPT = "start\n@300 harder\n"  # the virtual session runs to 5:00, then waits for input
DEADLINE = 30.0


def environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def history_path() -> Path:
    return Path(os.environ["VOICE_COACH_DATA_DIR"]) / "history.db"


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from tests.history_records import record_session, spot
    from voice_coach.runtime.history_store import HistoryStore

    name, sessions, spots = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = HistoryStore.open(note=lambda text: sys.exit(f"note: {text}"))
    start = datetime(2026, 11, 2, tzinfo=UTC)
    for n in range(sessions):
        records = [spot(f"{name}-{i}", at=float(i)) for i in range(spots)]
        record_session(store, start + timedelta(minutes=n), records, routine=name)
    store.close()
    """
)


def test_two_sessions_writing_at_once_keep_the_database_whole():
    sessions, spots = 25, 12
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(sessions), str(spots)],
            env=environment(),
            cwd=REPO,
            stderr=subprocess.PIPE,
        )
        for name in ("first", "second")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    assert integrity(history_path()) == "ok"
    with sqlite3.connect(history_path()) as db:
        recorded = read_sessions(db)
    for name in ("first", "second"):
        mine = [s for s in recorded if s.routine == name]
        assert len(mine) == sessions
        for session in mine:
            assert session.finished and session.commands == 1 and len(session.stretches) == 1
            assert [s.spot_id for s in session.spots] == [f"{name}-{i}" for i in range(spots)]


def _open_in_rounds(folder: str, rounds: int, barrier, failures) -> None:
    # Runs in each spawned opener: every round, all of them open a new file at the same moment.
    for round_ in range(rounds):
        barrier.wait()
        try:
            HistoryStore.open(Path(folder) / str(round_) / "history.db", note=failures.put).close()
        except HistoryUnavailable as error:
            failures.put(str(error))


def test_sessions_opening_a_new_history_at_once_all_get_it(tmp_path):
    # Turning a new file to WAL is the one step SQLite will not queue for (it answers
    # "locked" at once); eight openers at a time on a fresh file hit that in about one
    # round in four before the store waited and looked again.
    openers, rounds = 8, 30
    context = multiprocessing.get_context("spawn")  # no fork of this threaded test process
    barrier, failures = context.Barrier(openers, timeout=60), context.Queue()
    children = [
        context.Process(target=_open_in_rounds, args=(str(tmp_path), rounds, barrier, failures))
        for _ in range(openers)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    assert failures.empty(), failures.get()
    for round_ in range(rounds):
        assert integrity(tmp_path / str(round_) / "history.db") == "ok"


class _Output:
    """A child's stdout read on a thread, so the test can wait for a line with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in stream:
            self.lines.append(raw.decode("utf-8", "replace"))

    def has(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def start_session_to_be_killed() -> tuple[subprocess.Popen, _Output]:
    child = subprocess.Popen(
        [sys.executable, "-m", "voice_coach.cli", "session", "--text", "--clock", "virtual",
         "--seed", str(SEED)],
        env=environment(),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(KILL_SCRIPT.encode())
    child.stdin.flush()  # and left open: the session waits for more input at 5:00
    output = _Output(child.stdout)
    wait_until(lambda: output.has("you: harder -> harder"), "the session to reach 5:00")
    return child, output


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


def spots_in_database() -> int:
    try:
        with sqlite3.connect(history_path()) as db:
            return db.execute("SELECT count(*) FROM spots").fetchone()[0]
    except sqlite3.Error:
        return -1


def test_a_killed_session_keeps_its_row_and_a_healthy_file():
    child, _ = start_session_to_be_killed()
    kill(child)
    assert integrity(history_path()) == "ok"
    with sqlite3.connect(history_path()) as db:
        (session,) = read_sessions(db)
    assert session.routine == "upper-back" and not session.finished and session.ended is None


class _Collect:
    def __init__(self) -> None:
        self.spots: list[SpotRecord] = []

    def observe(self, actions) -> None:
        self.spots += [a for a in actions if isinstance(a, SpotRecord)]


class _EndOfScript(Exception):
    pass


def spots_finished_by_the_kill() -> list[str]:
    """The spots the same session finishes by 5:00, run in this process."""

    def lines():
        yield from KILL_SCRIPT.splitlines()
        raise _EndOfScript  # stop where the child blocks, instead of running to the end

    collect = _Collect()
    coach = Coach(load_routine("upper-back"), seed=SEED)
    session = TextSession(coach, out=open(os.devnull, "w"), observer=collect)  # noqa: SIM115
    with pytest.raises(_EndOfScript):
        session.run_virtual(lines())
    session.out.close()
    return [record.spot_id for record in collect.spots]


def test_a_session_killed_mid_routine_keeps_every_finished_spot():
    expected = spots_finished_by_the_kill()
    assert expected, "no spot is finished by 5:00"
    child, _ = start_session_to_be_killed()
    try:
        wait_until(lambda: spots_in_database() == len(expected), "the finished spots")
    finally:
        kill(child)
    assert integrity(history_path()) == "ok"
    with sqlite3.connect(history_path()) as db:
        (session,) = read_sessions(db)
    assert [spot.spot_id for spot in session.spots] == expected
    assert not session.finished
