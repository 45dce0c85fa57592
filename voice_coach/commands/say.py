"""`voice-coach say TEXT`: hear a voice (or write it to a WAV file) before choosing it."""

from __future__ import annotations

import argparse
import sys
import time

from audio_models.errors import AudioModelsError
from audio_models.types import Clip
from voice_coach.commands.common import CommandError, rate_argument, volume_argument
from voice_coach.settings import RATE_RANGE, apply, load_settings

SAMPLE = "Roll slowly onto the ball, and breathe out as the muscle softens."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``say`` subcommand."""
    parser = subparsers.add_parser(
        "say",
        help="speak a line in a voice, to hear it before choosing it",
        description=(
            "Speak TEXT in the coach's voice, or the one --voice names (a neural voice such as "
            "joe, espeak, or an espeak-ng voice; `voice-coach doctor` lists them), with the "
            "config file's rate and volume unless given. --wav writes it to a file instead."
        ),
    )
    parser.add_argument("text", nargs="*", help=f'what to say (default: "{SAMPLE}")')
    parser.add_argument("--voice", default=None, help="a voice (see `voice-coach doctor`)")
    low, high = RATE_RANGE
    parser.add_argument(
        "--rate", type=rate_argument, default=None, help=f"words per minute, {low} to {high}"
    )
    parser.add_argument("--volume", type=volume_argument, default=None, help="0 to 1")
    parser.add_argument("--wav", metavar="FILE", default=None, help="write a WAV file instead")
    parser.add_argument("--output-device", default=None, help="speaker name or number")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Render the text; play it, or write it with --wav."""
    from audio_models.wav_file import write_wav
    from voice_coach.runtime.voices import make_synthesizer

    settings = load_settings(warn=_note)
    flags = {k: getattr(args, k) for k in ("voice", "rate", "volume", "output_device")}
    settings = apply(settings, flags, "the command line", _note)
    text = " ".join(args.text).strip() or SAMPLE
    try:
        synthesizer = make_synthesizer(settings.voice, settings.rate, settings.volume, _note)
        started = time.perf_counter()
        clip = synthesizer.render(text)
    except AudioModelsError as error:
        raise CommandError(str(error)) from error
    took = time.perf_counter() - started
    _note(f"{synthesizer.description}: {clip.duration:.1f} s of speech rendered in {took:.2f} s.")
    if args.wav:
        try:
            write_wav(args.wav, clip.samples, clip.rate)
        except OSError as error:
            raise CommandError(f"cannot write {args.wav} ({error.strerror or error}).") from error
        return 0
    return _play(clip, settings.output_device)


def _play(clip: Clip, device: str | None) -> int:
    from audio_models.devices.speaker import Speaker

    try:
        speaker = Speaker(device=device)
    except AudioModelsError as error:
        raise CommandError(f"{error} `--wav FILE` writes the line to a file instead.") from error
    try:
        playback = speaker.play(clip)
        time.sleep(max(0.0, playback.end - time.monotonic()) + 0.1)
    finally:
        speaker.close()
    return 0


def _note(text: str) -> None:
    print(f"voice-coach: {text}", file=sys.stderr, flush=True)
