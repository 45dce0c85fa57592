"""benchmarks/realspeech.py's noisy conditions: the SNR they claim, the same samples every run,
and babble that never holds the clip's own speaker. On small recordings made here."""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import realspeech

RATE = 16_000


def _write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    rng = np.random.default_rng(1)
    speech, train = tmp_path / "real-speech", tmp_path / "real-speech-train"
    speech.mkdir()
    train.mkdir()
    rows = ["file\twords\tsource\tlicense"]
    # Speakers whose ids hash to the TUNE half, so their clips can be babble.
    speakers = [
        s
        for s in (f"{n:08x}" for n in range(200))
        if realspeech.Clip("", "", s, None).split == "tune"
    ]
    for n, speaker in enumerate(speakers[:4]):
        tone = np.sin(2 * np.pi * (200 + 50 * n) * np.arange(RATE) / RATE) * 8000
        tone[: RATE // 4] = 0  # a pause before the word, as in a real clip
        _write(speech / f"bed-{n}.wav", tone)
        rows.append(f"bed-{n}.wav\tbed\tx:bed_{speaker}_nohash_0.wav\tCC")
    (speech / "manifest.tsv").write_text("\n".join(rows) + "\n")
    for n in realspeech.TEST_NOISE:
        _write(train / n, rng.normal(0, 3000, RATE))
    monkeypatch.setattr(realspeech, "TRAIN_ROOT", train)
    monkeypatch.setattr(realspeech, "_TALKERS", [])
    return speech


@pytest.mark.parametrize("condition", ["real noise 10 dB", "real babble 5 dB"])
def test_noise_is_mixed_at_the_conditions_snr_against_the_voice(root, condition):
    clip = realspeech.clips(root)[0]
    clean = realspeech.audio(clip, root).astype(np.float64) / 32768
    mixed = realspeech.audio(clip, root, condition).astype(np.float64) / 32768
    room = int(realspeech.ROOM * RATE)
    assert len(mixed) == len(clean) + 2 * room
    noise = mixed - np.concatenate([np.zeros(room), clean, np.zeros(room)])
    snr = 20 * np.log10(realspeech.speech_level(clean) / np.sqrt(np.mean(noise**2)))
    assert snr == pytest.approx(realspeech.SNR_DB[condition], abs=0.5)
    assert np.array_equal(mixed, realspeech.audio(clip, root, condition).astype(np.float64) / 32768)


def test_babble_never_holds_the_clips_own_speaker(root):
    # Each speaker here is a tone of their own: the babble behind speaker 0 (200 Hz) holds the
    # other speakers' tones and not theirs.
    clip = realspeech.clips(root)[0]
    clean = realspeech.audio(clip, root).astype(np.float64)
    mixed = realspeech.audio(clip, root, "real babble 5 dB").astype(np.float64)
    room = int(realspeech.ROOM * RATE)
    noise = mixed - np.concatenate([np.zeros(room), clean, np.zeros(room)])
    spectrum = np.abs(np.fft.rfft(noise))
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)

    def power(hz: float) -> float:
        return float(spectrum[np.abs(freqs - hz) < 5].max())

    assert power(200) < 0.05 * min(power(hz) for hz in (250, 300, 350))


def test_as_recorded_is_the_file_itself(root):
    clip = realspeech.clips(root)[0]
    with wave.open(str(root / clip.file)) as wav:
        raw = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert np.array_equal(realspeech.audio(clip, root), raw)
