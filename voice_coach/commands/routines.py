"""`voice-coach routines`: the built-in routines, how long each takes and which spots it works."""

from __future__ import annotations

import argparse
import io
import re

from voice_coach.core.routine import Routine, builtin_names, load_routine

_STAMP = re.compile(r"^\[(\d+):(\d+(?:\.\d+)?)\]")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``routines`` subcommand."""
    parser = subparsers.add_parser(
        "routines",
        help="list the built-in routines",
        description="List the built-in routines (for `session --routine NAME`) with their "
        "length and spots.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print each built-in routine: name, title, length, then its spots in order."""
    for name in builtin_names():
        routine = load_routine(name)
        minutes = round(session_seconds(routine) / 60)
        print(f"{name}: {routine.title}, about {minutes} minutes, {len(routine.spots)} spots")
        for number, spot in enumerate(routine.spots, 1):
            print(f"  {number}. {spot.name} ({spot.position})")
    return 0


def session_seconds(routine: Routine) -> float:
    """How long a session of ``routine`` lasts when the user only says start.

    Measured by running it under the virtual clock rather than summed from the timings, so the
    figure stays true to what the coach actually does between spots.
    """
    from voice_coach.core.coach import Coach
    from voice_coach.runtime.text_session import TextSession

    out = io.StringIO()
    TextSession(Coach(routine, seed=0), out=out, err=io.StringIO()).run_virtual(["start"])
    last = 0.0
    for line in out.getvalue().splitlines():
        if stamp := _STAMP.match(line):
            last = max(last, int(stamp.group(1)) * 60 + float(stamp.group(2)))
    return last
