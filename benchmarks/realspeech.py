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
TRAIN_ROOT = ROOT.parent / "real-speech-train"
# Conditions: the clip as recorded; real background noise at 10 dB; people talking at 5 dB.
CONDITIONS = ("real", "real noise 10 dB", "real babble 5 dB")
SNR_DB = {"real": None, "real noise 10 dB": 10.0, "real babble 5 dB": 5.0}
# The noise clips of real-speech-train that nothing trains on (scripts/train_command_classifier.py
# uses silence-1 .. silence-80).
TEST_NOISE = tuple(f"silence-{n}.wav" for n in range(81, 121))
ROOM = 0.5  # seconds of the noise before and after a clip in the noisy conditions
BABBLE_TALKERS = 5
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


def audio(clip: Clip, root: Path = ROOT, condition: str = "real") -> np.ndarray:
    """The clip as 16 kHz mono int16 samples, as recorded or in a noisy condition.

    Noise is real: background recordings of real-speech-train that nothing was trained on, or
    babble of other real speakers (TUNE-half non-commands, never the clip's own speaker), mixed
    at the condition's SNR against the clip's speech level (the frames within 20 dB of its
    loudest), from a seed of the clip and the condition, so every run hears the same samples.
    """
    samples = _read(root / clip.file)
    snr = SNR_DB[condition]
    if snr is None:
        return samples
    rng = np.random.default_rng(
        int(hashlib.sha1(f"{clip.file}/{condition}".encode()).hexdigest()[:8], 16)
    )
    voice = samples.astype(np.float64) / 32768
    room = np.zeros(int(ROOM * 16_000))
    signal = np.concatenate([room, voice, room])
    if "babble" in condition:
        noise = _babble(len(signal), clip, root, rng)
    else:
        noise = _looped(
            _read(TRAIN_ROOT / TEST_NOISE[rng.integers(len(TEST_NOISE))]), len(signal), rng
        )
    signal = signal + noise * (speech_level(voice) / _rms(noise) / 10 ** (snr / 20))
    signal = signal / max(1.0, np.abs(signal).max() / 0.99)
    return np.round(signal * 32767).astype(np.int16)


def speech_level(samples: np.ndarray) -> float:
    """RMS of the 10 ms frames within 20 dB of the loudest: the voice, not the pauses."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames**2, axis=1)
    return float(np.sqrt(np.mean(power[power >= power.max() / 100]))) or 1e-9


def _babble(n: int, clip: Clip, root: Path, rng: np.random.Generator) -> np.ndarray:
    pool = [c for c in _talkers(root) if c.speaker != clip.speaker]
    mix = np.zeros(n)
    for _ in range(BABBLE_TALKERS):
        talker, at = np.zeros(n), int(rng.integers(-8000, 4000))
        while at < n:
            word = _read(root / pool[rng.integers(len(pool))].file).astype(np.float64)
            word = word / (speech_level(word) or 1.0)
            lo, hi = max(0, at), min(n, at + len(word))
            talker[lo:hi] += word[lo - at : hi - at]
            at += len(word) - int(rng.integers(0, 5000))
        mix += talker * 10 ** (rng.uniform(-3, 3) / 20)
    return mix


_TALKERS: list[Clip] = []


def _talkers(root: Path) -> list[Clip]:
    if not _TALKERS:
        _TALKERS.extend(c for c in clips(root) if c.intent is None and c.split == "tune")
    return _TALKERS


def _looped(noise: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    looped = np.tile(noise.astype(np.float64) / 32768, n // len(noise) + 2)
    offset = int(rng.integers(len(noise)))
    return looped[offset : offset + n]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) or 1e-9


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (16_000, 1, 2):
            raise ValueError(f"{path.name}: not 16 kHz mono 16-bit")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
