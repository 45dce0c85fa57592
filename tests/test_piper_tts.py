"""The neural voice, for real: Piper's joe voice from its pip package run by onnxruntime, with
espeak-ng's phonemes, heard back by Whisper tiny.en; its disk cache; render-ahead; the fallback."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soxr

from audio_models import piper_tts
from audio_models.errors import EngineUnavailable
from audio_models.espeak_phonemes import clauses, split_sentences
from audio_models.piper_tts import PiperSynthesizer
from audio_models.render_cache import RenderCache
from audio_models.testing import FakeSpeaker
from audio_models.tts import Pyttsx3Synthesizer
from intents.catalog import default_catalog
from voice_coach.core.coach import Coach
from voice_coach.core.events import Say
from voice_coach.core.lines import default_table
from voice_coach.core.routine import load_routine
from voice_coach.runtime.clock import MockClock
from voice_coach.runtime.speech_forecast import lines_ahead
from voice_coach.runtime.speech_output import SpeechOutput
from voice_coach.runtime.voices import make_synthesizer


@pytest.fixture
def cache(tmp_path) -> RenderCache:
    return RenderCache(tmp_path / "speech")


@pytest.fixture(scope="module")
def whisper():
    from audio_models.recognizers.whisper_model import WhisperModel

    return WhisperModel()


def heard(whisper, clip) -> str:
    samples = soxr.resample(clip.samples, clip.rate, 16_000).astype(np.float32)
    return whisper.transcribe(samples).hypotheses[0].text.lower()


def test_the_neural_voice_says_the_words_it_is_given(cache, whisper):
    clip = PiperSynthesizer(cache=cache).render("Roll slowly onto the ball. Breathe out.")
    assert clip.rate == 22_050 and 2.0 < clip.duration < 5.0
    text = heard(whisper, clip)
    assert all(word in text for word in ("roll", "ball", "breathe")), text


def test_it_is_as_loud_as_espeak_and_never_clips(cache):
    line = "Let a little more of your weight onto the ball."
    neural = PiperSynthesizer(cache=cache).render(line).samples
    espeak = Pyttsx3Synthesizer().render(line).samples
    rms = [float(np.sqrt(np.mean(s**2))) for s in (neural, espeak)]
    assert 10 ** (-3 / 20) < rms[0] / rms[1] < 10 ** (3 / 20), rms  # within 3 dB
    assert np.abs(neural).max() <= piper_tts.PEAK + 1e-6


def test_rate_and_volume_change_the_neural_voice(cache):
    line = "Breathe into the spot and let it soften."
    slow = PiperSynthesizer(rate=120, cache=cache).render(line)
    fast = PiperSynthesizer(rate=240, cache=cache).render(line)
    assert 1.6 < slow.duration / fast.duration < 2.4
    full = PiperSynthesizer(cache=cache).render(line).samples
    half = PiperSynthesizer(volume=0.5, cache=cache).render(line).samples
    assert np.allclose(half, full * 0.5, atol=1e-4)


def test_every_symbol_the_coach_speaks_is_one_the_voice_knows():
    # A symbol missing from the voice's phoneme map would be dropped silently (a sound lost).
    voice = PiperSynthesizer(cache=RenderCache(None))
    routine = load_routine("upper-back")
    texts = [w for options in default_table().values() for w in options] + [
        line for line in lines_ahead(Coach(routine, seed=3), default_catalog().names())
    ]
    symbols = {
        s for t in texts for c in clauses(t.replace("{", "").replace("}", "")) for s in c.phonemes
    }
    assert symbols - set(voice._ids) == set()


def test_a_second_synthesizer_renders_nothing_already_on_disk(cache):
    line = "Halfway. Let the muscle soften."
    first = PiperSynthesizer(cache=cache)
    clip = first.render(line)
    assert first.rendered == 2  # two sentences
    second = PiperSynthesizer(cache=cache)
    again = second.render(line)
    assert second.rendered == 0 and cache.hits == 2
    assert np.allclose(again.samples, clip.samples, atol=1.5 / 32768)


def test_a_damaged_cache_file_is_rendered_again(cache):
    line = "Release slowly."
    PiperSynthesizer(cache=cache).render(line)
    (damaged,) = cache.folder.glob("*.npy")
    damaged.write_bytes(b"\x93NUMPY garbage")
    voice = PiperSynthesizer(cache=cache)
    assert voice.render(line).duration > 0.3
    assert voice.rendered == 1 and np.load(damaged).dtype == np.int16


def test_an_unwritable_cache_folder_only_costs_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    voice = PiperSynthesizer(cache=RenderCache(blocker / "speech"))
    assert voice.render("Five.").duration > 0.2
    assert voice.render("Five.").duration > 0.2 and voice.rendered == 1  # kept in memory


def test_render_ahead_renders_the_forecast_lines_before_they_are_asked_for(cache):
    voice = PiperSynthesizer(cache=cache)
    lines = ["Spot one of two: the upper trapezius.", "Hold there for 20 seconds."]
    voice.render_ahead(lambda: lines).join(timeout=30)
    assert voice.ahead_done and all(voice.is_ready(line) for line in lines)
    before = voice.rendered
    voice.render(lines[0])
    assert voice.rendered == before


def test_a_sentence_asked_for_while_the_worker_renders_it_is_rendered_once(cache):
    voice = PiperSynthesizer(cache=cache)
    line = "Keep the ball on muscle, never on your spine, your neck or a bony edge."
    worker = voice.render_ahead(lambda: [line])
    threads = [threading.Thread(target=voice.render, args=(line,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in [*threads, worker]:
        thread.join(timeout=30)
    assert voice.rendered == 1


def test_a_line_is_played_sentence_by_sentence_with_a_pause_between(cache):
    clock = MockClock(0.0)
    speaker = FakeSpeaker(clock.monotonic)
    voice = PiperSynthesizer(cache=cache)
    output = SpeechOutput(clock, lambda _: None, lambda _: None, voice, speaker)
    first = output.perform([Say("Halfway. Let the muscle soften.", at=0.0)])
    played = speaker.played_since(0.0)
    assert [p.text for p in played] == ["Halfway.", "Let the muscle soften."]
    assert first == played[:1]
    gap = played[1].start - played[0].end
    assert gap == pytest.approx(piper_tts.SENTENCE_PAUSE, abs=1e-6)


def test_split_keeps_numbers_and_cuts_after_each_sentence():
    assert split_sentences("Hold 2.5 seconds. Good! Ready?") == [
        "Hold 2.5 seconds.",
        "Good!",
        "Ready?",
    ]
    assert split_sentences("Spot 3 of 8: the neck") == ["Spot 3 of 8: the neck"]


def test_without_the_voice_package_the_sentence_names_the_fix_and_espeak_speaks(monkeypatch):
    monkeypatch.setitem(piper_tts.PACKAGED_VOICES, "joe", ("no_such_voice_package", "en_US-x"))
    with pytest.raises(EngineUnavailable, match="pip install no-such-voice-package"):
        PiperSynthesizer()
    notes: list[str] = []
    voice = make_synthesizer(None, 160, 1.0, notes.append)
    assert isinstance(voice, Pyttsx3Synthesizer)
    assert len(notes) == 1 and "speaks with espeak-ng instead" in notes[0]


def test_voice_names_choose_the_kind():
    notes: list[str] = []
    assert isinstance(make_synthesizer("joe", 160, 1.0, notes.append), PiperSynthesizer)
    assert isinstance(make_synthesizer("espeak", 160, 1.0, notes.append), Pyttsx3Synthesizer)
    espeak_us = make_synthesizer("en-us", 160, 1.0, notes.append)
    assert isinstance(espeak_us, Pyttsx3Synthesizer) and espeak_us.voice == "gmw/en-us"
    assert notes == []
