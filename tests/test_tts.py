"""Real espeak-ng speech through pyttsx3, rendered to memory."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from audio_models.errors import EngineUnavailable
from audio_models.tts import Pyttsx3Synthesizer, trim


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synthesizer:
    return Pyttsx3Synthesizer()


def test_render_is_speech_of_plausible_length_with_trimmed_edges(synth):
    clip = synth.render("Hold here for twenty seconds.")
    assert 1.0 < clip.duration < 4.0
    assert np.sqrt(np.mean(clip.samples**2)) > 0.02
    edge = int(0.005 * clip.rate)
    assert np.abs(clip.samples[:edge]).max() < 0.05  # trimmed to just before the onset


def test_cache_returns_the_same_clip_and_numbers_prerender(synth):
    synth.prerender(["Five.", "Four."])
    assert synth.render("Five.") is synth.render("Five.")


def test_volume_scales_the_samples():
    quiet = Pyttsx3Synthesizer(volume=0.5).render("Take a deep breath.")
    assert np.abs(quiet.samples).max() <= 0.51


def test_many_renders_in_a_row_and_from_threads(synth):
    texts = [f"Line number {n}." for n in range(12)]
    clips: list = []
    threads = [threading.Thread(target=lambda t=t: clips.append(synth.render(t))) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(c.text for c in clips) == sorted(texts)
    assert all(c.duration > 0.5 for c in clips)


def test_unknown_voice_is_one_sentence_naming_the_fix():
    with pytest.raises(EngineUnavailable, match="voice-coach doctor"):
        Pyttsx3Synthesizer(voice="no-such-voice")


def test_voices_list_english(synth):
    assert any("en" in v.languages or v.id.endswith("/en-us") for v in synth.voices())


def test_trim_of_pure_silence_is_empty():
    assert len(trim(np.zeros(1000, dtype=np.float32), 16000)) == 0
