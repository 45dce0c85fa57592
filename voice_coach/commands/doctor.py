"""`voice-coach doctor`: what this machine offers the coach, and what is missing, in plain lines."""

from __future__ import annotations

import argparse
import sys
import time

from audio_models.errors import AudioModelsError

LISTEN_SECONDS = 3.0
METER_WIDTH = 40


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check audio devices, voices, recognizers and models",
        description="Report audio devices, speech voices, recognizer engines and models.",
    )
    parser.add_argument(
        "--listen",
        action="store_true",
        help=f"show the microphone level for {LISTEN_SECONDS:.0f} seconds",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print every section; exit 1 when something the default session needs is missing."""
    problems = 0
    for check in (_devices, _voices, _recognizers, _models, _config, _history):
        problems += check()
    if args.listen:
        problems += _listen()
    print("All set." if not problems else f"{problems} problem(s) found; see the lines above.")
    return 1 if problems else 0


def _devices() -> int:
    from audio_models.devices.portaudio import list_devices

    print("Audio devices:")
    try:
        devices = list_devices()
    except AudioModelsError as error:
        print(f"  {error}")
        return 1
    for d in devices:
        roles = [r for r, on in (("default input", d.is_default_input),
                                 ("default output", d.is_default_output)) if on]  # fmt: skip
        print(f"  [{d.index}] {d.name} ({d.host_api}): {d.inputs} in, {d.outputs} out, "
              f"{d.default_rate:.0f} Hz{' - ' + ', '.join(roles) if roles else ''}")  # fmt: skip
    has = {"microphone": any(d.inputs for d in devices), "speaker": any(d.outputs for d in devices)}
    missing = [kind for kind, present in has.items() if not present]
    for kind in missing:
        print(f"  No {kind} found: sessions will run in text mode.")
    return len(missing)


def _voices() -> int:
    from audio_models.piper_tts import DEFAULT_VOICE, PiperSynthesizer
    from audio_models.tts import Pyttsx3Synthesizer

    print("Neural voices (the default; use with --voice):")
    failed = 0
    try:
        neural = PiperSynthesizer(cache=None)
        took = neural.load_seconds
        for voice in neural.voices():
            default = " (default)" if voice.id == DEFAULT_VOICE else ""
            print(f"  {voice.id}  {voice.name}{default}, loaded in {took:.2f} s")
    except AudioModelsError as error:
        print(f"  {error} Sessions speak with espeak-ng instead.")
        failed = 1
    print("espeak-ng voices (use with --voice; --voice espeak is its default voice):")
    try:
        voices = Pyttsx3Synthesizer().voices()
    except AudioModelsError as error:
        print(f"  {error}")
        return 1
    english = [v for v in voices if any(lang.startswith("en") for lang in v.languages)]
    for voice in english:
        print(f"  {voice.id}  {voice.name}")
    print(f"  ({len(voices)} voices in all, {len(english)} English)")
    return failed


def _recognizers() -> int:
    from intents.catalog import default_catalog
    from voice_coach.runtime.engines import make_pocketsphinx

    print("Recognizer engines:")
    failed = _whisper()
    started = time.perf_counter()
    try:
        recognizer = make_pocketsphinx(default_catalog())
    except AudioModelsError as error:
        print(f"  pocketsphinx: {error}")
        return 1
    took = time.perf_counter() - started
    print(f"  pocketsphinx: ready ({len(recognizer.phrases)} phrases, loaded in {took:.2f} s)")
    try:
        import vosk  # noqa: F401
    except ImportError:
        print("  vosk: the vosk package is missing; run `make run` to reinstall the project.")
        return 1
    print("  vosk: package installed")
    return failed


def _whisper() -> int:
    """Loads the packaged Whisper weights, as ``--engine auto`` does (1 if they do not load)."""
    from audio_models.recognizers.whisper_model import WhisperModel, default_model_path

    started = time.perf_counter()
    try:
        WhisperModel()
        path = default_model_path()
    except AudioModelsError as error:
        print(f"  whisper: {error}")
        return 1
    took = time.perf_counter() - started
    print(f"  whisper: ready (tiny.en in {path}, loaded in {took:.2f} s)")
    return 0


def _models() -> int:
    from audio_models.models.store import ModelStore

    print("Vosk models:")
    try:
        store = ModelStore()
        chosen = store.find_vosk_model()
        installed = store.installed()
    except AudioModelsError as error:
        print(f"  {error}")
        return 1
    broken = 0
    vosk = [model for model in installed if model.kind == "vosk"]
    for model in vosk:
        mark = " (used by --engine auto)" if chosen and model.path == chosen else ""
        state = "" if model.valid else " - MISSING OR DAMAGED"
        print(f"  {model.name}: {model.path}{state}{mark}")
        if not model.valid:
            broken += 1
            print(
                f"    --engine auto skips it; `voice-coach models remove {model.name}` forgets it."
            )
    if not vosk:
        print("  none installed; --engine auto uses Whisper tiny.en. Install one with")
        print("  `voice-coach models install vosk-model-small-en-us-0.15`.")
    whisper = [model for model in installed if model.kind == "whisper"]
    if whisper:
        print("Whisper models (each runs when named: --model NAME):")
    for model in whisper:
        print(f"  {model.name}: {model.path}{'' if model.valid else ' - MISSING OR DAMAGED'}")
        if not model.valid:
            broken += 1
            print(f"    `voice-coach models remove {model.name}` forgets it.")
    return broken


def _config() -> int:
    """The config file's path and, when it has any, each problem in it (1 if any)."""
    from voice_coach.settings import config_path, load_settings

    path = config_path()
    if not path.exists():
        print(f"Config file: {path} (not present; defaults apply)")
        return 0
    problems: list[str] = []
    load_settings(path, warn=problems.append)
    print(f"Config file: {path}{'' if problems else ' (valid)'}")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


def _history() -> int:
    """Where the session history is kept and how many sessions it holds (1 if unreadable).

    Opened read-only: a session moves a damaged file aside, the doctor only looks.
    """
    import sqlite3

    from voice_coach.runtime.history_read import read_sessions
    from voice_coach.runtime.history_store import default_path, is_unavailable

    path = default_path()
    if not path.exists():
        print(f"History file: {path} (no session recorded yet)")
        return 0
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            count = len(read_sessions(connection))
        finally:
            connection.close()
    except sqlite3.Error as error:
        if isinstance(error, sqlite3.DatabaseError) and not is_unavailable(error):
            print(f"History file: {path} cannot be read ({error}); the next session moves it "
                  "aside and starts a fresh history.")  # fmt: skip
        else:
            print(f"History file: {path} cannot be opened ({error}); sessions are not "
                  "recorded until it can be.")  # fmt: skip
        return 1
    print(f"History file: {path} ({count} session{'' if count == 1 else 's'} recorded)")
    return 0


def _meter(level: float) -> str:
    filled = int(METER_WIDTH * min(1.0, max(0.0, (level + 60) / 60)))
    return f"  {'#' * filled:<{METER_WIDTH}} {level:6.1f} dBFS"


def _listen() -> int:
    from audio_models.devices.microphone import Microphone

    print(f"Microphone level for {LISTEN_SECONDS:.0f} seconds (speak now):")
    try:
        microphone = Microphone()
    except AudioModelsError as error:
        print(f"  {error}")
        return 1
    loudest, shown, last = -120.0, 0.0, -120.0
    live = sys.stdout.isatty()
    try:
        until = time.monotonic() + LISTEN_SECONDS
        while (now := time.monotonic()) < until:
            if microphone.read(0.1) is None:
                continue
            last = microphone.level()
            loudest = max(loudest, last)
            # A terminal gets a moving bar; a log gets one line a second.
            if now - shown >= (0.1 if live else 1.0):
                shown = now
                print(("\r" if live else "") + _meter(last), end="" if live else "\n", flush=True)
    finally:
        microphone.close()
    print(f"{chr(10) if live else ''}  loudest: {loudest:.1f} dBFS")
    if loudest < -50:
        print("  That is very quiet: check the microphone is not muted and is the default input.")
        return 1
    return 0
