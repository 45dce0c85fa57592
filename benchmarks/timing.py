"""Countdown timing on the real audio stack: onset error of each spoken number, and drift.

Runs a 30 s hold through the coach's real output path (SpeechOutput -> Speaker -> PulseAudio),
records the sink's monitor through the real Microphone, finds each number's onset by
cross-correlating the recording with the number's own rendered clip, and compares it with the
deadline the coach's ``Countdown`` set. Run under `make bench` (it provides the null sink).
"""

from __future__ import annotations

import time

import numpy as np

from audio_models.devices.microphone import Microphone
from audio_models.devices.speaker import Speaker
from audio_models.pcm import resample
from audio_models.tts import Pyttsx3Synthesizer
from voice_coach.core.events import Countdown, StartCountdown
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.runtime.clock import MonotonicClock
from voice_coach.runtime.speech_output import SpeechOutput

HOLD = 30.0
RUNS = 3


def main() -> None:
    synth = Pyttsx3Synthesizer()
    speaker, microphone = Speaker(), Microphone()
    time.sleep(3.0)  # let the sound server settle, as it has long before any hold in a session
    errors: list[float] = []
    drifts: list[float] = []
    for _ in range(RUNS):
        clock = MonotonicClock()
        output = SpeechOutput(clock, lambda s: None, print, synth, speaker)
        output.prepare()
        start = clock.now() + 0.5
        countdown = Countdown.ahead_of(start, start + HOLD)
        output.perform([StartCountdown(seconds=HOLD, countdown=countdown, at=start)])
        samples, times = _record(microphone, HOLD + 1.5)
        run = []
        for n in range(5, 0, -1):
            due = clock.monotonic_at(start + HOLD - n)
            clip = synth.render(NUMBER_WORDS[n])
            run.append(_onset(samples, times, resample(clip.samples, clip.rate, 16_000), due) - due)
        errors += run
        drifts.append(run[-1] - run[0])
    speaker.close()
    microphone.close()
    ms = np.abs(np.array(errors)) * 1000
    print(f"countdown onsets measured: {len(errors)} ({RUNS} holds of {HOLD:.0f} s)")
    print(f"onset error: median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
          f"max {ms.max():.1f} ms (target p95 <= 20 ms)")  # fmt: skip
    print(
        f"drift first->last number: max {max(abs(d) for d in drifts) * 1000:.1f} ms "
        "(target <= 10 ms)"
    )


def _record(microphone: Microphone, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    parts, stamps = [], []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        chunk = microphone.read(0.1)
        if chunk is not None:
            x = np.frombuffer(chunk.pcm, dtype=np.int16).astype(np.float32) / 32768
            parts.append(x)
            stamps.append(chunk.start + np.arange(len(x)) / 16_000)
    return np.concatenate(parts), np.concatenate(stamps)


def _onset(samples: np.ndarray, times: np.ndarray, clip: np.ndarray, due: float) -> float:
    window = np.flatnonzero((times > due - 0.3) & (times < due + 0.3 + len(clip) / 16_000))
    segment = samples[window]
    corr = np.correlate(segment, clip, mode="valid")
    return float(times[window[0] + int(np.argmax(corr))])


if __name__ == "__main__":
    main()
