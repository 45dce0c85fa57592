"""Intent accuracy, false accepts and decoding speed of a recognizer on the development set.

    python benchmarks/accuracy.py [--engine whisper|pocketsphinx|vosk] [--model PATH]
                                  [--split tune|heldout|both] [--only synthetic|real]
                                  [--quick] [--jobs N] [--full-window]

Each utterance of benchmarks/devset.py, and each real recording of ../shared/real-speech/
(benchmarks/realspeech.py: the condition ``real``, its speakers split in TUNE and HELDOUT halves),
is decoded as its own stream (reset, 0.1 s chunks, flush);
the first final transcript the matcher maps to an intent is what the coach would act on. Prints,
per split and condition: intent accuracy on commands, the false-accept rate on non-commands, the
confusions (expected -> got), and the decode real-time factor (CPU seconds of ``accept``/``flush``
per second of audio, one process per core, so one core each), and the engine load time.
The HELDOUT split is the figure that counts: tune thresholds on TUNE only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import get_context

import devset
import numpy as np
import realspeech

from audio_models.recognizers.protocol import SAMPLE_RATE, Recognizer
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from voice_coach.core.transitions import NEVER_ASKED, STOP_LIKE

CHUNK = SAMPLE_RATE // 10 * 2  # 0.1 s of s16 audio, a typical microphone block
REJECTED = "(none)"
REAL = "real"

_recognizer: Recognizer | None = None  # one per worker process, made by _init


def make(engine: str, model: str | None) -> Recognizer:
    """The recognizer under test, built from the catalog as a session builds it."""
    from voice_coach.runtime.engines import make_recognizer

    return make_recognizer(engine, default_catalog(), model)


def _init(engine: str, model: str | None) -> None:
    global _recognizer
    _recognizer = make(engine, model)


def _decode(job: tuple[int, devset.Item | realspeech.Clip, str]):
    index, item, condition = job
    if isinstance(item, realspeech.Clip):  # the real recordings, in one of their conditions
        pcm = realspeech.audio(item, condition=condition).tobytes()
    else:
        pcm = devset.audio(item, condition).tobytes()
    recognizer = _recognizer
    assert recognizer is not None, "_init runs first in every worker"
    cpu = time.process_time()
    recognizer.reset()
    out = []
    for i in range(0, len(pcm), CHUNK):
        out += recognizer.accept(pcm[i : i + CHUNK])
    out += recognizer.flush()
    cpu = time.process_time() - cpu
    finals = [(t.text, t.confidence, t.start, t.end) for t in out if t.final]
    return index, finals, cpu, len(pcm) / 2 / SAMPLE_RATE


def heard_intent(matcher: IntentMatcher, finals) -> tuple[str | None, str]:
    """The first intent the coach would act on, and the transcripts it came from."""
    for text, *_ in finals:
        if text and (intent := matcher.match(text).intent):
            return intent, text
    return None, " | ".join(text for text, *_ in finals if text)


def asked_about(matcher: IntentMatcher, finals) -> tuple[str, ...]:
    """What the coach would ask about when nothing was heard: the near misses of the first
    transcript, less those it never asks about (urgent ones, help)."""
    for text, *_ in finals:
        if text:
            return tuple(i for i in matcher.match(text).near if i not in NEVER_ASKED)
    return ()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="whisper", choices=("whisper", "pocketsphinx", "vosk"))
    parser.add_argument("--model", help="Vosk or CTranslate2 Whisper model folder")
    parser.add_argument("--only", choices=("synthetic", REAL), help="one set of recordings")
    parser.add_argument(
        "--full-window",
        action="store_true",
        help="Whisper: pad each utterance to its 30 s window (slow; for comparison)",
    )
    parser.add_argument(
        "--quiet-only",
        dest="noisy",
        action="store_false",
        help="the real recordings as recorded only, not also in real noise and babble",
    )
    parser.add_argument(
        "--no-classifier",
        action="store_true",
        help="Whisper without its command classifier (the recognizer before it, to compare)",
    )
    parser.add_argument("--split", default="both", choices=("tune", "heldout", "both"))
    parser.add_argument("--quick", action="store_true", help="a third of the sentences, one take")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--errors", action="store_true", help="list every wrong utterance")
    parser.add_argument("--dump", help="write every decoded utterance to this JSON-lines file")
    args = parser.parse_args(argv)
    splits = devset.SPLITS if args.split == "both" else (args.split,)

    if args.no_classifier:
        from audio_models.recognizers import whisper_recognizer

        whisper_recognizer.USE_CLASSIFIER = False
    if args.full_window:
        from audio_models.recognizers import whisper_model

        whisper_model.WINDOW = 30.0
    items = []
    if args.only != REAL:
        items = [item for split in splits for item in devset.items(split, args.quick)]
        devset.build(items)
    clips = []
    real_conditions = realspeech.CONDITIONS if args.noisy else (REAL,)
    if args.only != "synthetic":
        clips = [clip for clip in realspeech.clips() if clip.split in splits]
    jobs = [(n, item, c) for n, (item, c) in enumerate(
        [(item, c) for item in items for c in devset.CONDITIONS]
        + [(clip, c) for clip in clips for c in real_conditions])]  # fmt: skip

    results: list = [None] * len(jobs)
    used_by: list = [0.0] * len(jobs)
    cpu = seconds = 0.0
    with get_context("fork").Pool(args.jobs, _init, (args.engine, args.model)) as pool:
        for index, finals, used, length in pool.imap_unordered(_decode, jobs, chunksize=4):
            results[index] = finals
            used_by[index] = used
            cpu += used
            seconds += length

    # Loaded here, after the pool: CTranslate2's threads do not survive a fork.
    started = time.perf_counter()
    _init(args.engine, args.model)
    load = time.perf_counter() - started
    if items:
        synthetic = [n for n, (_, _, c) in enumerate(jobs) if c in devset.CONDITIONS]
        report([jobs[n] for n in synthetic], [results[n] for n in synthetic], splits, args)
    if clips:
        for condition in real_conditions:
            real = [n for n, (_, _, c) in enumerate(jobs) if c == condition]
            report_real([jobs[n] for n in real], [results[n] for n in real],
                        [used_by[n] for n in real], splits, args, condition)  # fmt: skip
    print(
        f"\nengine {args.engine}: load {load:.2f} s; decode real-time factor {cpu / seconds:.3f}"
        f" ({cpu:.0f} CPU s for {seconds / 60:.1f} min of audio, one core per process)"
    )
    if args.dump:
        with open(args.dump, "w") as out:
            for (_, item, condition), finals in zip(jobs, results, strict=True):
                row = {**item.__dict__, "condition": condition, "finals": finals}
                out.write(json.dumps(row) + "\n")
    return 0


def report(jobs, results, splits, args) -> None:
    """Print the accuracy table, the confusions and (optionally) every error."""
    matcher = IntentMatcher()
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    confusions: dict[tuple[str, str], Counter] = defaultdict(Counter)
    errors: list[str] = []
    for (_, item, condition), finals in zip(jobs, results, strict=True):
        got, text = heard_intent(matcher, finals)
        cell = table[(item.split, condition)]
        kind = "cmd" if item.intent else "non"
        cell[kind] += 1
        asked = asked_about(matcher, finals) if got is None else ()
        cell[f"{kind}_asked"] += bool(asked)
        cell["cmd_asked_right"] += item.intent is not None and item.intent in asked
        if got == item.intent:
            cell[f"{kind}_ok"] += 1
            continue
        confusions[(item.split, condition)][(item.intent or REJECTED, got or REJECTED)] += 1
        errors.append(f"  {item.split:7} {condition:11} {item.voice:18} {item.rate} "
                      f"{item.text!r} ({item.intent}) -> {got} {text!r}")  # fmt: skip

    # "+asked": commands not heard that the coach asks about by name ("Harder?"), so a "yes"
    # settles them; "asked": non-commands that get such a question.
    print(f"{'split':8} {'condition':12} {'commands':>8} {'accuracy':>9} {'+asked':>7} "
          f"{'non-cmds':>8} {'false acc':>9} {'asked':>6}")  # fmt: skip
    for split in splits:
        for condition in devset.CONDITIONS:
            cell = table[(split, condition)]
            accuracy = cell["cmd_ok"] / max(1, cell["cmd"])
            rescued = cell["cmd_asked_right"] / max(1, cell["cmd"])
            false_accepts = 1 - cell["non_ok"] / max(1, cell["non"])
            asking = cell["non_asked"] / max(1, cell["non"])
            print(f"{split:8} {condition:12} {cell['cmd']:8} {accuracy:9.1%} {rescued:7.1%} "
                  f"{cell['non']:8} {false_accepts:9.1%} {asking:6.1%}")  # fmt: skip
        oracle = Counter(
            matcher.match(text).intent == intent for text, intent in devset.sentences(split)
        )
        print(f"{split:8} {'(text)':12} matcher on the true words: {oracle[True]} of "
              f"{oracle.total()} sentences right")  # fmt: skip
    print("\nconfusions (expected -> got: count), (none) = rejected or not a command")
    for split in splits:
        for condition in devset.CONDITIONS:
            common = confusions[(split, condition)].most_common(12)
            shown = ", ".join(f"{a}->{b}: {n}" for (a, b), n in common)
            print(f"  {split:8} {condition:12} {shown or '-'}")
    if args.errors:
        print("\nerrors")
        print("\n".join(errors))


def report_real(jobs, results, used, splits, args, condition=REAL) -> None:
    """Print the real recordings' figures per speaker half: commands heard, "stop" heard,
    non-commands accepted, and the CPU time each clip took to decode."""
    matcher = IntentMatcher()
    shown = condition if condition != REAL else "as recorded"
    print(f"\nreal recordings ({realspeech.ROOT}), {shown}, speakers split by a hash of their id")
    print(f"{'split':8} {'commands':>8} {'heard':>7} {'+asked':>7} {'stop':>9} {'non-cmds':>8} "
          f"{'accepted':>8} {'asked':>6} {'clip CPU median/p95':>20}")  # fmt: skip
    errors, on_ball = [], []
    for split in splits:
        cell: Counter = Counter()
        times = []
        for (_, clip, _), finals, cpu in zip(jobs, results, used, strict=True):
            if clip.split != split:
                continue
            times.append(cpu)
            got, text = heard_intent(matcher, finals)
            kind = "cmd" if clip.intent else "non"
            cell[kind] += 1
            cell["stop"] += clip.intent == "stop"
            ok = got == clip.intent
            cell[f"{kind}_ok"] += ok
            cell["stop_ok"] += ok and clip.intent == "stop"
            # On the ball the word "start" stops the clock and asks "Did you say stop?".
            asks = got == "start" and STOP_LIKE.search(text) is not None
            cell["stop_as_start"] += clip.intent == "stop" and asks
            cell["non_as_start"] += clip.intent is None and asks
            asked = asked_about(matcher, finals) if got is None else ()
            cell[f"{kind}_asked"] += bool(asked)
            cell["cmd_asked_right"] += clip.intent is not None and clip.intent in asked
            if not ok:
                errors.append(f"  {split:7} {condition:16} {clip.file:22} {clip.speaker:16} "
                              f"{clip.words!r} ({clip.intent}) -> {got} {text!r}")  # fmt: skip
        heard = cell["cmd_ok"] / max(1, cell["cmd"])
        accepted = 1 - cell["non_ok"] / max(1, cell["non"])
        stop = f"{cell['stop_ok']}/{cell['stop']}"
        p50, p95 = (np.percentile(times, q) * 1000 for q in (50, 95)) if times else (0, 0)
        rescued = cell["cmd_asked_right"] / max(1, cell["cmd"])
        asking = cell["non_asked"] / max(1, cell["non"])
        print(f"{split:8} {cell['cmd']:8} {heard:7.1%} {rescued:7.1%} {stop:>9} {cell['non']:8} "
              f"{accepted:8.1%} {asking:6.1%} {p50:11.0f} / {p95:.0f} ms")  # fmt: skip
        on_ball.append(f"{split} {cell['stop_as_start']} of {cell['stop']} \"stop\"s, "
                       f"{cell['non_as_start']} of {cell['non']} non-commands")  # fmt: skip
    print(f"heard as start (on the ball: paused and asked): {'; '.join(on_ball)}")
    if args.errors:
        print("\nreal errors")
        print("\n".join(errors))


if __name__ == "__main__":
    sys.exit(main())
