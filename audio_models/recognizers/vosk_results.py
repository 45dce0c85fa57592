"""Vosk's JSON, read: the grammar it is given and the results it returns, as plain functions.

Shapes (from vosk-api's recognizer.cc, ``SetWords(True)``, no alternatives):
- ``Result()``/``FinalResult()``: ``{"result": [{"conf", "end", "start", "word"}, ...], "text"}``;
  ``{"text": ""}`` when no word was decoded (silence, or nothing fed since the last result);
- ``PartialResult()``: ``{"partial": "words so far"}``;
- with ``SetMaxAlternatives(n)``: ``{"alternatives": [{"text", "confidence", "result"?}, ...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from audio_models.types import Transcript

UNKNOWN = "[unk]"


def build_grammar(
    phrases: Sequence[str], known: Callable[[str], bool]
) -> tuple[list[str], list[str]]:
    """The phrases the model can hear (lower-cased, deduplicated, in order), and those it cannot.

    ``known(word)`` says whether the model's vocabulary has the word.
    """
    usable: dict[str, None] = {}
    dropped: dict[str, None] = {}
    seen: dict[str, bool] = {}
    for phrase in phrases:
        words = phrase.lower().split()
        if not words:
            continue
        for word in words:
            if word not in seen:
                seen[word] = bool(known(word))
        (usable if all(seen[w] for w in words) else dropped)[" ".join(words)] = None
    return list(usable), list(dropped)


def grammar_json(phrases: Sequence[str], unknown: bool = True) -> str:
    """The JSON list Vosk takes as a grammar: the phrases plus ``[unk]`` for everything else.

    Leave ``[unk]`` out (``unknown=False``) for a model whose vocabulary lacks it, where Vosk
    would drop it with a warning anyway.
    """
    return json.dumps([*phrases, UNKNOWN] if unknown else list(phrases))


def parse_result(raw: str, start: float, end: float) -> Transcript | None:
    """A final transcript from the JSON of ``Result()``/``FinalResult()``; None for silence.

    ``start``/``end`` are used only when the result carries no word times. Confidence is the mean
    ``conf`` of the words kept; ``[unk]`` words are dropped from the text, and an utterance with
    nothing else in it is "heard, but not a command": text "", confidence 0.
    """
    data = _load(raw)
    if "alternatives" in data:  # SetMaxAlternatives(n > 0): the first one is the best
        alternatives = data.get("alternatives")
        first = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
        data = first if isinstance(first, dict) else {}
    result = data.get("result")
    listed = result if isinstance(result, list) else []
    words = [w for w in listed if isinstance(w, dict) and "word" in w]
    if words:
        kept = [w for w in words if w["word"] != UNKNOWN]
        start = _seconds(words[0].get("start"), start)
        end = _seconds(words[-1].get("end"), end)
        if not kept:
            return Transcript("", 0.0, start, end)
        text = " ".join(str(w["word"]) for w in kept)
        scores = [_unit(w["conf"]) for w in kept if "conf" in w]
        # N-best word lists carry no "conf": as with words off, the text is all there is.
        confidence = sum(scores) / len(scores) if scores else 1.0
        return Transcript(text, round(confidence, 3), start, end)
    tokens = str(data.get("text") or "").split()
    if not tokens:
        return None  # no words at all: the endpoint closed a stretch of silence
    kept_tokens = [t for t in tokens if t != UNKNOWN]
    if not kept_tokens:
        return Transcript("", 0.0, start, end)
    # Word confidences are off: the grammar-restricted text is all there is to go on.
    return Transcript(" ".join(kept_tokens), 1.0, start, end)


def parse_partial(raw: str) -> str:
    """The text of a ``PartialResult()`` JSON, without ``[unk]``."""
    partial = _load(raw).get("partial")
    return " ".join(t for t in str(partial or "").split() if t != UNKNOWN)


def _load(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _seconds(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _unit(value: Any) -> float:
    return min(1.0, max(0.0, float(value))) if isinstance(value, int | float) else 0.0
