"""Real human recordings for benchmarks/accuracy.py, read from ../shared/real-speech/ (not copied).

Counted as its README says: commands are "stop", "start", "help", "repeat", "pause" and "pause
timer" (pause), "resume" and "resume timer" (resume), "next" (next spot); "go", the timer
cancellations, "nevermind", "skip on tv" and the untranscribed ``oov-*`` clips count neither way;
everything else is a non-command the coach must not act on.

Speakers are split in two halves by a hash of their id, so thresholds tuned on the TUNE half are
reported on voices they never heard (HELDOUT).
"""

from __future__ import annotations

import csv
import hashlib
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "real-speech"
COMMANDS = {
    "stop": "stop",
    "start": "start",
    "help": "help",
    "repeat": "repeat",
    "pause": "pause",
    "pause timer": "pause",
    "resume": "resume",
    "resume timer": "resume",
    "next": "next_spot",
}
NOT_COUNTED = {"go", "cancel timer", "cancel all timers", "nevermind", "skip on tv"}
SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Clip:
    """One recording: its file, what is said, who said it, and what the coach should do."""

    file: str
    words: str
    speaker: str
    intent: str | None  # None: a non-command

    @property
    def split(self) -> str:
        digest = hashlib.sha1(self.speaker.encode()).digest()
        return SPLITS[digest[0] % 2]


def speaker(source: str) -> str:
    """The speaker id of a manifest ``source``, as the README defines it."""
    name = source.split(":", 1)[-1].split("@")[0].rsplit("/", 1)[-1]
    if found := re.search(r"([0-9a-f]{8})_nohash", name):
        return found.group(1)  # Google Speech Commands
    if "/an4/" in source:
        return name.split("-")[1]  # CMU AN4: an46-mmap-b.wav
    if "speech-to-phrase" in source:
        return "speech-to-phrase"  # Home Assistant's test clips: one speaker
    if "/cards/" in source or "/librivox/" in source:
        return source.split("/")[-2]
    return name.split("-")[0].split(".")[0]  # goforward.raw, LibriSpeech 2086-149220-0033


def clips(root: Path = ROOT) -> list[Clip]:
    """Every counted clip of the manifest, in its order."""
    out = []
    with open(root / "manifest.tsv", newline="") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            words = row["words"]
            if words in NOT_COUNTED or row["file"].startswith("oov-"):
                continue
            out.append(Clip(row["file"], words, speaker(row["source"]), COMMANDS.get(words)))
    return out


def audio(clip: Clip, root: Path = ROOT) -> np.ndarray:
    """The clip as 16 kHz mono int16 samples."""
    with wave.open(str(root / clip.file)) as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (16_000, 1, 2):
            raise ValueError(f"{clip.file}: not 16 kHz mono 16-bit")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
