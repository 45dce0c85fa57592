"""The coach's own sentences, as the recognizer's language model gets them."""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from intents.normalize import words
from tests.audio import recognizer_pcm, silence, speech
from voice_coach.core.coach_speech import NUMBERS, coach_sentences
from voice_coach.core.lines import Lines
from voice_coach.core.routine import Routine, load_routine
from voice_coach.runtime.engines import (
    COACH_SHARE,
    grammar_phrases,
    language_model_sentences,
    make_recognizer,
)


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


CUSTOM_CUE = "Wedge the ball under the tip of your shoulder blade and sink into it."


def custom_routine() -> Routine:
    """A user's routine whose first spot is worded its own way."""
    base = load_routine("upper-back")
    return replace(base, spots=(replace(base.spots[0], rolling=CUSTOM_CUE), *base.spots[1:]))


def test_the_sessions_own_routine_is_in_with_the_built_in_ones():
    sentences = coach_sentences(custom_routine())
    cue = "wedge the ball under the tip of your shoulder blade and sink into it"
    assert cue in sentences and cue not in coach_sentences()
    assert set(coach_sentences()) <= set(sentences)
    # A built-in routine adds nothing new, so its cached model stays the same.
    assert coach_sentences(load_routine("upper-back")) == coach_sentences()


def test_the_coach_reading_its_own_custom_cue_is_decoded_as_that_cue_not_a_command():
    # What leaks past the echo canceller is the coach's voice; known words decode as themselves.
    pcm = recognizer_pcm(silence(0.5), speech(CUSTOM_CUE), silence(0.6))
    expected = words(CUSTOM_CUE)

    def heard(recognizer) -> tuple[float, list]:
        recognizer.reset()
        texts = [t.text for t in recognizer.accept(pcm) + recognizer.flush()]
        said = [w for text in texts for w in words(text)]
        intents = [IntentMatcher().match(text).intent for text in texts]
        return SequenceMatcher(None, said, expected).ratio(), intents

    catalog = default_catalog()
    knowing, intents = heard(make_recognizer("pocketsphinx", catalog, routine=custom_routine()))
    unaware, _ = heard(make_recognizer("pocketsphinx", catalog))
    assert knowing >= 0.9 and intents == [None] * len(intents)
    assert unaware < 0.8


def test_the_grammar_knows_the_coachs_short_lines():
    grammar = grammar_phrases(default_catalog())
    assert set(default_catalog().phrases()) < set(grammar)
    assert {"five", "twenty seconds", "halfway there", "keep breathing"} <= set(grammar)
    assert all(len(p.split()) <= 3 for p in set(grammar) - set(default_catalog().phrases()))


def test_the_coach_counting_seldom_becomes_a_command():
    # A short utterance goes to the grammar. With only commands in it, a "three" leaking past
    # the echo canceller was forced onto the nearest one ("freeze"): 27 of these 84 were.
    recognizer = make_recognizer("pocketsphinx", default_catalog())
    commands = []
    for number in NUMBERS[: NUMBERS.index("twenty") + 1]:
        for voice in ("en-us", "en-gb-x-rp+m3", "en-029+f2", "en-us+klatt2"):
            recognizer.reset()
            pcm = recognizer_pcm(silence(0.5), speech(number, voice), silence(0.6))
            for result in recognizer.accept(pcm) + recognizer.flush():
                if IntentMatcher().match(result.text).intent:
                    commands.append((number, voice, result.text))
    assert len(commands) <= 10, commands  # 7 now
