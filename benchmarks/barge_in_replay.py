"""Runs saved barge-in runs (`benchmarks/barge_in.py --save FILE`) through the listener again.

    python benchmarks/barge_in_replay.py [--engine NAME] [--verbose] FILE [FILE ...]

The microphone's chunks, with their time stamps, go through a listener wired as in a session
(echo chain fed with what the coach played, the recognizer in this process) on a virtual clock,
so a run replays the same way every time and on any machine, with no sound server: change the
echo chain or the recognizer, replay, compare. A transcript counts as decoded when the chunk
that completed it was captured; the decode's own time is not in the figure (about 0.1-0.3 s
with Whisper tiny.en on two cores), so "within 1 s" here means within 1 s less that.
"""

from __future__ import annotations

import pickle
import sys

from barge_in import ACT_WITHIN, VERBOSE, Trial, _drain, _report

from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.testing import FakeMicrophone, RecordedPlayback
from intents.catalog import default_catalog
from voice_coach.runtime.clock import MockClock
from voice_coach.runtime.engines import make_recognizer
from voice_coach.runtime.listener import Listener

ENGINE = sys.argv[sys.argv.index("--engine") + 1] if "--engine" in sys.argv else "auto"


def main(paths: list[str]) -> int:
    if not paths:  # as under `make bench`, which runs every script here
        print("barge-in replay: no saved runs given (benchmarks/barge_in.py --save FILE makes one)")
        return 0
    recognizer = make_recognizer(ENGINE, default_catalog(), live=True)
    for path in paths:
        with open(path, "rb") as saved:
            run = pickle.load(saved)
        trials = [Trial(*trial) for trial in run["trials"]]
        clock = MockClock(0.0)
        recognizer.reset()
        playback = RecordedPlayback(run["reference"], [t.line for t in trials])
        listener = Listener(FakeMicrophone(), recognizer, playback=playback, clock=clock)
        for pcm, start in run["chunks"]:
            clock.advance_to(start + len(pcm) / 2 / SAMPLE_RATE)
            listener.feed(pcm, start)
        # A second of silence ends whatever utterance was still open.
        end = clock.monotonic()
        clock.advance_to(end + 1.0)
        listener.feed(b"\0\0" * SAMPLE_RATE, end)
        print(f"{path}:")
        _report(f"replayed (decode time not counted, act within {ACT_WITHIN:.0f} s)", trials,
                _drain(listener))  # fmt: skip
        steps = ", ".join(f"{at:.1f} s: {offset * 1000:+.1f} ms" for at, offset in
                          listener.echo_steps())  # fmt: skip
        print(f"    echo path (seconds into the run: offset): {steps or 'never found'}")
    if not VERBOSE:
        print("(--verbose lists every transcript per sentence)")
    return 0


if __name__ == "__main__":
    flags = {"--verbose", "--engine", ENGINE} if "--engine" in sys.argv else {"--verbose"}
    sys.exit(main([arg for arg in sys.argv[1:] if arg not in flags]))
