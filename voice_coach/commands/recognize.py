"""`voice-coach recognize`: decode audio files with a speech engine and show the intent heard.

The engine is loaded once per call; each file is a separate stream (the recognizer is reset
between files). A file can hold several utterances; the one reported is the best: an utterance
that means an intent beats one that does not, then the higher confidence wins, then the earlier.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from audio_models.errors import AudioModelsError
from audio_models.recognizers.protocol import SAMPLE_RATE, Recognizer
from audio_models.types import Transcript
from audio_models.wav_file import Wav, read_wav_file, recognizer_pcm
from intents.catalog import default_catalog
from intents.matcher import IntentMatch, IntentMatcher
from voice_coach.runtime.engines import ENGINES, make_recognizer

CHUNK_BYTES = SAMPLE_RATE // 10 * 2  # 0.1 s, the size a microphone callback would deliver


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``recognize`` subcommand."""
    parser = subparsers.add_parser(
        "recognize",
        help="decode audio files into text and intents",
        description="Decode each WAV FILE (any rate, channel count and sample format) with a "
        "speech engine and print the text and intent heard.",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="speech engine (default: auto = an installed Vosk model, else Whisper tiny.en)",
    )
    parser.add_argument(
        "--model", metavar="PATH", help="a Vosk or Whisper model folder, or its name"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Decode every file; exit 0 when all were decoded, 1 when any (or the engine) failed."""
    try:
        recognizer = make_recognizer(args.engine, default_catalog(), args.model)
    except AudioModelsError as error:
        print(f"voice-coach: {error}", file=sys.stderr)
        return 1
    matcher = IntentMatcher()
    failed = False
    for name in args.files:
        try:
            line = decode_file(recognizer, matcher, name, warn=_warn)
        except AudioModelsError as error:
            failed = True
            _warn(str(error) if name in str(error) else f"{name}: {error}")
            if not args.json:
                continue  # stdout keeps one result line per decoded file, for cut and friends
            line = {"file": name, "error": str(error)}  # JSON keeps one object per file
        _print(line, args.json)
    return 1 if failed else 0


def wav_notes(name: str, wav: Wav) -> list[str]:
    """What to say about a file before trusting its result: cut off, or converted."""
    notes = []
    if wav.missing_seconds > 0:
        notes.append(
            f"{name} is cut off: its header promises {wav.missing_seconds:.1f} s more audio "
            "than it holds; what is there was decoded."
        )
    channels = wav.samples.shape[1]
    if wav.rate != SAMPLE_RATE or channels != 1:
        layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
        note = f"{name} is {wav.rate} Hz {layout}; it was converted to 16 kHz mono"
        if wav.rate < SAMPLE_RATE:
            note += (
                ", but audio recorded below 16 kHz (8 kHz telephone audio, say) lacks the "
                "higher frequencies the recognizers rely on, so expect poor results"
            )
        notes.append(note + ".")
    return notes


def decode_file(
    recognizer: Recognizer,
    matcher: IntentMatcher,
    name: str,
    warn: Callable[[str], None] = lambda text: None,
) -> dict[str, Any]:
    """Decode one file as a stream of its own; the result line for it. Notes go to ``warn``."""
    wav = read_wav_file(name)
    for note in wav_notes(name, wav):
        warn(note)
    pcm = recognizer_pcm(wav)
    recognizer.reset()
    began = time.perf_counter()
    transcripts: list[Transcript] = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        transcripts += recognizer.accept(pcm[i : i + CHUNK_BYTES])
    transcripts += recognizer.flush()
    decode_ms = (time.perf_counter() - began) * 1000.0
    transcript, match = best([t for t in transcripts if t.final], matcher)
    return {
        "file": name,
        "text": transcript.text if transcript else "",
        "intent": match.intent if match else None,
        "confidence": transcript.confidence if transcript else 0.0,
        "decode_ms": round(decode_ms, 1),
    }


def best(
    transcripts: Iterable[Transcript], matcher: IntentMatcher
) -> tuple[Transcript | None, IntentMatch | None]:
    """The utterance to report: one with an intent first, then the most confident, then earliest."""
    chosen: tuple[tuple[bool, float], Transcript, IntentMatch] | None = None
    for transcript in transcripts:
        match = matcher.match(transcript.text)
        rank = (match.intent is not None, transcript.confidence)
        if chosen is None or rank > chosen[0]:
            chosen = (rank, transcript, match)
    return (chosen[1], chosen[2]) if chosen else (None, None)


def _warn(text: str) -> None:
    print(f"voice-coach: {text}", file=sys.stderr, flush=True)


def _print(line: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(line, ensure_ascii=False), flush=True)
    else:
        text = line["text"] or "-"
        intent = line["intent"] or "-"
        print(
            f"{line['file']}\t{text}\t{intent}\t{line['confidence']:.2f}\t"
            f"{line['decode_ms']:.0f} ms",
            flush=True,
        )
