"""Whisper's load time, resident memory and decode time per utterance, by thread count and input.

    python benchmarks/whisper_speed.py [--clips N]

Decodes the first N real "stop" recordings of ../shared/real-speech/ (one second each) as the
recognizer does (utterance + silence, the decoder reading a full window) and as faster-whisper
does (the utterance padded to a 30 s window and encoded whole), with 1 and 2 threads, each in a
fresh process so that memory and load time are its own.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from multiprocessing import get_context

import realspeech


def _measure(threads: int, window: float | None, clips: int) -> dict[str, float]:
    started = time.perf_counter()
    from audio_models.recognizers import whisper_model

    whisper_model.WINDOW = window
    model = whisper_model.WhisperModel(threads=threads)
    load = time.perf_counter() - started
    stops = [c for c in realspeech.clips() if c.intent == "stop"][:clips]
    times, right = [], 0
    for clip in stops:
        samples = realspeech.audio(clip).astype("float32") / 32768.0
        begun = time.perf_counter()
        decoded = model.transcribe(samples, 3)
        times.append(time.perf_counter() - begun)
        right += decoded.hypotheses[0].text.lower().strip(".!? ") == "stop"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "load": load,
        "rss": rss,
        "median": statistics.median(times),
        "p95": sorted(times)[int(0.95 * (len(times) - 1))],
        "right": right / len(stops),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"{'input':22} {'threads':>7} {'load':>6} {'RSS':>7} {'median':>7} {'p95':>7} "
          f"{'stop as stop':>12}")  # fmt: skip
    context = get_context("spawn")
    for window, name in ((None, "utterance + 1 s"), (30.0, "30 s window")):
        for threads in (1, 2):
            with context.Pool(1) as pool:
                got = pool.apply(_measure, (threads, window, args.clips))
            print(f"{name:22} {threads:7} {got['load']:5.2f}s {got['rss']:5.0f}MB "
                  f"{got['median'] * 1000:5.0f}ms {got['p95'] * 1000:5.0f}ms "
                  f"{got['right']:12.0%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
