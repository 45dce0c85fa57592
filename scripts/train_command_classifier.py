"""Rebuild audio_models/data/command_classifier.npz: the command classifier on Whisper's encoder.

    .venv/bin/python scripts/train_command_classifier.py [--jobs N] [--check]

What it learns from, and what it never hears:
- Real people: every clip of ``../shared/real-speech-train/`` ("stop" is the command stop; yes,
  no, go and every other word are none of the commands), each also mixed with its real
  background noise (``silence-*`` clips up to NOISE_CLIPS) and with babble made of its other
  speakers' words. ``../shared/real-speech/`` is not used at all: its TUNE half tunes the
  recognizer that uses these weights, its HELDOUT half reports on it.
- Synthetic voices: the catalog's phrases of every command (its plainest phrase most often)
  and, as none, the coach's own sentences and everyday chatter written here, spoken by espeak-ng
  voices that benchmarks/devset.py does not use (neither of its splits nor its babble), at
  several rates and pitches, clean and in the same real noise and babble.
Every run renders and encodes the same audio (fixed seeds); features are cached in
``.benchmarks-cache/classifier/`` so a second run only trains. ``--check`` trains on all but a
group of training voices and speakers and prints how it does on them, then exits.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import inspect
import subprocess
import sys
import wave
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_models.pcm import resample  # noqa: E402
from audio_models.recognizers.command_classifier import (  # noqa: E402
    NONE,
    CommandClassifier,
    pooled,
)
from audio_models.recognizers.endpointer import EnergyEndpointer  # noqa: E402
from audio_models.recognizers.whisper_recognizer import (  # noqa: E402
    CLASSIFIER_ENCODER,
    ENDPOINT_WINDOW,
    MAX_UTTERANCE,
    plain,
)

TRAIN = ROOT.parent / "shared" / "real-speech-train"
CACHE = ROOT / ".benchmarks-cache" / "classifier"
OUT = ROOT / "audio_models" / "data" / "command_classifier.npz"
RATE = 16_000
NOISE_CLIPS = 80  # silence-1 .. silence-80 train; benchmarks/accuracy.py mixes in the rest
# espeak-ng voices for training: none is a voice of benchmarks/devset.py (TUNE, HELDOUT or babble).
VOICES = (
    "en+m1", "en-us+m4", "en-gb-x-rp+m5", "en-029+m8", "en-gb-x-gbclan+m1", "en-us+f5",
    "en-gb-x-rp+f2", "en+klatt", "en-029+klatt6", "en-us+adam", "en+belinda", "en-us+Andy",
    "en-gb-x-rp+edward", "en+linda", "en-029+f4", "en-gb-x-gbclan+klatt5",
)  # fmt: skip
RATES = (125, 145, 165, 185, 205)
PITCHES = (35, 50, 65)
PHRASES_PER_INTENT = 40
PLAINEST_TAKES = 24  # the command's own word ("softer") is what people say most
PHRASE_TAKES = 2
# None of the commands: what people say lying on a ball, and around the house. Not the devset's
# non-commands (both of its splits are benchmarks), nor a phrase of the catalog.
CHATTER = (
    "that's nice", "oh that feels good", "mm lovely", "wow", "that's the place",
    "I can feel it working", "so tight today", "my back is killing me", "hi honey",
    "I'm on the floor", "just a moment love", "the dog is barking", "who's at the door",
    "I'll be there in a minute", "feels amazing", "that's really good", "ahh", "hmm",
    "interesting", "not bad", "my shoulders are stiff", "I'm breathing", "in and out",
    "okay okay", "right there", "good good", "that's better", "I like this one",
    "the music is loud", "call me later", "dinner is ready", "what a day",
    "it's getting warm", "where's my phone", "turn the light off", "I'm fine thanks",
    "yes", "no", "yeah", "nope", "maybe", "sure", "hello", "bye for now",
    "one two three", "seven", "twelve", "twenty", "a tennis ball", "the foam one",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--check", action="store_true", help="report on held-back voices")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    jobs, labels = plan()
    features, targets, groups = extract(jobs, labels, args.jobs)
    print(f"{len(features)} utterances, {len(labels)} classes: {', '.join(map(repr, labels))}")
    if args.check:
        check(features, targets, groups, labels)
        return 0
    model = fit(features, targets, len(labels))
    classifier = CommandClassifier(labels, *model, encoder=CLASSIFIER_ENCODER)
    classifier.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


def plan() -> tuple[list[tuple], tuple[str, ...]]:
    """Every training utterance as (key, source, label, augmentation, group)."""
    from intents.catalog import default_catalog
    from voice_coach.core.coach_speech import coach_sentences

    catalog = default_catalog()
    spoken = {name: plain(word) for name, word in catalog.spoken_names().items()}
    labels = (NONE, *spoken.values())
    jobs: list[tuple] = []
    with open(TRAIN / "manifest.tsv", newline="") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    for row in rows:
        if row["file"].startswith("silence-"):
            continue
        label = "stop" if row["words"] == "stop" else NONE
        for aug in ("clean", "noise", "babble"):
            jobs.append((f"real/{row['file']}/{aug}", ("real", row["file"]), label, aug,
                         f"speaker:{row['speaker']}"))  # fmt: skip
    rng = np.random.default_rng(7)
    takes = 0

    def synth(text: str, label: str, count: int) -> None:
        nonlocal takes
        for _ in range(count):
            voice = VOICES[takes % len(VOICES)]
            rate, pitch = RATES[rng.integers(len(RATES))], PITCHES[rng.integers(len(PITCHES))]
            aug = ("clean", "noise", "babble")[takes % 3]
            takes += 1
            source = ("synth", text, voice, int(rate), int(pitch))
            jobs.append(("/".join(map(str, source)) + f"/{aug}", source, label, aug,
                         f"voice:{voice}"))  # fmt: skip

    for name, phrases in catalog.phrases_by_intent().items():
        label = spoken[name]
        synth(label, label, PLAINEST_TAKES)
        others = [p for p in phrases if p != label]
        chosen = rng.permutation(len(others))[:PHRASES_PER_INTENT]
        for index in sorted(chosen):
            synth(others[index], label, PHRASE_TAKES)
    coach = [s for s in coach_sentences() if len(s.split()) <= 12]
    for sentence in coach:
        synth(sentence, NONE, 1)
    for sentence in CHATTER:
        synth(sentence, NONE, 3)
    # Real noise alone: what the endpointer cuts of it must be none.
    for n in range(1, NOISE_CLIPS + 1):
        jobs.append((f"noise/{n}", ("noise", f"silence-{n}.wav"), NONE, "clean", "noise"))
    return jobs, labels


def extract(jobs: list[tuple], labels: tuple[str, ...], processes: int):
    """Features, class indices and groups of every utterance the endpointer cuts."""
    CACHE.mkdir(parents=True, exist_ok=True)
    plan_text = repr([j[:2] + j[3:4] for j in jobs]) + inspect.getsource(pooled)
    digest = hashlib.sha1(plan_text.encode()).hexdigest()[:12]
    cached = CACHE / f"features-{digest}.npz"
    if cached.exists():
        data = np.load(cached)
        return data["features"], data["targets"], list(data["groups"])
    index = {label: n for n, label in enumerate(labels)}
    features, targets, groups = [], [], []
    with get_context("fork").Pool(processes, _init) as pool:
        for done, (job, found) in enumerate(pool.imap(_features, jobs, chunksize=8)):
            for row in found:
                features.append(row)
                targets.append(index[job[2]])
                groups.append(job[4])
            if done % 500 == 0:
                print(f"  {done} of {len(jobs)} clips encoded", flush=True)
    arrays = np.array(features, np.float32), np.array(targets), np.array(groups)
    np.savez(cached, features=arrays[0], targets=arrays[1], groups=arrays[2])
    return arrays[0], arrays[1], list(arrays[2])


_whisper = None


def _init() -> None:
    global _whisper
    from audio_models.recognizers.whisper_model import WhisperModel

    _whisper = WhisperModel()


def _features(job: tuple) -> tuple[tuple, list[np.ndarray]]:
    key, source, label, aug, _ = job
    rng = np.random.default_rng(int(hashlib.sha1(key.encode()).hexdigest()[:8], 16))
    if source[0] == "noise":
        signal = _wav(TRAIN / source[1])
        signal = signal / _rms(signal) * 10 ** (rng.uniform(-45, -25) / 20)
    else:
        voice = _wav(TRAIN / source[1]) if source[0] == "real" else _espeak(*source[1:])
        voice = voice / _rms(voice) * 10 ** (rng.uniform(-30, -14) / 20)
        signal = np.concatenate([np.zeros(int(0.4 * RATE)), voice, np.zeros(int(0.6 * RATE))])
        if aug != "clean":
            noise = _noise(len(signal), rng) if aug == "noise" else _babble(len(signal), rng)
            snr = rng.uniform(0, 15) if aug == "noise" else rng.uniform(0, 10)
            signal = signal + noise * (_rms(voice) / _rms(noise) / 10 ** (snr / 20))
    signal = signal + rng.normal(0, 10**-3.5, len(signal))
    signal = signal / max(1.0, np.abs(signal).max() / 0.99)
    pcm = np.round(signal * 32767).astype("<i2").tobytes()
    endpointer = EnergyEndpointer(ENDPOINT_WINDOW, MAX_UTTERANCE)
    utterances = endpointer.accept(pcm) + endpointer.flush()
    if label != NONE and utterances:
        utterances = [max(utterances, key=lambda u: u.end - u.start)]
    assert _whisper is not None
    out = []
    for utterance in utterances:
        samples = np.frombuffer(utterance.pcm, "<i2").astype(np.float32) / 32768.0
        encoded, _, speech = _whisper.encode(samples)
        out.append(pooled(encoded, speech))
    return job, out


def _noise(n: int, rng: np.random.Generator) -> np.ndarray:
    clip = _wav(TRAIN / f"silence-{rng.integers(1, NOISE_CLIPS + 1)}.wav")
    looped = np.tile(clip, n // len(clip) + 2)
    offset = rng.integers(len(clip))
    return looped[offset : offset + n]


_WORDS: list[str] = []


def _babble(n: int, rng: np.random.Generator) -> np.ndarray:
    """Four to six real speakers' words, each repeated at its own offsets, summed."""
    if not _WORDS:
        with open(TRAIN / "manifest.tsv", newline="") as manifest:
            _WORDS.extend(
                row["file"]
                for row in csv.DictReader(manifest, delimiter="\t")
                if row["words"] not in ("stop", "(background noise)")
            )
    mix = np.zeros(n)
    for _ in range(rng.integers(4, 7)):
        talker = np.zeros(n)
        at = int(rng.integers(-RATE // 2, RATE // 4))
        while at < n:
            word = _wav(TRAIN / _WORDS[rng.integers(len(_WORDS))])
            word = word / _rms(word)
            lo, hi = max(0, at), min(n, at + len(word))
            if hi > lo:
                talker[lo:hi] += word[lo - at : hi - at]
            at += len(word) - int(rng.integers(0, RATE // 3))
        mix += talker * 10 ** (rng.uniform(-4, 4) / 20)
    return mix


def _wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64) / 32768


def _espeak(text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
    path = (
        CACHE
        / "speech"
        / f"{hashlib.sha1(f'{text}|{voice}|{rate}|{pitch}'.encode()).hexdigest()[:16]}.npy"
    )
    if path.exists():
        return np.load(path)
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    rate_hz = int.from_bytes(wav[24:28], "little")
    samples = np.frombuffer(wav[44:], "<i2").astype(np.float32) / 32768.0
    samples = resample(samples, rate_hz, RATE).astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if len(loud):
        samples = samples[max(0, loud[0] - 160) : loud[-1] + 160]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, samples)
    return samples


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) or 1e-9


def fit(features: np.ndarray, targets: np.ndarray, classes: int, l2: float = 1e-2,
        steps: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Weights, bias, mean and scale of a class-balanced softmax regression (Adam, full batch)."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    x = (features - mean) / scale
    onehot = np.eye(classes)[targets]
    counts = np.bincount(targets, minlength=classes).astype(np.float64)
    sample_weight = (len(targets) / (classes * np.maximum(counts, 1)))[targets]
    sample_weight /= sample_weight.sum()
    w = np.zeros((x.shape[1], classes))
    b = np.zeros(classes)
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for step in range(1, steps + 1):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        error = (p - onehot) * sample_weight[:, None]
        grads = [x.T @ error + l2 * w, error.sum(axis=0)]
        for n, (param, grad) in enumerate(zip((w, b), grads, strict=True)):
            m[n] = 0.9 * m[n] + 0.1 * grad
            v[n] = 0.999 * v[n] + 0.001 * grad**2
            param -= 0.01 * (m[n] / (1 - 0.9**step)) / (np.sqrt(v[n] / (1 - 0.999**step)) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32), mean, scale


def check(features, targets, groups, labels) -> None:
    """Train without a third of the voices and speakers; report on them."""
    held = np.array([int(hashlib.sha1(g.encode()).hexdigest(), 16) % 3 == 0 for g in groups])
    w, b, mean, scale = fit(features[~held], targets[~held], len(labels))
    x = (features[held] - mean) / scale
    got = np.argmax(x @ w + b, axis=1)
    truth = targets[held]
    print(f"held back: {held.sum()} utterances")
    for n, label in enumerate(labels):
        mask = truth == n
        if mask.any():
            wrong = got[mask] != n
            print(f"  {label or '(none)':10} {mask.sum():5} right {1 - wrong.mean():6.1%}")
    non = truth == 0
    print(f"  none taken for a command: {np.mean(got[non] != 0):.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
