"""`voice-coach recognize` end to end: espeak-ng WAVs made at test time, decoded by PocketSphinx."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_models.pcm import resample, to_float
from audio_models.wav_file import read_wav, write_wav
from voice_coach import cli

VOICE_COACH = Path(sys.executable).with_name("voice-coach")
SUBTYPE_FLOAT = struct.pack("<H", 3) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")


def espeak_wav(path: Path, text: str) -> Path:
    """``text`` spoken by espeak-ng's US voice into a 22.05 kHz mono 16-bit WAV file."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return path


def write_float_extensible(path: Path, samples: np.ndarray, rate: int) -> None:
    """32-bit float, WAVE_FORMAT_EXTENSIBLE: what browsers and DAWs write, and ``wave`` rejects."""
    frames = samples.astype("<f4")
    channels = frames.shape[1]
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * channels * 4, channels * 4, 32)
    fmt += struct.pack("<HHI", 22, 32, 3) + SUBTYPE_FLOAT
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", frames.nbytes) + frames.tobytes()
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("wavs")
    harder = espeak_wav(folder / "harder.wav", "harder")
    samples, rate = read_wav(harder)
    mono = to_float(samples[:, 0])
    at_44k = resample(mono, rate, 44_100)
    stereo = np.stack([at_44k, 0.8 * at_44k], axis=1)
    write_wav(folder / "harder-stereo-44k.wav", stereo, 44_100)
    write_float_extensible(folder / "harder-float-stereo-44k.wav", stereo, 44_100)
    # espeak-ng --stdout cannot seek back, so its data size is a placeholder past the end.
    streamed = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", "harder"], capture_output=True, check=True
    ).stdout
    (folder / "harder-streamed.wav").write_bytes(streamed)
    espeak_wav(folder / "stop.wav", "stop")
    (folder / "notes.wav").write_text("these are not samples")
    return {p.stem: p for p in folder.iterdir()}


def recognize(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VOICE_COACH), "recognize", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_every_wav_flavour_decodes_to_the_same_command(wavs):
    names = ["harder", "harder-stereo-44k", "harder-float-stereo-44k", "harder-streamed", "stop"]
    done = recognize("--engine", "pocketsphinx", "--json", *(str(wavs[n]) for n in names))
    assert done.returncode == 0, done.stderr
    results = lines(done.stdout)
    assert [r["file"] for r in results] == [str(wavs[n]) for n in names]
    assert [r["intent"] for r in results] == ["harder"] * 4 + ["stop"]
    for result in results:
        assert set(result) == {"file", "text", "intent", "confidence", "decode_ms"}
        assert 0.5 <= result["confidence"] <= 1.0 and result["decode_ms"] > 0


def test_unreadable_files_get_an_error_object_and_the_others_still_decode(wavs, tmp_path):
    missing = tmp_path / "missing.wav"
    files = [str(wavs["harder"]), str(wavs["notes"]), str(missing), str(wavs["stop"])]
    done = recognize("--engine", "pocketsphinx", "--json", *files)
    assert done.returncode == 1
    first, notes, gone, last = lines(done.stdout)
    assert sum("voice-coach: " in line for line in done.stderr.splitlines()) >= 2
    assert (first["intent"], last["intent"]) == ("harder", "stop")
    assert set(notes) == {"file", "error"} and notes["file"] == files[1]
    assert "not a RIFF/WAVE file" in notes["error"]
    assert gone == {"file": files[2], "error": gone["error"]} and "No such file" in gone["error"]


def test_file_names_are_reported_as_given(wavs):
    done = subprocess.run(
        [str(VOICE_COACH), "recognize", "--engine", "pocketsphinx", "--json", "./stop.wav"],
        capture_output=True,
        text=True,
        cwd=wavs["stop"].parent,
    )
    assert lines(done.stdout)[0]["file"] == "./stop.wav"


