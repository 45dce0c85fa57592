"""The ARPA language model builder: a proper distribution, and pocketsphinx reads it."""

from __future__ import annotations

import math
import os
from collections import defaultdict

import pytest

from audio_models.recognizers.ngram import arpa

SENTENCES = [s.split() for s in ["go a bit harder", "a bit softer", "stop", "go on", "stop now"]]
BACKGROUND = {"the": 50.0, "a": 20.0, "bread": 1.0, "garden": 1.0}


def parse(text: str) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    """(log10 probabilities, log10 back-off weights) by n-gram."""
    probs, backoffs = {}, {}
    order = 0
    for line in text.splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1])
            continue
        fields = line.split("\t")
        if order and len(fields) >= 2:
            gram = tuple(fields[1].split())
            assert len(gram) == order
            probs[gram] = float(fields[0])
            if len(fields) == 3:
                backoffs[gram] = float(fields[2])
    return probs, backoffs


def probability(probs, backoffs, word: str, context: tuple[str, ...]) -> float:
    gram = (*context, word)
    if gram in probs:
        return 10 ** probs[gram]
    return 10 ** backoffs.get(context, 0.0) * probability(probs, backoffs, word, context[1:])


def test_every_context_is_a_distribution_over_the_vocabulary():
    probs, backoffs = parse(arpa(SENTENCES, BACKGROUND))
    vocabulary = [g[0] for g in probs if len(g) == 1 and g[0] != "<s>"]
    contexts = {(): None} | {g: None for g in probs if len(g) < 3 and g != ("</s>",)}
    for context in contexts:
        total = sum(probability(probs, backoffs, w, context) for w in vocabulary)
        assert total == pytest.approx(1.0, abs=1e-3), context


def test_sentences_words_are_likelier_than_common_words_and_both_are_possible():
    probs, _ = parse(arpa(SENTENCES, BACKGROUND, domain_weight=0.9))
    assert probs[("stop",)] > probs[("bread",)] > -99
    assert probs[("bit", "harder")] > probs[("harder",)]
    assert probs[("<s>",)] == -99


def test_the_counts_follow_the_sentences():
    probs, _ = parse(arpa([["stop"], ["stop"], ["go"]], {}, domain_weight=1.0))
    counts = defaultdict(float, {g[0]: 10**p for g, p in probs.items() if len(g) == 1})
    # Unigrams: stop twice, go once, </s> three times, of six tokens.
    assert counts["stop"] == pytest.approx(2 / 6, abs=1e-4)
    assert counts["</s>"] == pytest.approx(3 / 6, abs=1e-4)


@pytest.mark.parametrize(
    ("sentences", "background", "weight"),
    [([], BACKGROUND, 0.9), ([["stop"]], BACKGROUND, 0.0), ([["stop"]], BACKGROUND, 1.5)],
)
def test_bad_arguments_are_refused(sentences, background, weight):
    with pytest.raises(ValueError):
        arpa(sentences, background, domain_weight=weight)


def test_pocketsphinx_reads_the_model_and_prefers_commands(tmp_path):
    from pocketsphinx import Config, LogMath, NGramModel

    path = tmp_path / "commands.arpa"
    path.write_text(arpa(SENTENCES, BACKGROUND))
    model = NGramModel(Config(), LogMath(), os.fspath(path))
    # prob() takes the word first, then its history, most recent first: P(harder | a bit).
    command = model.prob(["harder", "bit", "a"])
    chatter = model.prob(["garden", "bit", "a"])
    assert math.isfinite(command) and command > chatter
