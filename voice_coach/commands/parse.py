"""`voice-coach parse`: show which intent each text means."""

from __future__ import annotations

import argparse
import json

from intents.matcher import IntentMatcher
from voice_coach.commands.common import require_stdin


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``parse`` subcommand."""
    parser = subparsers.add_parser(
        "parse",
        help="parse text into intents",
        description="Parse each TEXT (or each line of standard input) into an intent.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("text", nargs="*", metavar="TEXT")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Parse every text and print one result line each."""
    matcher = IntentMatcher()
    texts = args.text if args.text else _stdin_lines()
    for text in texts:
        result = matcher.match(text)
        if args.json:
            line = {"text": text, "intent": result.intent, "confidence": result.confidence}
            print(json.dumps(line, ensure_ascii=False), flush=True)
        else:
            print(f"{text}\t{result.intent or '-'}\t{result.confidence:.2f}", flush=True)
    return 0


def _stdin_lines():
    stdin = require_stdin("parse without TEXT")
    # Binary garbage on stdin must not crash a pipeline: undecodable bytes become U+FFFD.
    stream = open(stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    for line in stream:
        yield line.rstrip("\r\n")
