"""`voice-coach session`: a guided session, spoken (default) or typed (--text)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterable
from typing import TextIO

from voice_coach.commands.common import CommandError, rate_argument, require_stdin, volume_argument
from voice_coach.commands.setup import save_ball
from voice_coach.core.balls import ball_ids, ball_kind
from voice_coach.core.coach import Coach
from voice_coach.core.events import Action, BallChosen
from voice_coach.core.records import Past
from voice_coach.core.routine import RoutineError, builtin_names, load_routine
from voice_coach.runtime.history_recorder import HistoryRecorder
from voice_coach.runtime.history_store import HistoryStore, HistoryUnavailable, utc_now
from voice_coach.runtime.observers import ActionObserver, ActionObservers
from voice_coach.runtime.text_session import TextSession, stdin_lines
from voice_coach.settings import ENGINES, RATE_RANGE, Settings, apply, load_settings

_VOICE_FLAGS = ("engine", "model", "voice", "rate", "volume", "input_device", "output_device")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``session`` subcommand."""
    parser = subparsers.add_parser(
        "session",
        help="run a guided session",
        description="Run a guided upper-back session: by voice, or typed with --text.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument(
        "--no-history",
        dest="history",
        action="store_false",
        default=None,
        help="neither record this session nor adapt to earlier ones",
    )
    parser.add_argument(
        "--ball",
        choices=ball_ids(),
        default=None,
        help="your massage ball, for this session (`voice-coach setup` saves it)",
    )
    voice = parser.add_argument_group("voice (overrides the config file)")
    voice.add_argument("--engine", choices=ENGINES, default=None, help="speech recognizer")
    voice.add_argument(
        "--model", default=None, metavar="PATH", help="a Vosk or Whisper model folder, or its name"
    )
    voice.add_argument("--voice", default=None, help="synthesizer voice (see `voice-coach doctor`)")
    low, high = RATE_RANGE
    voice.add_argument(
        "--rate",
        type=rate_argument,
        default=None,
        help=f"speaking rate, {low} to {high} words per minute",
    )
    voice.add_argument("--volume", type=volume_argument, default=None, help="speech volume, 0 to 1")
    voice.add_argument("--input-device", default=None, help="microphone name or number")
    voice.add_argument("--output-device", default=None, help="speaker name or number")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the routine and run the session in the chosen mode."""
    try:
        routine = load_routine(args.routine)
    except RoutineError as error:
        print(f"voice-coach: {error}", file=sys.stderr)
        return 1
    seed = args.seed if args.seed is not None else _fresh_seed()
    settings = load_settings(warn=_note)
    recorder, past = _open_history(settings.history and args.history is not False)
    kind = args.ball or settings.ball
    ball = ball_kind(kind) if kind else None

    def coach_asking(ask: bool) -> Coach:
        # Without a ball it asks which, but only someone who can answer: a voice session, or a
        # person typing (stdin a terminal); a piped script runs as it always did.
        return Coach(routine, seed=seed, past=past, ball=ball, ask_ball=ask and ball is None)

    observers = ActionObservers([recorder] if recorder is not None else [])
    observers.add(_BallKeeper())
    try:
        if not args.text:
            if args.clock == "virtual":
                _note("--clock virtual needs --text; this session runs in text mode.")
            elif _run_voice(coach_asking(True), args, settings, recorder, observers):
                return 0
        stdin = require_stdin("a text session")
        coach = coach_asking(_is_terminal(stdin))
        lines = stdin_lines(stdin)
        _begin(recorder, coach)
        session = TextSession(coach, out=sys.stdout, err=sys.stderr, observer=observers)
        try:
            if args.clock == "virtual":
                session.run_virtual(lines)
            else:
                session.run_real(lines)
        except KeyboardInterrupt:
            session.stop(at=coach.now)
        return 0
    finally:
        if recorder is not None:
            recorder.close()
            recorder.store.close()


def _begin(recorder: HistoryRecorder | None, coach: Coach) -> None:
    # Once the session is sure to run: a session that never began leaves no row.
    if recorder is not None:
        recorder.started(coach.routine.name, ball=coach.ball.id if coach.ball else None)


def _open_history(wanted: bool) -> tuple[HistoryRecorder | None, Past]:
    """The recorder and the past to adapt to; (None, Past()) without history, said once."""
    if not wanted:
        return None, Past()
    try:
        store = HistoryStore.open(note=_note)
    except HistoryUnavailable as error:
        _note(str(error))
        return None, Past()
    try:
        past = store.past(utc_now())
    except sqlite3.Error as error:
        _note(f"cannot read the session history ({error}); this session starts afresh.")
        past = Past()
    return HistoryRecorder(store, note=_note), past


def _epilog() -> str:
    from intents.catalog import default_catalog

    shown = 3  # phrasings per command: enough to show the idea, the matcher takes many more
    rows = [
        "  " + ", ".join(f'"{p}"' for p in intent.phrases[:shown]) + f"... ({intent.description})"
        for intent in default_catalog().intents
    ]
    return "\n".join(
        [
            "spoken (or typed) commands, with a few of the ways to say each:",
            *rows,
            "",
            "In text mode each input line is a command. A line `@<seconds> <command>`, such as",
            "`@90 harder`, is delivered at that time into the session (1:30) instead of when it",
            "is read, so a whole session can be scripted; with --clock virtual it runs at once.",
        ]
    )


class _BallKeeper:
    """Saves the user's answer to "which ball?" in the config file as soon as it is given."""

    def observe(self, actions: Iterable[Action]) -> None:
        for action in actions:
            if isinstance(action, BallChosen):
                _save_ball(action.kind_id)


def _save_ball(kind: str) -> None:
    try:
        save_ball(kind)
    except CommandError as error:  # the session goes on; next time the question comes back
        _note(str(error))
        return
    _note(f"Saved your ball ({kind}); `voice-coach setup` changes it.")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


def _run_voice(
    coach: Coach,
    args: argparse.Namespace,
    settings: Settings,
    recorder: HistoryRecorder | None,
    observer: ActionObserver,
) -> bool:
    """Run the session by voice; False (after saying why) when it has to be text mode."""
    flags = {name: getattr(args, name) for name in _VOICE_FLAGS}
    settings = apply(settings, flags, source="command line", warn=_note)
    from voice_coach.runtime.assembly import build_voice_session  # loads the audio stack

    session = build_voice_session(
        coach, settings, print_line=_print_line, note=_note, observer=observer
    )
    if session is None:
        return False
    _begin(recorder, coach)
    try:
        session.run()
    except KeyboardInterrupt:
        session.interrupt()
    finally:
        session.close()
    return True


def _print_line(text: str) -> None:
    print(text, flush=True)


def _note(text: str) -> None:
    print(f"voice-coach: {text}", file=sys.stderr, flush=True)


def _fresh_seed() -> int:
    import random

    return random.SystemRandom().randrange(2**31)
