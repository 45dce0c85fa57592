"""Reply latency of a live voice session: end of the user's command -> start of the coach's reply.

A real session (espeak-ng voice, speaker, microphone, PocketSphinx) runs on the PulseAudio null
sink. During the quiet part of each hold, "the user" (a second output stream into the same sink)
says a command; the latency is from the last sample of that command leaving the user's stream to
the first sample of the coach's reply leaving the coach's. Both times are DAC times on the
monotonic clock. Run under `make bench` (it provides the null sink).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from audio_models.microphone import Microphone
from audio_models.pocketsphinx_recognizer import PocketSphinxRecognizer
from audio_models.recognizer_process import ProcessRecognizer
from audio_models.speaker import Speaker
from audio_models.tts import Clip, Pyttsx3Synthesizer
from intents.catalog import default_catalog
from voice_coach.clock import MonotonicClock
from voice_coach.dialogue import Coach
from voice_coach.listener import Listener, Utterance
from voice_coach.routine import load_routine
from voice_coach.speech_output import SpeechOutput
from voice_coach.voice_session import VoiceSession

ROUTINE = """
name = "latency"
title = "Latency"
summary = "Spots with long quiet holds."
based_on = "upper-back"
spots = ["upper-trap-right", "upper-trap-left", "rhomboid-right", "rhomboid-left"]
stretches = ["arm-circles"]
hold_seconds = 30
stretch_every = 0
[timing]
placement = 1
rolling = 1
find = 1
release = 1
"""
COMMANDS = ["harder", "stop"]  # words PocketSphinx hears reliably from espeak-ng
TRIES = 8


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="voice-coach-latency-"))
    (folder / "routine.toml").write_text(ROUTINE)
    synth = Pyttsx3Synthesizer()
    speaker, microphone, user = Speaker(), Microphone(), Speaker()
    time.sleep(3.0)  # the sound server settles its buffers first
    latencies: list[float] = []
    missed = 0
    try:
        for attempt in range(TRIES):
            result = _one(folder / "routine.toml", synth, speaker, microphone, user, attempt)
            if result is None:
                missed += 1
            else:
                latencies.append(result)
    finally:
        for device in (speaker, microphone, user):
            device.close()
    ms = np.array(latencies) * 1000
    print(f"reply latency over {len(ms)} commands ({missed} not recognised):")
    if len(ms):
        print(f"  median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
              f"max {ms.max():.0f} ms (target <= 500 ms)")  # fmt: skip


def _one(routine, synth, speaker, microphone, user, attempt: int) -> float | None:
    coach = Coach(load_routine(routine), seed=attempt)
    clock = MonotonicClock()
    output = SpeechOutput(clock, lambda s: None, print, synth, speaker)
    output.prepare()
    recognizer = ProcessRecognizer(PocketSphinxRecognizer, default_catalog().phrases())
    listener = Listener(microphone, recognizer, on_error=print)
    session = VoiceSession(coach, output, listener, lambda s: None, print, clock)
    listener.utterances.put(Utterance("start", 1.0, 0.0, 0.0, 0.0))  # skip the welcome
    runner = threading.Thread(target=session.run, daemon=True)
    runner.start()
    # Wait for the hold to start and for the coach to fall quiet inside it.
    deadline = time.monotonic() + 60
    while coach.phase != "hold" and time.monotonic() < deadline:
        time.sleep(0.05)
    while output.busy_until() > time.monotonic() - 1.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    word = COMMANDS[attempt % len(COMMANDS)]
    said = user.play(_speech(word))
    time.sleep(said.end - time.monotonic() + 2.0)
    replies = [p for p in speaker.played_since(said.end) if p.start >= said.start]
    session.stop()
    runner.join(timeout=40)
    session.close()
    recognizer.close()
    heard = [text for text, intent in session.log.heard if intent]
    if not heard or not replies:
        return None
    return replies[0].start - said.end


def _speech(text: str) -> Clip:
    raw = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True
    ).stdout
    samples = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
    return Clip(text, samples, 22_050)


if __name__ == "__main__":
    main()
