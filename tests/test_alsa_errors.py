"""ALSA's own error lines stay off stderr once the handler is in. Provoked with a PCM name no
configuration defines, which fails while parsing ALSA's configuration: no device or sound
server is ever opened."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not ctypes.util.find_library("asound"), reason="libasound is not installed"
)

PROVOKE = """
import ctypes, sys
{setup}
alsa = ctypes.CDLL("libasound.so.2")
handle = ctypes.c_void_p()
result = alsa.snd_pcm_open(ctypes.byref(handle), b"voice_coach_no_such_pcm", 0, 0)
assert result < 0, result
{report}
"""


def provoke(setup: str = "", report: str = "") -> subprocess.CompletedProcess:
    code = PROVOKE.format(setup=setup, report=report)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


def test_without_the_handler_alsa_prints_to_stderr():
    assert "voice_coach_no_such_pcm" in provoke().stderr


def test_the_handler_counts_instead_of_printing():
    done = provoke(
        setup=(
            "from audio_models.devices import alsa_errors\nassert alsa_errors.silence_alsa_errors()"
        ),
        report="print(alsa_errors.messages)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert int(done.stdout) >= 1


def test_installing_twice_is_harmless():
    from audio_models.devices import alsa_errors

    assert alsa_errors.silence_alsa_errors() and alsa_errors.silence_alsa_errors()


def test_without_libasound_nothing_happens(monkeypatch):
    from audio_models.devices import alsa_errors

    monkeypatch.setattr(alsa_errors, "_installed", None)
    monkeypatch.setattr(alsa_errors.ctypes.util, "find_library", lambda name: "/nonexistent.so")
    assert alsa_errors.silence_alsa_errors() is False
