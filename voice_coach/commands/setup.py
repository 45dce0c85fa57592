"""`voice-coach setup`: say which massage ball you have; the config file keeps it for sessions."""

from __future__ import annotations

import argparse
import sys

from intents.matcher import IntentMatcher
from voice_coach.commands.common import CommandError, require_stdin
from voice_coach.config_file import set_top_level
from voice_coach.core.balls import ball_ids, default_balls
from voice_coach.core.lines import Lines
from voice_coach.settings import config_path

TRIES = 3  # typed answers that name no ball before setup gives up


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``setup`` subcommand."""
    parser = subparsers.add_parser(
        "setup",
        help="say which massage ball you have",
        description=(
            "Say which massage ball you have (typed, or with --ball); it is saved in the config "
            "file, and every session's starting pressure, hold lengths and a few cues follow it."
        ),
    )
    parser.add_argument(
        "--ball",
        choices=ball_ids(),
        default=None,
        help="save this ball without asking",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Ask (unless --ball says) and save the answer."""
    kind = args.ball or _ask()
    save_ball(kind)
    print(f"Saved your ball ({kind}) in {config_path()}.")
    return 0


def save_ball(kind: str) -> None:
    """Write ``ball = "kind"`` into the config file; CommandError (one sentence) if it cannot."""
    path = config_path()
    try:
        set_top_level(path, "ball", kind)
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot save your ball in {path} ({error}).") from error


def _ask() -> str:
    stdin = require_stdin("setup without --ball")
    matcher = IntentMatcher()
    question = Lines().always("ball_question")
    for _ in range(TRIES):
        print(question, flush=True)
        line = stdin.readline()
        if not line:
            raise CommandError("no answer; nothing saved (or give --ball KIND).")
        kind = matcher.ball(matcher.tokens(line))
        if kind in default_balls():
            print(default_balls()[kind].confirm)
            return kind
        print(
            f"That names no ball I know; answer with one of: {', '.join(ball_ids())}.",
            file=sys.stderr,
        )
    raise CommandError(f"no ball named after {TRIES} answers; nothing saved.")
