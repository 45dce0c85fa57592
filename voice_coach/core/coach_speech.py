"""Everything the coach says, as plain sentences for the recognizer's language model.

A model that knows only commands hears a command in anything, and most of what the microphone
hears besides the user is the coach itself: its echo, and speech like it. Knowing the coach's
sentences, the model decodes them as what they are, which the matcher does not take for a
command. Built from the built-in routines, the session's own routine (a user's file may word its
cues its own way), the line table and the ball kinds' lines, so it follows their edits.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

from voice_coach.core.balls import default_balls
from voice_coach.core.lines import default_table
from voice_coach.core.routine import Routine, builtin_names

NUMBERS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_SENTENCE_END = re.compile(r"[.!?;:]+")
_NOT_WORD = re.compile(r"[^a-z']+")


def coach_sentences(routine: Routine | None = None) -> list[str]:
    """Every sentence the coach can say, ``routine``'s cues included: lower case, no punctuation.

    Placeholders are dropped; the built-in routines are always in.
    """
    texts = [text for options in default_table().values() for text in options]
    folder = resources.files("voice_coach").joinpath("routines")
    sources = [
        tomllib.loads(folder.joinpath(f"{n}.toml").read_text("utf-8")) for n in builtin_names()
    ]
    # What the coach says about the user's ball (its confirmations and warnings).
    sources.append({"balls": [dataclasses.asdict(b) for b in default_balls().values()]})
    if routine is not None:
        sources.append(dataclasses.asdict(routine))
    for source in sources:
        # Names and levels ("light") are not said alone; cues are sentences.
        texts += [t for t in _strings(source) if t.count(" ") > 1]
    # Countdowns and hold lengths are spoken as words ("twenty seconds").
    texts += NUMBERS + [f"{n} seconds" for n in ("fifteen", "twenty", "twenty five", "thirty")]
    out: dict[str, None] = {}
    for text in texts:
        for sentence in _SENTENCE_END.split(_PLACEHOLDER.sub(" ", text).lower()):
            tokens = [t.strip("'") for t in _NOT_WORD.sub(" ", sentence).split()]
            if any(tokens):
                out[" ".join(t for t in tokens if t)] = None
    return list(out)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):  # a Routine as dataclasses.asdict gives it has tuples
        for item in value:
            yield from _strings(item)
