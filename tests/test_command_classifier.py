"""The shipped command classifier on real Whisper tiny.en encodings of espeak-ng speech made at
test time, and the recognizer's use of it."""

from __future__ import annotations

import numpy as np
import pytest

from audio_models.errors import ModelError
from audio_models.recognizers import command_classifier
from audio_models.recognizers.command_classifier import NONE, CommandClassifier, pooled
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.recognizers.whisper_model import WhisperModel
from audio_models.recognizers.whisper_recognizer import CLASSIFIER_ENCODER, WhisperRecognizer
from intents.catalog import default_catalog
from tests.audio import decode, recognizer_pcm, silence, speech


@pytest.fixture(scope="module")
def whisper() -> WhisperModel:
    return WhisperModel()


@pytest.fixture(scope="module")
def classifier() -> CommandClassifier:
    return command_classifier.load()


def _features(whisper: WhisperModel, text: str) -> np.ndarray:
    pcm = recognizer_pcm(silence(0.2), speech(text), silence(0.2))
    encoded, _, frames = whisper.encode(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)
    return pooled(encoded, frames)


def test_shipped_weights_name_every_command_of_the_catalog(classifier):
    spoken = set(default_catalog().spoken_names().values())
    assert set(classifier.labels) == spoken | {NONE}
    assert classifier.encoder == CLASSIFIER_ENCODER
    assert classifier.weights.shape == (classifier.mean.shape[0], len(classifier.labels))
    probabilities = classifier.probabilities(np.zeros(classifier.mean.shape[0], np.float32))
    assert probabilities.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("word", ["stop", "softer", "pause", "next spot", "ouch", "help"])
def test_a_command_word_is_its_likeliest_class(whisper, classifier, word):
    # A voice the classifier was not trained on (en-us at espeak's default pitch and 160 wpm).
    ranked = classifier.ranked(_features(whisper, word))
    assert ranked[0][0] == word, ranked[:3]


def test_chatter_is_most_likely_none(whisper, classifier):
    ranked = classifier.ranked(_features(whisper, "my brother drives a red truck"))
    assert ranked[0][0] == NONE, ranked[:3]


def test_speech_frames_cover_the_utterance(whisper):
    samples = np.zeros(SAMPLE_RATE, np.float32)
    encoded, frames, (start, end) = whisper.encode(samples)
    assert 0 < start < end <= frames <= encoded.shape[1]
    assert end - start == SAMPLE_RATE // 320  # one second of 20 ms frames


def test_damaged_weights_are_a_model_error_naming_the_fix(tmp_path):
    broken = tmp_path / "weights.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="train_command_classifier"):
        command_classifier.load(broken)


def test_weights_round_trip_through_a_file(tmp_path, classifier):
    path = tmp_path / "again.npz"
    classifier.save(path)
    again = command_classifier.load(path)
    assert again.labels == classifier.labels
    np.testing.assert_allclose(again.weights, classifier.weights, rtol=1e-3)


def test_recognizer_uses_the_classifier_with_the_packaged_model_only():
    phrases = default_catalog().phrases()
    assert WhisperRecognizer(phrases)._classifier is not None
    assert WhisperRecognizer(phrases, classifier=False)._classifier is None


@pytest.mark.parametrize(
    ("text", "voice"), [("help", "en-us"), ("help", "en-029+f2"), ("softer", "en-029+f2")]
)
def test_the_classifier_lets_the_recognizer_hear_what_whisper_writes_wrong(text, voice):
    # Without it Whisper tiny.en writes these "Tell.", "Hail!" and "Soften": the encoder heard
    # the command, the decoder scores it within the margin the classifier lends it.
    phrases = default_catalog().phrases()
    pcm = recognizer_pcm(silence(0.5), speech(text, voice=voice), silence(0.6))
    assert [r.text for r in decode(WhisperRecognizer(phrases), pcm)] == [text]
