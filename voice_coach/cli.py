"""The `voice-coach` command line: a thin dispatcher over ``voice_coach.commands``."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from importlib import metadata

from voice_coach.commands.common import CommandError

# Order is the order `voice-coach --help` lists them in.
COMMANDS: tuple[str, ...] = (
    "session", "setup", "history", "routines", "parse", "recognize", "say", "models", "doctor",
)  # fmt: skip
# What a shell reports for a tool that SIGPIPE killed (128 + 13), e.g. `cat` cut off by `head`.
BROKEN_PIPE_EXIT = 141


def version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("voice-coach")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="voice-coach",
        description="Offline, hands-free voice coach for upper-back self-massage.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"voice_coach.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        # No command is a usage error, as argparse treats any missing argument: the help goes
        # to stderr (stdout stays for a command's output) and the exit code is 2.
        parser.print_help(sys.stderr)
        print("voice-coach: error: choose a COMMAND", file=sys.stderr)
        return 2
    try:
        code = int(args.run(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or closed pipe is reported here, not at exit
        return code
    except KeyboardInterrupt:
        print("voice-coach: interrupted.", file=sys.stderr)
        return 130
    except CommandError as error:
        print(f"voice-coach: {error}", file=sys.stderr)
        return error.code
    except BrokenPipeError:
        # The reader (head, less) has all it wants: end quietly, as cat or grep would. Python
        # would flush stdout again at exit and fail once more, so it is pointed at /dev/null.
        _drop_stdout()
        return BROKEN_PIPE_EXIT
    except OSError as error:
        reason = error.strerror or str(error)
        if error.filename is not None:  # a file a command should have reported itself
            print(f"voice-coach: {error.filename}: {reason}.", file=sys.stderr)
            return 1
        _drop_stdout()
        hint = "; free some disk space" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        print(f"voice-coach: cannot write the output ({reason}){hint}.", file=sys.stderr)
        return 1


def _drop_stdout() -> None:
    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no descriptor to replace; nothing more can fail there
        pass


if __name__ == "__main__":
    sys.exit(main())
