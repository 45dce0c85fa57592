"""`voice-coach history`: the sessions so far, one spot over time, export, a picture, forget."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from voice_coach.commands.common import CommandError, require_stdin
from voice_coach.runtime.history_read import SessionRow, SpotRow, read_sessions
from voice_coach.runtime.history_store import HistoryStore, HistoryUnavailable, default_path

WEEKS_SHOWN = 8
NOTHING_YET = "No sessions recorded yet: the history starts with your next session."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``history`` subcommand."""
    parser = subparsers.add_parser(
        "history",
        help="show, export or forget the sessions recorded so far",
        description="Recent sessions and how regular they were; one spot over time; export as "
        "JSON or CSV; a picture of pressure per spot; or forget everything.",
    )
    parser.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="sessions shown (default 20)"
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--spot", metavar="NAME", help="one spot over time (its id or a word of it)")
    what.add_argument("--json", action="store_true", help="every session with its spots, as JSON")
    what.add_argument("--csv", action="store_true", help="every spot of every session, as CSV")
    what.add_argument("--plot", metavar="FILE.png", type=Path, help="draw pressure per spot")
    what.add_argument("--forget", action="store_true", help="delete the whole history")
    parser.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Do what the flags ask; an empty or missing history is one sentence, never an error."""
    path = default_path()
    if args.forget:
        return _forget(path, args.yes)
    if not path.exists():
        print(NOTHING_YET)
        return 0
    with _open(path) as store:
        sessions = read_sessions(store.connection)
    if not sessions:
        print(NOTHING_YET)
        return 0
    if args.json:
        json.dump([session_dict(s) for s in sessions], sys.stdout, indent=2)
        print()
    elif args.csv:
        write_csv(sessions)
    elif args.plot is not None:
        from voice_coach.commands.history_plot import plot  # matplotlib loads only for this

        try:
            plot(sessions, args.plot)
        except OSError as error:
            raise CommandError(f"cannot write {args.plot} ({error.strerror or error}).") from error
        print(f"Wrote {args.plot}.")
    elif args.spot is not None:
        return show_spot(sessions, args.spot)
    else:
        show_sessions(sessions, args.limit)
    return 0


def show_sessions(sessions: list[SessionRow], limit: int) -> None:
    """The most recent sessions as a table, then sessions per week."""
    rows: list[tuple[str, ...]] = [("date", "routine", "minutes", "spots worked", "pain reports")]
    for session in sessions[-limit:]:
        done = sum(1 for spot in session.spots if spot.completed)  # as the summary counts
        ending = "" if session.finished else " (stopped)"
        rows.append(
            (
                _local(session.started),
                session.routine + ending,
                f"{session.seconds / 60:.0f}",
                str(done),
                str(session.pain_reports),
            )
        )
    _print_table(rows)
    print()
    print(f"Sessions per week (last {WEEKS_SHOWN} weeks):")
    for week, count in sessions_per_week(sessions, datetime.now().astimezone()):
        print(f"  week of {week:%Y-%m-%d}: {count:2d} {'#' * count}".rstrip())


def sessions_per_week(sessions: list[SessionRow], now: datetime) -> list[tuple[datetime, int]]:
    """(Monday of the week, sessions begun in it) for the last weeks, oldest first, local time."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=back) for back in range(WEEKS_SHOWN - 1, -1, -1)]
    counts = dict.fromkeys(weeks, 0)
    for session in sessions:
        day = session.started.astimezone(now.tzinfo)
        start = day.replace(hour=0, minute=0, second=0, microsecond=0)
        start -= timedelta(days=start.weekday())
        if start in counts:
            counts[start] += 1
    return list(counts.items())


def show_spot(sessions: list[SessionRow], name: str) -> int:
    """Every record of the spots matching ``name``, oldest first; 1 when none matches."""
    matches = [
        (session, spot)
        for session in sessions
        for spot in session.spots
        if spot_matches(spot, name)
    ]
    if not matches:
        known = sorted({spot.spot_id for session in sessions for spot in session.spots})
        raise CommandError(
            f"no spot matching {name!r} in the history (recorded: {', '.join(known) or 'none'})."
        )
    rows: list[tuple[str, ...]] = [
        ("date", "spot", "levels", "hold s", "pain at", "numb", "skipped")
    ]
    for session, spot in matches:
        rows.append(
            (
                _local(session.started),
                spot.spot_id,
                " > ".join(spot.levels) or "-",
                f"{spot.held_seconds:.0f}",
                ", ".join(spot.pain_levels) or "-",
                "yes" if spot.numbness else "-",
                "yes" if spot.skipped else "-",
            )
        )
    _print_table(rows)
    return 0


def spot_matches(spot: SpotRow, name: str) -> bool:
    """True when ``name`` is the spot's id or one word of its id or name (any case)."""
    wanted = name.strip().lower()
    words = set(spot.spot_id.lower().split("-")) | set(spot.name.lower().split())
    return wanted in (spot.spot_id.lower(), spot.name.lower()) or wanted in words


def session_dict(session: SessionRow) -> dict:
    """A session as plain JSON values (times as ISO strings)."""
    data = asdict(session)
    data["started"] = session.started.isoformat()
    data["ended"] = session.ended.isoformat() if session.ended else None
    for spot in data["spots"]:
        del spot["session"]
    for stretch in data["stretches"]:
        del stretch["session"]
    return data


CSV_COLUMNS = (
    "session", "started", "routine", "session_seconds", "finished", "ball", "commands",
    "reprompts", "questions", "position", "spot_id", "spot_name", "levels", "final_level",
    "held_seconds", "pain_levels", "numbness", "skipped", "at", "completed",
)  # fmt: skip


def write_csv(sessions: list[SessionRow]) -> None:
    """One row per spot (a session without spots has one row with the spot columns empty)."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for session in sessions:
        head = [
            session.id,
            session.started.isoformat(),
            session.routine,
            f"{session.seconds:g}",
            int(session.finished),
            session.ball or "",
            session.commands,
            session.reprompts,
            session.questions,
        ]
        if not session.spots:
            writer.writerow(head + [""] * (len(CSV_COLUMNS) - len(head)))
        for spot in session.spots:
            writer.writerow(
                [
                    *head,
                    spot.position,
                    spot.spot_id,
                    spot.name,
                    ";".join(spot.levels),
                    spot.final_level,
                    f"{spot.held_seconds:g}",
                    ";".join(spot.pain_levels),
                    int(spot.numbness),
                    int(spot.skipped),
                    f"{spot.at:g}",
                    int(spot.completed),
                ]
            )


def _forget(path: Path, yes: bool) -> int:
    if not path.exists():
        print("There is no history to forget.")
        return 0
    if not yes:
        print(f"Delete every recorded session in {path}? Type yes to confirm: ", end="", flush=True)
        answer = require_stdin("--forget without --yes").readline().strip().lower()
        if answer != "yes":
            print("Nothing deleted.")
            return 1
    with _open(path) as store:
        count = store.forget()
    print(f"Deleted {count} recorded session{'' if count == 1 else 's'}.")
    return 0


@contextmanager
def _open(path: Path) -> Iterator[HistoryStore]:
    try:
        store = HistoryStore.open(path, note=lambda text: print(f"voice-coach: {text}",
                                                                file=sys.stderr))  # fmt: skip
    except HistoryUnavailable as error:
        message = str(error).replace("this session is not recorded", "nothing is shown")
        raise CommandError(message) from error
    try:
        yield store
    finally:
        store.close()


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _local(moment: datetime) -> str:
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value
