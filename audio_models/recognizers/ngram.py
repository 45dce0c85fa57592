"""A small trigram language model in ARPA format, from a list of sentences and a word list.

The recognizer's language model is built at start-up from the caller's sentences (the commands),
so it is never written by hand and always matches them. Commands alone would make the decoder
hear a command in everything; the background words (common English with their frequencies) give
chatter somewhere else to go: "we ran out of bread" decodes as words that are no command.

Smoothing is interpolated absolute discounting, written out as a back-off model: every seen
n-gram carries its interpolated probability, every context the weight that makes its
distribution sum to one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

ORDER = 3
START, END = "<s>", "</s>"
NEVER = -99.0  # ARPA's log10 probability for a word that is only a context (<s>)

Gram = tuple[str, ...]


def arpa(
    sentences: Iterable[Sequence[str]],
    background: Mapping[str, float],
    domain_weight: float = 0.9,
    discount: float = 0.7,
) -> str:
    """The ARPA text of a trigram model of ``sentences``, its unigrams mixed with ``background``.

    ``background`` maps words to relative frequencies (any positive scale); ``domain_weight``
    is the share of unigram probability the sentences' own words get.
    """
    if not 0.0 < domain_weight <= 1.0 or not 0.0 < discount < 1.0:
        raise ValueError("domain_weight must be in (0, 1] and discount in (0, 1)")
    counts = _count(sentences)
    if not counts[0]:
        raise ValueError("no sentences to build a language model from")
    probs, backoffs = _estimate(counts, background, domain_weight, discount)
    return _write(probs, backoffs)


def _count(sentences: Iterable[Sequence[str]]) -> list[Counter[Gram]]:
    counts: list[Counter[Gram]] = [Counter() for _ in range(ORDER)]
    # Sentences repeat (a phrase said bare is given many times): count each kind once.
    for sentence, times in Counter(tuple(s) for s in sentences if s).items():
        tokens = (START, *sentence, END)
        for n in range(1, ORDER + 1):
            grams = zip(*(tokens[k:] for k in range(n)), strict=False)
            if times == 1:
                counts[n - 1].update(grams)
            else:
                for gram in grams:
                    counts[n - 1][gram] += times
    del counts[0][(START,)]  # a context only: never predicted
    return counts


def _estimate(counts, background, domain_weight, discount):
    total = sum(counts[0].values())
    background_total = sum(background.values()) or 1.0
    vocabulary = {gram[0] for gram in counts[0]} | set(background)
    probs: list[dict[Gram, float]] = [{} for _ in range(ORDER)]
    for word in vocabulary:
        own = counts[0].get((word,), 0) / total
        common = background.get(word, 0.0) / background_total
        probs[0][(word,)] = domain_weight * own + (1.0 - domain_weight) * common
    backoffs: dict[Gram, float] = {}

    def lower(gram: Gram) -> float:
        """P(last word | shorter context), backing off as the finished model will."""
        if gram in probs[len(gram) - 1]:
            return probs[len(gram) - 1][gram]
        return backoffs.get(gram[:-1], 1.0) * lower(gram[1:])

    for n in range(2, ORDER + 1):
        seen: dict[Gram, list[Gram]] = defaultdict(list)
        for gram in counts[n - 1]:
            seen[gram[:-1]].append(gram)
        for context, grams in seen.items():
            context_total = sum(counts[n - 1][g] for g in grams)
            left_over = discount * len(grams) / context_total
            for gram in grams:
                probs[n - 1][gram] = (
                    counts[n - 1][gram] - discount
                ) / context_total + left_over * lower(gram[1:])
            # The back-off weight spreads what the seen words leave over the unseen ones.
            free = 1.0 - sum(probs[n - 1][g] for g in grams)
            free_lower = 1.0 - sum(lower(g[1:]) for g in grams)
            backoffs[context] = max(free, 1e-12) / max(free_lower, 1e-12)
    return probs, backoffs


def _write(probs: list[dict[Gram, float]], backoffs: dict[Gram, float]) -> str:
    lines = ["\\data\\"]
    lines += [f"ngram {n}={len(probs[n - 1]) + (n == 1)}" for n in range(1, ORDER + 1)]
    for n in range(1, ORDER + 1):
        lines += ["", f"\\{n}-grams:"]
        if n == 1:
            lines.append(_line(NEVER, (START,), backoffs.get((START,))))
        for gram, probability in sorted(probs[n - 1].items()):
            weight = backoffs.get(gram) if n < ORDER else None
            lines.append(_line(math.log10(probability), gram, weight))
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _line(log_probability: float, gram: Gram, backoff: float | None) -> str:
    line = f"{log_probability:.5f}\t{' '.join(gram)}"
    return line if backoff is None else f"{line}\t{math.log10(backoff):.5f}"
