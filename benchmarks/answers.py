"""Answers to the coach's questions ("which ball?", "Harder?"), heard with and without the
recognizer told what the answers are (``Recognizer.expect``, as a session tells it).

    python benchmarks/answers.py [--engine whisper|pocketsphinx|vosk] [--model PATH]
                                 [--split tune|heldout|both] [--jobs N] [--errors]

Synthetic: the split's espeak-ng voices (benchmarks/devset.py) say answers the way people put
them (alternate wordings to each split), clean and in pink noise at 10 dB. Every non-command of
the split must not be taken for an answer, and its commands must still be heard as commands.
Real (../shared/real-speech/, speakers split as in benchmarks/realspeech.py): the Speech
Commands "yes" and "no" clips answer a yes-or-no question; every other clip must not be taken
for an answer to either question, and each "stop" must still be a stop.

Per split and condition: answers understood with no question known ("off") and with it ("on"),
wrong answers, non-answers taken for an answer, commands lost. Tune on TUNE; HELDOUT counts.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter, defaultdict
from multiprocessing import get_context

import devset
import realspeech
from accuracy import CHUNK, REAL, make

from audio_models.recognizers.protocol import Recognizer
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from voice_coach.core.state import Question
from voice_coach.runtime.echo_filter import URGENT_INTENTS
from voice_coach.runtime.voice_session import answers_to

CONDITIONS = ("clean", "pink 10 dB")
# What people answer; even-numbered wordings go to TUNE, odd ones to HELDOUT.
SAID: dict[Question, dict[str, tuple[str, ...]]] = {
    Question.BALL: {
        "soft": ("soft", "a soft one", "foam", "the soft foam ball", "a tennis ball", "soft ball",
                 "it's soft", "squishy"),
        "firm": ("firm", "a firm one", "hard", "a lacrosse ball", "it's a firm ball", "firm ball",
                 "a hard ball", "lacrosse"),
        "spiky": ("spiky", "the spiky one", "spiky ball", "an acupressure ball", "a spiky ball",
                  "it's spiky", "the one with spikes", "spikey"),
        "two-balls": ("two balls", "two balls in a sock", "a peanut ball", "two tennis balls",
                      "peanut", "two of them in a sock", "double ball", "a pair of balls"),
    },
    Question.YES_NO: {
        "yes": ("yes", "yeah", "yes please", "yep", "sure", "yes do it", "that's right",
                "yeah go on"),
        "no": ("no", "nope", "no thanks", "not that", "no no", "never mind", "wrong", "no don't"),
    },
}  # fmt: skip
TAKES = 3
REAL_ANSWERS = {"yes": "yes", "no": "no"}  # real clips' words that answer a yes-or-no question
OFF = None  # no question passed to the recognizer

_recognizer: Recognizer | None = None
_catalog = default_catalog()


def _init(engine: str, model: str | None) -> None:
    global _recognizer
    _recognizer = make(engine, model)


def _decode(job):
    index, item, condition, question = job
    if isinstance(item, realspeech.Clip):
        pcm = realspeech.audio(item).tobytes()
    else:
        pcm = devset.audio(item, condition).tobytes()
    recognizer = _recognizer
    assert recognizer is not None, "_init runs first in every worker"
    recognizer.reset()
    # A session passes on what ``answers_to`` gives; yes and no are measured here as if it
    # passed them too, to show why it does not.
    groups = tuple(_catalog.answers.values()) if question is Question.YES_NO else ()
    recognizer.expect(answers_to(_catalog, question) or groups)
    out = []
    for i in range(0, len(pcm), CHUNK):
        out += recognizer.accept(pcm[i : i + CHUNK])
    out += recognizer.flush()
    return index, [t.text for t in out if t.final and t.text]


def meaning(matcher: IntentMatcher, texts: list[str], question: Question) -> tuple[str, str]:
    """What a session makes of the transcripts while ``question`` is open: ("intent", name),
    ("answer", kind) or ("none", "")."""
    for text in texts:
        match = matcher.match(text)
        if match.intent in URGENT_INTENTS:
            return "intent", match.intent  # urgent words win over any answer
        if question is Question.BALL and match.ball:
            return "answer", match.ball
        if question is Question.YES_NO and match.intent is None and match.answer:
            return "answer", match.answer
        if match.intent:
            return "intent", match.intent
    return "none", ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="whisper", choices=("whisper", "pocketsphinx", "vosk"))
    parser.add_argument("--model", help="Vosk or CTranslate2 Whisper model folder")
    parser.add_argument("--split", default="both", choices=("tune", "heldout", "both"))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--errors", action="store_true", help="list every utterance misheard")
    args = parser.parse_args(argv)
    splits = devset.SPLITS if args.split == "both" else (args.split,)
    cases = build_cases(splits)
    on, off = decode(cases, args.engine, args.model, args.jobs)
    print(f"answers to the coach's questions, engine {args.engine}")
    report(cases, on, off, splits, args.errors)
    return 0


def build_cases(splits) -> list:
    """(item, condition, question, expected) of every utterance: expected is ("answer", kind),
    ("intent", name) for a command, or ("none", "") for words that must be neither."""
    cases = []
    for split in splits:
        parity = devset.SPLITS.index(split)
        pairs = [(v, r) for r in devset.RATES for v in devset.VOICES[split]]
        n = 0
        for question, kinds in SAID.items():
            for kind, wordings in kinds.items():
                for text in wordings[parity::2]:
                    for take in range(TAKES):
                        voice, rate = pairs[(n * TAKES + take * 7) % len(pairs)]
                        item = devset.Item(split, text, None, voice, rate)
                        cases += [(item, c, question, ("answer", kind)) for c in CONDITIONS]
                    n += 1
        for item in devset.items(split):
            if item.rate != devset.RATES[1]:
                continue  # one pace of each sentence: the answers are what is measured here
            expected = ("intent", item.intent) if item.intent else ("none", "")
            cases += [(item, c, q, expected) for c in CONDITIONS for q in Question]
    devset.build([case[0] for case in cases])
    for clip in realspeech.clips():
        if clip.split not in splits:
            continue
        for question in Question:
            if question is Question.YES_NO and clip.words in REAL_ANSWERS:
                expected = ("answer", REAL_ANSWERS[clip.words])
            elif clip.intent:
                expected = ("intent", clip.intent)
            else:
                expected = ("none", "")
            cases.append((clip, REAL, question, expected))
    return cases


def decode(cases, engine: str, model: str | None, jobs: int) -> tuple[list, list]:
    """What the recognizer wrote for each case with its question known, and with none."""
    work = [(n, item, condition, q) for n, (item, condition, q, _) in enumerate(cases)]
    # Without a question the result is the same for every question: decoded once.
    unasked = {_key(item, c): (item, c) for item, c, _, _ in cases}
    first = len(work)
    work += [(first + n, item, c, OFF) for n, (item, c) in enumerate(unasked.values())]
    texts: list = [None] * len(work)
    with get_context("fork").Pool(jobs, _init, (engine, model)) as pool:
        for index, got in pool.imap_unordered(_decode, work, chunksize=4):
            texts[index] = got
    slot = {key: first + n for n, key in enumerate(unasked)}
    return texts[:first], [texts[slot[_key(item, c)]] for item, c, _, _ in cases]


def report(cases, on: list, off: list, splits, errors: bool) -> None:
    """Print the table (and every utterance misheard with the question known)."""
    matcher = IntentMatcher()
    table: dict[tuple[str, str, Question], Counter] = defaultdict(Counter)
    wrong = []
    for (item, condition, question, (want, value)), on_texts, off_texts in zip(
        cases, on, off, strict=True
    ):
        cell = table[(item.split, condition, question)]
        for mode, got_texts in (("off", off_texts), ("on", on_texts)):
            got = meaning(matcher, got_texts, question)
            if want == "answer":
                cell["answers"] += mode == "on"
                cell[f"understood {mode}"] += got == (want, value)
                cell[f"wrong {mode}"] += got[0] == "answer" and got[1] != value
                if mode == "on" and got != (want, value):
                    wrong.append(f"  {item.split:7} {condition:10} {question.value:6} "
                                 f"{_said(item)!r} ({value}) -> {got} {got_texts}")  # fmt: skip
            else:
                kind = "commands" if want == "intent" else "others"
                cell[kind] += mode == "on"
                cell[f"{'lost' if want == 'intent' else 'taken'} {mode}"] += got[0] == "answer"
                if mode == "on" and got[0] == "answer":
                    wrong.append(f"  {item.split:7} {condition:10} {question.value:6} "
                                 f"{_said(item)!r} ({want} {value}) -> {got} "
                                 f"{got_texts}")  # fmt: skip

    print("answers understood with the question unknown -> known to the recognizer; answers "
          "taken for another; other words and commands taken for an answer")  # fmt: skip
    print(f"{'split':8} {'condition':11} {'question':8} {'answers':>7} {'understood':>15} "
          f"{'wrong':>9} {'others':>6} {'taken':>13} {'commands':>8} {'lost':>9}")  # fmt: skip
    for split in splits:
        for condition in (*CONDITIONS, REAL):
            for question in Question:
                c = table[(split, condition, question)]
                print(
                    f"{split:8} {condition:11} {question.value:8} {c['answers']:7} "
                    f"{_pct(c, 'understood off', 'answers'):>6} -> "
                    f"{_pct(c, 'understood on', 'answers'):>6} "
                    f"{c['wrong off']:3} -> {c['wrong on']:2} {c['others']:6} "
                    f"{_pct(c, 'taken off', 'others'):>5} -> {_pct(c, 'taken on', 'others'):>5} "
                    f"{c['commands']:8} {c['lost off']:3} -> {c['lost on']:2}"
                )
    if errors:
        print("\nwith the question known, answers not understood and other words taken for one:")
        print("\n".join(wrong))


def _key(item, condition: str) -> tuple:
    return (_said(item), getattr(item, "key", item), condition)


def _said(item) -> str:
    return item.words if isinstance(item, realspeech.Clip) else item.text


def _pct(cell: Counter, key: str, total: str) -> str:
    return f"{cell[key] / max(1, cell[total]):.1%}"


if __name__ == "__main__":
    raise SystemExit(main())
