"""The `voice-coach` command line: a thin dispatcher over ``voice_coach.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the order `voice-coach --help` lists them in.
COMMANDS: tuple[str, ...] = ("session", "parse", "recognize", "models", "doctor")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="voice-coach",
        description="Offline, hands-free voice coach for upper-back self-massage.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"voice_coach.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("voice-coach: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
