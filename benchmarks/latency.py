"""Reply latency of a live voice session: end of the user's command -> start of the coach's reply.

A real session (the coach's voice, `--voice NAME` for another; speaker, microphone, the default
recognizer, `--engine NAME` for another) runs on the PulseAudio null sink. During the quiet
part of each hold, "the user" (a second output stream into the same sink) says a command; the
latency is from the last sample of that command leaving the user's stream to the first sample of
the coach's reply leaving the coach's. Both times are DAC times on the monotonic clock. Run
under `make bench`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from audio_models.devices.microphone import Microphone
from audio_models.devices.speaker import Speaker
from audio_models.recognizers.recognizer_process import ProcessRecognizer
from audio_models.tts import trim
from audio_models.types import Clip
from intents.catalog import default_catalog
from voice_coach.core.coach import Coach
from voice_coach.core.lines import NUMBER_WORDS, default_table
from voice_coach.core.routine import load_routine
from voice_coach.runtime.clock import MonotonicClock
from voice_coach.runtime.engines import make_recognizer
from voice_coach.runtime.listener import Listener, Utterance
from voice_coach.runtime.speech_forecast import lines_ahead
from voice_coach.runtime.speech_output import SpeechOutput
from voice_coach.runtime.voice_session import VoiceSession
from voice_coach.runtime.voices import make_synthesizer

# `--engine NAME` compares another recognizer; the default is the one sessions use.
ENGINE = sys.argv[sys.argv.index("--engine") + 1] if "--engine" in sys.argv else "auto"
# `--voice NAME` (espeak, an espeak-ng voice) compares another voice; the default is the coach's.
VOICE = sys.argv[sys.argv.index("--voice") + 1] if "--voice" in sys.argv else None

ROUTINE = """
name = "latency"
title = "Latency"
summary = "Spots with long quiet holds."
based_on = "upper-back"
spots = ["upper-trap-right", "upper-trap-left", "rhomboid-right", "rhomboid-left"]
stretches = ["arm-circles"]
hold_seconds = 30
stretch_every = 0
[timing]  # the phases last as long as their instructions take to say, plus a moment
placement = 1
rolling = 1
find = 1
release = 1
"""
COMMANDS = ["harder", "stop", "pause", "next spot"]
TRIES = 8
QUIET_BEFORE_COMMAND = 2.0  # longer than the gap between the hold's opening lines


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="voice-coach-latency-"))
    (folder / "routine.toml").write_text(ROUTINE)
    synth = make_synthesizer(VOICE, 160, 1.0, print)
    print(f"the coach speaks with {synth.description}")
    speaker, microphone, user = Speaker(record=True), Microphone(), Speaker()
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
    output.prepare(lambda: lines_ahead(coach, default_catalog().names()))
    recognizer = ProcessRecognizer(make_recognizer, ENGINE, default_catalog(), None, True)
    listener = Listener(  # wired as in a session: echo cancelled, countdown numbers blanked
        microphone,
        recognizer,
        on_error=print,
        playback=output,
        blank=NUMBER_WORDS,
        clock=clock,
    )
    session = VoiceSession(coach, output, listener, lambda s: None, print, clock)
    listener.utterances.put(Utterance("start", 1.0, 0.0, 0.0, 0.0))  # skip the welcome
    runner = threading.Thread(target=session.run, daemon=True)
    runner.start()
    # Wait for the hold to start and for the coach to fall quiet inside it.
    deadline = time.monotonic() + 60
    while coach.phase != "hold" and time.monotonic() < deadline:
        time.sleep(0.05)
    _wait_for_quiet(output, deadline)
    word = COMMANDS[attempt % len(COMMANDS)]
    said = user.play(_speech(word))
    time.sleep(said.end - time.monotonic() + 2.0)
    # The reply is what the coach said after the command that the hold would not have said anyway.
    scheduled = set(NUMBER_WORDS) | {s.breathing for s in coach.routine.spots}
    scheduled |= {line for key in ("halfway", "release") for line in default_table()[key]}
    replies = [
        p
        for p in speaker.played_since(said.end)
        if p.start >= said.start and p.text not in scheduled
    ]
    session.stop()
    runner.join(timeout=40)
    session.close()
    recognizer.close()
    heard = [u for u, intent in session.log.heard if intent and u.end > said.start]
    if not heard or not replies:
        # What the recognizer made of it: a rejection ("" at a low confidence) or other words.
        got = [u for u, _ in session.log.heard if u.end > said.start]
        got += [u for u, _ in session.log.ignored if u.end > said.start]
        print(f"  {word!r}: no reply (heard {[(u.text, u.confidence) for u in got]})")
        return None
    latency = replies[0].start - said.end
    # Where the time goes: the endpointer's wait plus the decode, then the coach and the speaker.
    decoded = heard[0].decoded_at - said.end
    print(
        f"  {word!r} heard as {heard[0].text!r}, decoded after {decoded * 1000:.0f} ms; "
        f"reply {replies[0].text!r} after {latency * 1000:.0f} ms"
    )
    return latency


def _wait_for_quiet(output: SpeechOutput, deadline: float) -> None:
    """Until the hold's opening lines (its length, the breathing cue) have been said."""
    # The countdown's numbers are queued from the start, so "quiet" means no line is being said.
    quiet_since = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if output.talking_until() is not None:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_BEFORE_COMMAND:
            return
        time.sleep(0.05)


def _speech(text: str) -> Clip:
    raw = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True
    ).stdout
    samples = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
    # espeak-ng pads the end with silence; the command ends where the voice does.
    return Clip(text, trim(samples, 22_050), 22_050)


if __name__ == "__main__":
    main()
