"""Real espeak-ng speech through pyttsx3, rendered to memory."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from audio_models import tts
from audio_models.errors import EngineUnavailable
from audio_models.tts import FakeSynthesizer, Pyttsx3Synthesizer, trim

LINE = "Hold here for twenty seconds."
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synthesizer:
    return Pyttsx3Synthesizer()


def test_render_is_speech_of_plausible_length_with_trimmed_edges(synth):
    clip = synth.render(LINE)
    assert clip.rate == 22_050 and clip.samples.dtype == np.float32
    assert 1.0 < clip.duration < 4.0
    assert np.sqrt(np.mean(clip.samples**2)) > 0.02
    loud = np.flatnonzero(np.abs(clip.samples) > tts.TRIM_THRESHOLD)
    head, tail = loud[0] / clip.rate, (len(clip.samples) - 1 - loud[-1]) / clip.rate
    # At most 20 ms of quiet edge is kept (espeak starts speaking within ~10 ms; it ends with a
    # long pause, cut to exactly those 20 ms).
    assert head <= tts.KEEP_EDGE + 0.001
    assert tail == pytest.approx(tts.KEEP_EDGE, abs=0.001)


def test_cache_returns_the_same_clip(synth):
    assert synth.render("Five.") is synth.render("Five.")


def test_rendered_lines_never_touch_the_engine_again(monkeypatch):
    synth = Pyttsx3Synthesizer()
    for line in ("Three.", "Two.", "One."):
        synth.render(line)

    def no_engine(text: str):
        raise AssertionError(f"rendered {text!r} again")

    monkeypatch.setattr(synth, "_render", no_engine)
    assert [synth.render(n).text for n in ("Three.", "Two.", "One.")] == ["Three.", "Two.", "One."]


def test_volume_is_a_gain_on_the_samples():
    # Not sample-exact: libespeak carries a little waveform state from one line to the next.
    full = Pyttsx3Synthesizer().render("Take a deep breath.")
    quiet = Pyttsx3Synthesizer(volume=0.5).render("Take a deep breath.")
    rms = [float(np.sqrt(np.mean(c.samples**2))) for c in (full, quiet)]
    assert rms[1] / rms[0] == pytest.approx(0.5, abs=0.02)
    assert quiet.duration == pytest.approx(full.duration, abs=0.005)


def test_rate_changes_the_duration_and_each_synthesizer_keeps_its_own():
    slow, fast = Pyttsx3Synthesizer(rate=100), Pyttsx3Synthesizer(rate=300)
    durations = []
    for _ in range(3):  # alternating: espeak's settings are global, each render sets its own
        for synth in (slow, fast):
            synth._cache.clear()
            durations.append(synth.render(LINE).duration)
    slow_runs, fast_runs = durations[0::2], durations[1::2]
    # Within a few percent (libespeak carries some state between lines), far from each other.
    assert max(slow_runs) < 1.05 * min(slow_runs) and max(fast_runs) < 1.05 * min(fast_runs)
    assert min(slow_runs) > 2.2 * max(fast_runs)


def test_voice_by_id_name_or_short_name_and_it_changes_the_sound():
    by_id = Pyttsx3Synthesizer(voice="gmw/en-us")
    assert Pyttsx3Synthesizer(voice="English (America)").voice == by_id.voice == "gmw/en-us"
    assert Pyttsx3Synthesizer(voice="en-us").voice == "gmw/en-us"
    other = Pyttsx3Synthesizer(voice="de").render("Hello there.")
    assert len(other.samples) != len(by_id.render("Hello there.").samples)


def test_unknown_voice_is_one_sentence_naming_how_to_list_voices():
    with pytest.raises(EngineUnavailable, match=r"no-such-voice.*`voice-coach doctor`"):
        Pyttsx3Synthesizer(voice="no-such-voice")


def test_voices_list_english(synth):
    voices = synth.voices()
    assert len(voices) > 10
    assert any(v.id == "gmw/en-us" and "en-us" in v.languages for v in voices)


def test_many_renders_in_a_row_and_from_threads(synth):
    in_a_row = [synth.render(f"Line number {n} in a row.") for n in range(20)]
    assert all(clip.duration > 0.8 for clip in in_a_row)
    texts = [f"Thread line {n}." for n in range(12)]
    clips: list = []
    threads = [threading.Thread(target=lambda t=t: clips.append(synth.render(t))) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(c.text for c in clips) == sorted(texts)
    assert all(c.duration > 0.5 for c in clips)


def in_a_fresh_process(code: str) -> str:
    """What ``code`` prints when run by a new interpreter (espeak is set up once per process)."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_fresh_process_renders_a_long_first_line_whole():
    # The first line a process renders comes back whole (pyttsx3's own loop once returned early).
    code = (
        "from audio_models.tts import Pyttsx3Synthesizer\n"
        "text = ' '.join(['Breathe in slowly, let the ball sink in, and breathe out.'] * 6)\n"
        "print(Pyttsx3Synthesizer().render(text).duration)\n"
    )
    assert float(in_a_fresh_process(code)) > 15.0


def test_empty_or_silent_text_is_an_empty_clip_not_a_hang(synth):
    for text in ("", "   ", "..."):
        assert synth.render(text).duration == 0.0


def test_missing_engine_names_the_fix_with_fake_failing_import(monkeypatch):
    # As in a fresh process on a machine without libespeak-ng: the binding cannot load.
    monkeypatch.setitem(sys.modules, "pyttsx3.drivers._espeak", None)
    monkeypatch.setattr(tts, "_ESPEAK", [])
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng"):
        Pyttsx3Synthesizer()


def test_espeak_synthesises_on_the_thread_that_asked_for_the_line():
    # Synchronous mode: no espeak thread calls into Python while the audio threads run.
    code = (
        "import threading\n"
        "from audio_models import tts\n"
        "seen = set()\n"
        "collect = tts._collect\n"
        "tts._collect = lambda *a: (seen.add(threading.get_ident()), collect(*a))[1]\n"
        "synth = tts.Pyttsx3Synthesizer()\n"
        "asked = []\n"
        "def render():\n"
        "    asked.append(threading.get_ident())\n"
        "    synth.render('Breathe out slowly.')\n"
        "worker = threading.Thread(target=render)\n"
        "worker.start()\n"
        "worker.join()\n"
        "print(seen == set(asked), len(seen))\n"
    )
    assert in_a_fresh_process(code).split() == ["True", "1"]


def test_fake_synthesizer_is_deterministic_and_grows_with_the_text():
    fake = FakeSynthesizer()
    short, long = fake.render("Go."), fake.render("Hold here for twenty seconds.")
    assert long.duration > short.duration > 0
    np.testing.assert_array_equal(fake.render("Go.").samples, short.samples)
    assert fake.rendered == ["Go.", LINE, "Go."]


def test_trim_of_pure_silence_is_empty():
    assert len(trim(np.zeros(1000, dtype=np.float32), 16000)) == 0
