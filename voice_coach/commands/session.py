"""`voice-coach session`: a guided session, spoken (default) or typed (--text)."""

from __future__ import annotations

import argparse
import sys

from voice_coach.dialogue import Coach
from voice_coach.routine import RoutineError, builtin_names, load_routine
from voice_coach.text_session import TextSession, stdin_lines


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``session`` subcommand."""
    parser = subparsers.add_parser(
        "session",
        help="run a guided session",
        description="Run a guided upper-back session: by voice, or typed with --text.",
    )
    parser.add_argument("--text", action="store_true", help="type commands, read printed lines")
    parser.add_argument(
        "--routine",
        default="upper-back",
        metavar="NAME|FILE",
        help=f"a built-in routine ({', '.join(builtin_names())}) or a TOML file",
    )
    parser.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="virtual runs without waiting (text mode only)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for the coach's wording")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the routine and run the session in the chosen mode."""
    try:
        routine = load_routine(args.routine)
    except RoutineError as error:
        print(f"voice-coach: {error}", file=sys.stderr)
        return 1
    seed = args.seed if args.seed is not None else _fresh_seed()
    coach = Coach(routine, seed=seed)
    if not args.text:
        print(
            "voice-coach: the voice loop is not available yet, so this session runs in text mode; "
            "type commands such as start, harder, pause or stop.",
            file=sys.stderr,
        )
    session = TextSession(coach, out=sys.stdout, err=sys.stderr)
    lines = stdin_lines(sys.stdin)
    try:
        if args.clock == "virtual":
            session.run_virtual(lines)
        else:
            session.run_real(lines)
    except KeyboardInterrupt:
        session.stop(at=coach._now)
    return 0


def _fresh_seed() -> int:
    import random

    return random.SystemRandom().randrange(2**31)
