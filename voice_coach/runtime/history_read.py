"""Reading the session history back: the coach's ``Past``, and the rows ``history`` shows."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from voice_coach.core.records import Past, SpotPast

WEEK = timedelta(days=7)
PAIN_MEMORY = 5  # sessions that worked a spot whose pain reports still cap its pressure


@dataclass(frozen=True)
class SpotRow:
    """One spot of one session, as stored."""

    session: int
    position: int
    spot_id: str
    name: str
    levels: tuple[str, ...]
    final_level: str
    held_seconds: float
    pain_levels: tuple[str, ...]
    numbness: bool
    skipped: bool
    at: float
    completed: bool


@dataclass(frozen=True)
class StretchRow:
    session: int
    name: str
    seconds: float
    completed: bool
    at: float


@dataclass(frozen=True)
class SessionRow:
    """One session with its spots and stretches, oldest spot first."""

    id: int
    started: datetime
    ended: datetime | None
    seconds: float
    routine: str
    ball: str | None
    finished: bool
    summary: str
    commands: int
    reprompts: int
    questions: int
    spots: tuple[SpotRow, ...] = ()
    stretches: tuple[StretchRow, ...] = ()

    @property
    def pain_reports(self) -> int:
        return sum(len(spot.pain_levels) for spot in self.spots)


def read_sessions(connection: sqlite3.Connection) -> list[SessionRow]:
    """Every session, oldest first, each with its spots and stretches."""
    spots: dict[int, list[SpotRow]] = {}
    for row in connection.execute(
        "SELECT session, position, spot_id, name, levels, final_level, held_seconds, "
        "pain_levels, numbness, skipped, at, completed FROM spots ORDER BY session, position"
    ):
        spot = SpotRow(
            session=row[0],
            position=row[1],
            spot_id=row[2],
            name=row[3],
            levels=_names(row[4]),
            final_level=row[5],
            held_seconds=float(row[6]),
            pain_levels=_names(row[7]),
            numbness=bool(row[8]),
            skipped=bool(row[9]),
            at=float(row[10]),
            completed=bool(row[11]),
        )
        spots.setdefault(spot.session, []).append(spot)
    stretches: dict[int, list[StretchRow]] = {}
    for row in connection.execute(
        "SELECT session, name, seconds, completed, at FROM stretches ORDER BY session, at, id"
    ):
        stretch = StretchRow(row[0], row[1], float(row[2]), bool(row[3]), float(row[4]))
        stretches.setdefault(stretch.session, []).append(stretch)
    sessions = []
    for row in connection.execute(
        "SELECT id, started, ended, seconds, routine, ball, finished, summary, commands, "
        "reprompts, questions FROM sessions ORDER BY started, id"
    ):
        sessions.append(
            SessionRow(
                id=row[0],
                started=_moment(row[1]),
                ended=_moment(row[2]) if row[2] else None,
                seconds=float(row[3]),
                routine=row[4],
                ball=row[5],
                finished=bool(row[6]),
                summary=row[7],
                commands=row[8],
                reprompts=row[9],
                questions=row[10],
                spots=tuple(spots.get(row[0], ())),
                stretches=tuple(stretches.get(row[0], ())),
            )
        )
    return sessions


def read_past(connection: sqlite3.Connection, now: datetime) -> Past:
    """The summary of the sessions begun before ``now`` that the coach adapts to."""
    sessions = [s for s in read_sessions(connection) if s.started < now]
    return past_of(sessions, now)


def past_of(sessions: list[SessionRow], now: datetime) -> Past:
    """``Past`` from sessions (oldest first), all begun before ``now``."""
    if not sessions:
        return Past()
    last_start = max(s.started for s in sessions)
    # By spot id, across routines: "rhomboid-left" is the same place on the back in any routine.
    worked: dict[str, list[list[SpotRow]]] = {}  # spot id -> per session that worked it
    for session in sessions:
        by_id: dict[str, list[SpotRow]] = {}
        for spot in session.spots:
            by_id.setdefault(spot.spot_id, []).append(spot)
        for spot_id, rows in by_id.items():
            worked.setdefault(spot_id, []).append(rows)
    return Past(
        sessions=len(sessions),
        sessions_this_week=sum(1 for s in sessions if now - s.started <= WEEK),
        days_since_last=max(0.0, (now - last_start).total_seconds() / 86400),
        spots={spot_id: _spot_past(per_session) for spot_id, per_session in worked.items()},
    )


def _spot_past(per_session: list[list[SpotRow]]) -> SpotPast:
    records = [row for rows in per_session for row in rows]
    # Where the user settled: the last time the spot was actually held; a spot skipped before
    # its hold says nothing about the pressure that suits it.
    held = [row for row in records if row.held_seconds > 0]
    settled = (held or records)[-1].final_level
    pain: list[str] = []
    for rows in per_session[-PAIN_MEMORY:]:
        for row in rows:
            pain.extend(level for level in row.pain_levels if level not in pain)
    last = per_session[-1]
    return SpotPast(
        settled_level=settled,
        pain_levels=tuple(pain),
        tender_last_time=any(row.pain_levels for row in last),
        numb_last_time=any(row.numbness for row in last),
    )


def _names(text: str) -> tuple[str, ...]:
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
