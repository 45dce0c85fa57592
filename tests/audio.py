"""Test audio made at test time: espeak-ng speech, silence, noise; and the null sink check."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from audio_models.pcm import to_recognizer_pcm

ESPEAK_RATE = 22_050


def speech(text: str, voice: str = "en-us", wpm: int = 160) -> np.ndarray:
    """``text`` spoken by espeak-ng, as int16 samples at 22.05 kHz."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw[44:], dtype="<i2").copy()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * ESPEAK_RATE), dtype=np.int16)


def recognizer_pcm(*parts: np.ndarray, noise: float = 20.0, seed: int = 0) -> bytes:
    """Parts joined, with a faint noise floor (real microphones are never digitally silent)."""
    joined = np.concatenate(parts).astype(np.float32)
    joined += np.random.default_rng(seed).normal(0.0, noise, len(joined)).astype(np.float32)
    return to_recognizer_pcm(np.clip(joined, -32768, 32767).astype(np.int16), ESPEAK_RATE)


def decode(recognizer, pcm: bytes, chunk: int = 4000) -> list:
    """Every transcript of ``pcm`` fed as a fresh stream in ``chunk``-byte pieces, then flushed."""
    recognizer.reset()
    out = []
    for i in range(0, len(pcm), chunk):
        out += recognizer.accept(pcm[i : i + chunk])
    return out + recognizer.flush()


def require_sound_server() -> None:
    """Fail (under `make test`, which always starts one) or skip when no PulseAudio is running."""
    if shutil.which("pactl") and (
        subprocess.run(["pactl", "info"], capture_output=True).returncode == 0
    ):
        return
    if os.environ.get("PULSE_SERVER"):
        pytest.fail("make test started no PulseAudio null sink; see scripts/pulse-null-sink.sh")
    pytest.skip("no PulseAudio server: run the tests with `make test`")
