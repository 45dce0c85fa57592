"""`voice-coach doctor` on the real audio stack: devices, voices, engines, and a live level."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from audio_models.devices.speaker import Speaker
from audio_models.types import Clip
from tests.audio import require_sound_server

VOICE_COACH = Path(sys.executable).with_name("voice-coach")


def test_doctor_reports_everything_and_hears_the_microphone(tmp_path):
    require_sound_server()
    speaker = Speaker()
    try:
        rate = 48_000
        t = np.arange(6 * rate, dtype=np.float32) / rate
        speaker.play(Clip("tone", (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), rate))
        time.sleep(0.5)
        result = subprocess.run(
            [str(VOICE_COACH), "doctor", "--listen"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "VOICE_COACH_DATA_DIR": str(tmp_path)},
        )
    finally:
        speaker.close()
    out = result.stdout
    assert "Audio devices:" in out and "default input" in out
    assert "gmw/en-us" in out
    assert re.search(r"pocketsphinx: ready \(\d+ phrases, loaded in [0-9.]+ s\)", out)
    assert re.search(r"whisper: ready \(tiny.en in .+, loaded in [0-9.]+ s\)", out)
    assert "none installed; --engine auto uses Whisper tiny.en" in out
    loudest = float(re.search(r"loudest: (-?[0-9.]+) dBFS", out).group(1))
    assert loudest > -20, out  # the tone played into the sink reaches the monitor "microphone"
    assert result.returncode == 0, out
