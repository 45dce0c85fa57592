"""The session history: one SQLite file, written a record at a time so a crash loses little.

The file is ``history.db`` in ``$VOICE_COACH_DATA_DIR``, else the user's data folder. Each write
is its own short transaction (WAL mode, so readers never wait and a second session only waits
its turn); a damaged file is moved aside and a fresh one started, because a lost history must
never cost a session. Reading it back (the coach's ``Past``, the ``history`` command) is in
``history_read``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from voice_coach.core.records import Exchange, Past, SpotRecord, StretchRecord
from voice_coach.runtime.history_schema import MIGRATIONS, VERSION

DATA_DIR_VARIABLE = "VOICE_COACH_DATA_DIR"
FILE_NAME = "history.db"
BUSY_TIMEOUT_MS = 10_000  # another session's write takes milliseconds; wait well past that


_COUNTERS = {
    Exchange.COMMAND: "commands",
    Exchange.REPROMPT: "reprompts",
    Exchange.QUESTION: "questions",
}


class HistoryUnavailable(Exception):
    """The history cannot be opened or written; the message is one sentence for the user."""


def default_path() -> Path:
    """Where the history lives: ``$VOICE_COACH_DATA_DIR/history.db`` or the user data folder."""
    folder = os.environ.get(DATA_DIR_VARIABLE) or platformdirs.user_data_dir(
        "voice-coach", appauthor=False
    )
    return Path(folder).expanduser() / FILE_NAME


def utc_now() -> datetime:
    return datetime.now(UTC)


class HistoryStore:
    """An open history database. ``HistoryStore.open`` makes one; ``close`` when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None, note: Callable[[str], None] = print) -> HistoryStore:
        """Open (creating or migrating) the history; a damaged file is moved aside first.

        Raises ``HistoryUnavailable`` when it cannot be opened at all (read-only folder, full
        disk): the caller goes on without history.
        """
        path = path or default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                connection = _connect_checked(path)
            except sqlite3.DatabaseError as error:
                if is_unavailable(error):
                    raise
                aside = _move_aside(path)
                note(f"the history file was damaged ({error}); it was moved to {aside} "
                     "and a fresh history started.")  # fmt: skip
                connection = _connect_checked(path)
        except (sqlite3.Error, OSError) as error:
            raise HistoryUnavailable(
                f"cannot open the session history at {path} ({error}); "
                "this session is not recorded."
            ) from error
        return cls(connection, path)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front: two sessions queue (busy_timeout)
        # instead of one failing halfway through a transaction it started as a reader.
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def start_session(self, started: datetime, routine: str, ball: str | None) -> int:
        """Insert the session's row now, so even a killed session is in the history."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO sessions (started, routine, ball) VALUES (?, ?, ?)",
                (_iso(started), routine, ball),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_spot(self, session: int, position: int, record: SpotRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO spots (session, position, spot_id, name, levels, final_level, "
                "held_seconds, pain_levels, numbness, skipped, at, completed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session,
                    position,
                    record.spot_id,
                    record.spot_name,
                    json.dumps(list(record.levels)),
                    record.final_level,
                    record.held_seconds,
                    json.dumps(list(record.pain_levels)),
                    int(record.numbness),
                    int(record.skipped),
                    record.at,
                    int(record.completed),
                ),
            )
            db.execute("UPDATE sessions SET seconds = max(seconds, ?) WHERE id = ?",
                       (record.at, session))  # fmt: skip

    def add_stretch(self, session: int, record: StretchRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO stretches (session, name, seconds, completed, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (session, record.name, record.seconds, int(record.completed), record.at),
            )

    def set_ball(self, session: int, ball: str) -> None:
        """The user named their ball during the session (asked at the welcome)."""
        with self._write() as db:
            db.execute("UPDATE sessions SET ball = ? WHERE id = ?", (ball, session))

    def count_exchange(self, session: int, kind: Exchange) -> None:
        column = _COUNTERS[kind]  # a fixed name from the table above, never user text
        with self._write() as db:
            db.execute(f"UPDATE sessions SET {column} = {column} + 1 WHERE id = ?", (session,))

    def end_session(
        self, session: int, ended: datetime, seconds: float, summary: str, finished: bool
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET ended = ?, seconds = max(seconds, ?), summary = ?, "
                "finished = ? WHERE id = ?",
                (_iso(ended), seconds, summary, int(finished), session),
            )

    def forget(self) -> int:
        """Delete every session (and its spots and stretches); returns how many there were."""
        with self._write() as db:
            (count,) = db.execute("SELECT count(*) FROM sessions").fetchone()
            db.execute("DELETE FROM stretches")
            db.execute("DELETE FROM spots")
            db.execute("DELETE FROM sessions")
        self.connection.execute("VACUUM")  # the deleted rows leave the file too
        return int(count)

    def past(self, now: datetime) -> Past:
        """What the coach is told about the sessions before ``now``."""
        from voice_coach.runtime.history_read import read_past

        return read_past(self.connection, now)


def _connect_checked(path: Path) -> sqlite3.Connection:
    """A connection to a healthy file at the current schema version, or DatabaseError."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_wal(connection)
        # FULL: each commit is on the disk before it returns, so a power cut loses only the spot
        # in progress (NORMAL could lose the last few commits); a session makes a few a minute.
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {verdict}")
        _migrate(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _use_wal(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode (once per file: the mode is stored in it).

    Converting needs the file to itself, and SQLite answers "locked" at once instead of
    waiting in its busy handler (waiting could deadlock), so two sessions opening a new file
    together would lose one history. The loser waits here and looks again: usually the other
    has converted it by then.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        if mode == "wal":
            return
        try:
            # A file system without shared memory keeps the old mode; the history still works.
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error).lower() or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _migrate(connection: sqlite3.Connection) -> None:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version >= VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another session may have just migrated it.
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        for step in range(version, VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {max(version, VERSION)}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def is_unavailable(error: sqlite3.DatabaseError) -> bool:
    # Permission, missing folder, full disk or a lock held too long: the file may be fine.
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        return any(
            part in text
            for part in ("unable to open", "readonly", "read-only", "disk", "locked", "busy")
        )
    return False


def _move_aside(path: Path) -> Path:
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    path.replace(aside)
    # Its journal belongs to it: left behind, it would be replayed into the fresh file.
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + suffix))
    return aside


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
