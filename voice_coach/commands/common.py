"""What the subcommands share: the one-sentence error they end with, and standard input."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from voice_coach.settings import RATE_RANGE


class CommandError(Exception):
    """Ends the command: ``voice-coach: <message>`` on stderr and exit ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def require_stdin(what: str) -> TextIO:
    """Standard input, or CommandError when it was closed (``<&-``) and ``what`` needs it."""
    if sys.stdin is None:
        # Like `cat <&-`: a missing input is the caller's setup, not a crash (exit 1).
        raise CommandError(f"standard input is closed, and {what} reads it; pipe lines in.")
    return sys.stdin


def rate_argument(text: str) -> int:
    """argparse type of --rate: words per minute within RATE_RANGE."""
    # A usage error (exit 2) in every mode: a value that would be ignored is still a mistake.
    low, high = RATE_RANGE
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate from {low} to {high}")
    return value


def volume_argument(text: str) -> float:
    """argparse type of --volume: 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text!r} is not a volume from 0 to 1")
    return value
