"""The coach's own sentences, as the recognizer's language model gets them."""

from __future__ import annotations

from intents.catalog import default_catalog
from voice_coach.coach_speech import coach_sentences
from voice_coach.engines import COACH_SHARE, language_model_sentences
from voice_coach.lines import Lines


def test_every_line_and_cue_is_there_in_plain_words():
    sentences = set(coach_sentences())
    # From the line table, placeholders dropped, split at sentence ends.
    assert "halfway there" in sentences and "keep breathing" in sentences
    assert "hold there for seconds" in sentences
    # From the routines' cues, and the countdown's numbers.
    assert any(s.endswith("round your back and tuck your chin") for s in sentences)
    assert {"ten", "nine", "one", "twenty seconds"} <= sentences
    assert all(s == s.lower() and "{" not in s and "." not in s for s in sentences)
    assert len(sentences) == len(coach_sentences())  # no repeats


def test_no_line_of_the_table_is_missed():
    sentences = " ".join(coach_sentences())
    for wording in Lines().every_wording():
        first_word = wording.split()[0]
        if not first_word.startswith("{"):
            assert first_word.strip(".,!?:;").lower() in sentences, wording


def test_the_coach_is_a_share_of_the_model_not_all_of_it():
    catalog = default_catalog()
    mixed = language_model_sentences(catalog)
    commands = catalog.sentences()
    assert mixed[: len(commands)] == commands
    share = (len(mixed) - len(commands)) / len(mixed)
    assert abs(share - COACH_SHARE / (1 + COACH_SHARE)) < 0.02
