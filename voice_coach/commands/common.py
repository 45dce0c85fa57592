"""What the subcommands share: the one-sentence error they end with, and standard input."""

from __future__ import annotations

import sys
from typing import TextIO


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