def test_readable_output_is_one_line_per_file_and_errors_go_to_stderr(wavs):
    done = recognize("--engine", "pocketsphinx", str(wavs["harder"]), str(wavs["notes"]))
    assert done.returncode == 1
    (good,) = done.stdout.splitlines()
    fields = good.split("\t")
    assert fields[:3] == [str(wavs["harder"]), "harder", "harder"] and fields[4].endswith(" ms")
    errors = [line for line in done.stderr.splitlines() if str(wavs["notes"]) in line]
    assert len(errors) == 1 and "not a RIFF/WAVE file" in errors[0]
    assert errors[0].startswith("voice-coach: ") and "Traceback" not in done.stderr


def test_converted_and_cut_off_files_are_noted_on_stderr(wavs, tmp_path):
    whole = wavs["harder"].read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[: len(whole) // 2])
    done = recognize("--engine", "pocketsphinx", "--json", str(cut), str(wavs["harder"]))
    assert done.returncode == 0 and len(lines(done.stdout)) == 2
    notes = done.stderr.splitlines()
    assert any(str(cut) in n and "is cut off" in n for n in notes), done.stderr
    # espeak-ng writes 22050 Hz mono: converted, no warning about quality
    assert any(f"{wavs['harder']} is 22050 Hz mono; it was converted" in n for n in notes)
    assert not any("poor" in n for n in notes)


def counting_pocketsphinx(monkeypatch) -> tuple[list[object], list[object]]:
    """Make the real PocketSphinxRecognizer record its constructions and resets."""
    from audio_models.recognizers import pocketsphinx_recognizer

    real = pocketsphinx_recognizer.PocketSphinxRecognizer
    built: list[object] = []
    resets: list[object] = []

    class Counting(real):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

        def reset(self):
            resets.append(self)
            super().reset()

    monkeypatch.setattr(pocketsphinx_recognizer, "PocketSphinxRecognizer", Counting)
    return built, resets


def test_engine_is_loaded_once_per_call_and_reset_for_each_file(wavs, monkeypatch, capsys):
    built, resets = counting_pocketsphinx(monkeypatch)
    files = [str(wavs[n]) for n in ("harder", "stop", "notes", "harder-stereo-44k")]
    code = cli.main(["recognize", "--engine", "pocketsphinx", "--json", *files])
    results = lines(capsys.readouterr().out)
    assert code == 1 and len(built) == 1
    assert len(resets) == 1 + 3  # once when built, then once per readable file
    assert [r.get("intent") for r in results] == ["harder", "stop", None, "harder"]


def test_each_file_decodes_as_if_it_were_the_first_of_the_call(wavs, capsys):
    """Every file is a stream of its own: what was decoded before must not change the result."""
    files = [str(wavs[n]) for n in ("harder", "harder", "stop", "harder")]
    assert cli.main(["recognize", "--engine", "pocketsphinx", "--json", *files]) == 0
    results = [(r["text"], r["confidence"]) for r in lines(capsys.readouterr().out)]
    assert results[1] == results[3] == results[0] and results[0][0] == "harder"


def isolated_home(tmp_path: Path) -> dict[str, str]:
    """Environment in which no Vosk model can be found: empty data folder, no overrides."""
    data = tmp_path / "data"
    data.mkdir()
    return {"VOICE_COACH_DATA_DIR": str(data), "VOICE_COACH_VOSK_MODEL": ""}


def test_vosk_without_a_model_is_one_sentence_naming_the_fix(wavs, tmp_path):
    done = recognize("--engine", "vosk", "--json", str(wavs["harder"]), env=isolated_home(tmp_path))
    assert done.returncode == 1 and done.stdout == ""
    message = done.stderr.strip()
    assert "\n" not in message and message.startswith("voice-coach: ")
    assert "voice-coach models install vosk-model-small-en-us-0.15" in message
    assert "--model PATH" in message


def test_vosk_with_a_model_path_that_is_no_model_says_so(wavs, tmp_path):
    done = recognize("--engine", "vosk", "--model", str(tmp_path / "nowhere"), str(wavs["harder"]))
    assert done.returncode == 1 and done.stdout == ""
    assert "nowhere" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_auto_without_a_model_decodes_with_the_packaged_whisper(wavs, tmp_path):
    done = recognize("--json", str(wavs["stop"]), env=isolated_home(tmp_path))
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[0]["intent"] == "stop"
    assert "--engine auto" not in done.stderr  # no engine was passed over on the way
