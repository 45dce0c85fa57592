"""`voice-coach models`: list, install, add, remove and locate speech models, Vosk and Whisper
(CTranslate2 format)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from typing import TextIO

from audio_models.errors import AudioModelsError
from audio_models.models.store import MODEL_VARIABLE, InstalledModel, ModelStore

MB = 1e6


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``models`` subcommand and its own subcommands."""
    parser = subparsers.add_parser(
        "models",
        help="list, install, add or remove speech models (Vosk and Whisper)",
        description=(
            "Manage the Vosk models `--engine vosk` (and auto) can use, and Whisper models "
            "(CTranslate2 format), which run when named with --model NAME."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="known and installed models").set_defaults(run=run_list)
    install = actions.add_parser("install", help="download, verify and unpack a known model")
    install.add_argument("name", metavar="NAME")
    install.add_argument("--force", action="store_true", help="reinstall even if installed")
    install.set_defaults(run=run_install)
    add = actions.add_parser("add", help="use a model folder or archive you already have")
    add.add_argument(
        "path", metavar="PATH", help="a Vosk or Whisper model folder, or a Vosk .zip/.tar.gz"
    )
    add.add_argument("--name", help="the name to list it under (default: from PATH)")
    add.set_defaults(run=run_add)
    remove = actions.add_parser("remove", help="delete an installed model, or forget a folder")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=run_remove)
    path = actions.add_parser("path", help="print a model's folder (default: the Vosk one in use)")
    path.add_argument("name", metavar="NAME", nargs="?")
    path.add_argument(
        "--model", metavar="PATH", help="a Vosk model folder that overrides the others"
    )
    path.set_defaults(run=run_path)


Action = Callable[[argparse.Namespace], int]


def _guarded(action: Action) -> Action:
    """Turn an AudioModelsError into one `voice-coach: ...` line on stderr and exit code 1."""

    @functools.wraps(action)
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except AudioModelsError as error:
            print(f"voice-coach: {error}", file=sys.stderr)
            return 1

    return run


class ProgressBar:
    """A download progress display on ``stream``: one redrawn line on a terminal, else a few."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.shown = ""
        self.quarter = -1
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` bytes, redrawing only when the text changes."""
        fraction = min(done / total, 1.0) if total > 0 else 0.0
        figures = f"{fraction:4.0%} {done / MB:6.1f}/{total / MB:.1f} MB"
        if self.tty:
            filled = int(fraction * self.WIDTH)
            text = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {figures}"
            if text != self.shown:
                self.stream.write(f"\r{text}")
                self.stream.flush()
                self.shown, self.drawn = text, True
        elif int(fraction * 4) > self.quarter:
            # Logs and pipes get a line at 0, 25, 50, 75 and 100 per cent, not a flood of \r.
            self.quarter = int(fraction * 4)
            print(f"{self.label}: {figures}", file=self.stream, flush=True)

    def finish(self) -> None:
        """End the redrawn line so the next message starts on its own line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _size(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _print_installed(kind: str, models: list[InstalledModel], store: ModelStore) -> None:
    print(
        f"Installed {kind} models (in {store.models_root}):"
        if models
        else f"No {kind} model installed."
    )
    for model in models:
        origin = "added folder" if model.source == "folder" else "data folder"
        state = "" if model.valid else "  (not a usable model now)"
        print(f"  {model.name:<30} {_size(model.size):>9}  {origin:<12}  {model.path}{state}")


@_guarded
def run_list(args: argparse.Namespace) -> int:
    """Print the known and installed models of each kind, and which ones the engines use."""
    from voice_coach.runtime.engines import auto_choice

    store = ModelStore()
    installed = store.installed()
    have = {model.name for model in installed}
    print("Known Vosk models (install with `voice-coach models install NAME`):")
    for known in store.known():
        status = "installed" if known.name in have else "-"
        print(f"  {known.name:<30} {_size(known.size):>9}  {status:<9}  {known.description}")
    _print_installed("Vosk", [m for m in installed if m.kind == "vosk"], store)
    print("Known Whisper models, CTranslate2 format (install the same way; sizes approximate):")
    for whisper in store.known_whisper():
        status = "installed" if whisper.name in have else "-"
        size = "~" + _size(whisper.size)
        print(f"  {whisper.name:<30} {size:>9}  {status:<9}  {whisper.description}")
    _print_installed("Whisper", [m for m in installed if m.kind == "whisper"], store)
    named = os.environ.get(MODEL_VARIABLE)
    if named and store.find_whisper_model(named) is not None:
        chosen = f"none ({MODEL_VARIABLE} names a Whisper model)"
    else:
        try:
            chosen = str(store.find_vosk_model() or "none")
        except AudioModelsError as error:
            chosen = "none"
            print(f"voice-coach: {error}", file=sys.stderr)
    print(f"Used by `--engine vosk`: {chosen}")
    try:
        auto = auto_choice()
    except AudioModelsError:  # the same problem as just above, said once
        auto = f"nothing until {MODEL_VARIABLE} names a model"
    if any(m.kind == "whisper" for m in installed) and not auto.startswith("Whisper, "):
        auto += "; an installed Whisper model runs only when named (--model NAME)"
    print(f"Used by `--engine auto`: {auto}")
    return 0


@_guarded
def run_install(args: argparse.Namespace) -> int:
    """Download, verify and unpack a known model, with a progress bar on stderr."""
    store = ModelStore()
    existing = store.get(args.name)
    if existing is not None and existing.valid and not args.force:
        print(f"{args.name} is already installed in {existing.path}; --force reinstalls it.")
        return 0
    bar = ProgressBar(f"Downloading {args.name}")
    try:
        model = store.install(args.name, progress=bar, force=args.force)
    finally:
        bar.finish()
    print(f"Installed {model.name} in {model.path} ({_size(model.size)}).")
    _whisper_note(model)
    return 0


def _whisper_note(model: InstalledModel) -> None:
    if model.kind == "whisper":
        print(f"Use it with `--model {model.name}`; `--engine auto` alone does not pick it.")


@_guarded
def run_add(args: argparse.Namespace) -> int:
    """Register a model folder, or unpack a model archive into the data folder."""
    model = ModelStore().add(args.path, name=args.name)
    if model.source == "folder":
        print(f"Added {model.name}: the folder {model.path} is used in place.")
        _whisper_note(model)
    else:
        print(f"Added {model.name}: unpacked into {model.path} ({_size(model.size)}).")
    return 0


@_guarded
def run_remove(args: argparse.Namespace) -> int:
    """Delete a model from the data folder, or forget an added folder (its files are kept)."""
    model = ModelStore().remove(args.name)
    if model.source == "folder":
        print(f"Forgot {model.name}; the folder {model.path} itself was left alone.")
    else:
        print(f"Removed {model.name} ({_size(model.size)} freed).")
    return 0


@_guarded
def run_path(args: argparse.Namespace) -> int:
    """Print the folder of NAME, or of the model `--engine vosk` would use."""
    store = ModelStore()
    if args.name:
        print(store.path(args.name))
        return 0
    chosen = store.find_vosk_model(args.model)
    if chosen is None:
        print(
            "voice-coach: No Vosk model is installed; run `voice-coach models install "
            f"vosk-model-small-en-us-0.15`, `voice-coach models add PATH` or set {MODEL_VARIABLE}.",
            file=sys.stderr,
        )
        return 1
    print(chosen)
    return 0
