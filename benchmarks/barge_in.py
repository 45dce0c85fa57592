"""Urgent words spoken over the coach's sentences: heard and acted on, or lost in its voice?

The coach (a recording speaker stream) reads the default routine's cues into the PulseAudio null
sink; during every other sentence "the user" (a second stream, another voice) says stop or a pain
word somewhere in the middle. The microphone (the sink's monitor) hears both. The listener runs
as in a session (the default recognizer in its child process; `--engine NAME` for another), once
with the echo canceller fed from the speaker's output and once, on the very same recorded audio,
without it. Printed: the share of urgent words acted on, the delay from the end of the word to
its transcript, any intent acted on during the sentences where only the coach spoke, and where
the delay tracker found the echo. Run under `make bench`.

`--save FILE` also keeps what the microphone heard and what the coach played, so that
`benchmarks/barge_in_replay.py FILE` can run the very same audio through the listener again,
offline and deterministically: a miss that replays as a hit came from timing on a busy machine,
one that replays as a miss is in the signal chain or the recognizer.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from audio_models.devices import output_history
from audio_models.devices.microphone import Microphone
from audio_models.devices.speaker import Speaker
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.recognizers.recognizer_process import ProcessRecognizer
from audio_models.testing import FakeMicrophone
from audio_models.tts import trim
from audio_models.types import Clip, Playback
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from voice_coach.core.routine import load_routine
from voice_coach.runtime.echo_filter import judge
from voice_coach.runtime.engines import make_recognizer
from voice_coach.runtime.listener import Listener, Utterance
from voice_coach.runtime.voices import make_synthesizer

# `--engine NAME` compares another recognizer; the default is the one sessions use.
ENGINE = sys.argv[sys.argv.index("--engine") + 1] if "--engine" in sys.argv else "auto"
# `--voice NAME` (espeak, an espeak-ng voice) compares another voice; the default is the coach's.
VOICE = sys.argv[sys.argv.index("--voice") + 1] if "--voice" in sys.argv else None

URGENT = [("stop", "stop"), ("ouch", "pain"), ("stop now", "stop"), ("that hurts", "pain")]
USER_VOICE = "en-us+m3"
SENTENCES = 16
VERBOSE = "--verbose" in sys.argv
SAVE = sys.argv[sys.argv.index("--save") + 1] if "--save" in sys.argv else None
GAP = 1.2  # seconds between sentences
ACT_WITHIN = 1.0  # seconds after the word's end: the bound for stop and pain


@dataclass
class Trial:
    line: Playback
    word: str | None
    intent: str | None
    said: Playback | None


def main() -> None:
    synth = make_synthesizer(VOICE, 160, 1.0, print)
    routine = load_routine("upper-back")
    cues = [t for s in routine.spots for t in (s.placement, s.rolling, s.find, s.breathing)]
    random.Random(4).shuffle(cues)
    print(f"the coach speaks with {synth.description}")
    for cue in cues[:SENTENCES]:  # rendered ahead, as a session does
        synth.render(cue)
    played = _KeptOutput() if SAVE else None
    coach, user, microphone = Speaker(record=True), Speaker(), Microphone()
    time.sleep(2.0)  # the sound server settles its buffers first
    chunks: list[tuple[bytes, float]] = []
    recognizer = ProcessRecognizer(make_recognizer, ENGINE, default_catalog(), None, True)
    live = Listener(  # as a session wires it (no countdown here, so no gate)
        _Recorder(microphone, chunks),
        recognizer,
        playback=coach,
    )
    live.start()
    trials = _speak(synth, coach, user, cues[:SENTENCES])
    time.sleep(2.0)
    live.stop()
    recognizer.close()
    for device in (coach, user, microphone):
        device.close()
    with_aec = _drain(live)
    if played is not None:
        played.stop()
        _save(SAVE, chunks, played, trials)
    print(f"barge-in over the coach's sentences, {len(trials)} sentences, null sink:")
    print(f"  speaker underruns (each moves the echo path): {coach.underruns}")
    _report("live, with echo cancellation", trials, with_aec)
    _report_tracker(live, trials[0].line.start)
    # The same audio again, without the canceller, for comparison.
    offline = Listener(FakeMicrophone(), make_recognizer(ENGINE, default_catalog(), live=True))
    for pcm, start in chunks:
        offline.feed(pcm, start)
    offline.feed(b"\0\0" * SAMPLE_RATE, chunks[-1][1] + 0.02)
    _report("same audio, no echo cancellation", trials, _drain(offline), latency=False)


def _speak(synth, coach: Speaker, user: Speaker, cues: list[str]) -> list[Trial]:
    rng = random.Random(9)
    trials = []
    at = time.monotonic() + 0.5
    for n, text in enumerate(cues):
        line = coach.play(synth.render(text), at=at)
        word = intent = said = None
        if n % 2 == 1:
            word, intent = URGENT[(n // 2) % len(URGENT)]
            clip = _user_clip(word)
            offset = rng.uniform(1.0, max(1.1, line.end - line.start - clip.duration - 0.3))
            said = user.play(clip, at=line.start + offset)
        trials.append(Trial(line, word, intent, said))
        at = line.end + GAP
        time.sleep(max(0.0, line.end - time.monotonic()))
    time.sleep(max(0.0, at - time.monotonic()))
    return trials


def _report(title: str, trials: list[Trial], heard: list[Utterance], latency: bool = True) -> None:
    matcher = IntentMatcher()
    spoken = [t.line for t in trials]
    acted = []
    for u in heard:
        intent = matcher.match(u.text).intent if u.text else None
        verdict = judge(u.text, intent, u.start, u.end, spoken, u.echo_cancelled)
        if verdict.accept and verdict.intent:
            acted.append((u, verdict.intent))
    hits, delays, phantoms = 0, [], []
    for t in trials:
        window = (t.line.start, t.line.end + GAP)
        inside = [(u, i) for u, i in acted if window[0] <= u.end < window[1]]
        if t.said is None:
            phantoms += [f"{i} ({u.text!r})" for u, i in inside]
            continue
        match = [u for u, i in inside if i == t.intent]
        if match and match[0].decoded_at - t.said.end <= ACT_WITHIN:
            hits += 1
            delays.append(match[0].decoded_at - t.said.end)
        phantoms += [f"{i} ({u.text!r})" for u, i in inside if i != t.intent]
    if VERBOSE:
        for t in trials:
            during = [u for u in heard if t.line.start <= u.end < t.line.end + GAP]
            said = (
                f"{t.word!r} at {t.said.start - t.line.start:.1f}-{t.said.end - t.line.start:.1f}"
                if t.said
                else "-"
            )
            # (text, end in the line, seconds from the word's end to the transcript, verdict)
            got = [
                (
                    u.text,
                    round(u.end - t.line.start, 1),
                    round(u.decoded_at - t.said.end, 2) if t.said else None,
                    _verdict(matcher, u, spoken),
                )
                for u in during
            ]
            print(f"    {said}: {got}")
    tried = sum(t.said is not None for t in trials)
    print(f"  {title}: urgent words acted on within {ACT_WITHIN:.0f} s: {hits}/{tried}")
    if latency and delays:
        ms = sorted(d * 1000 for d in delays)
        print(
            f"    word end -> transcript: median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f}"
        )
    print(f"    other intents acted on: {len(phantoms)} {phantoms if phantoms else ''}")


def _report_tracker(listener: Listener, began: float) -> None:
    """Where the delay tracker put the echo, and when: its first lock and every step after."""
    steps = listener.echo_steps()
    path = ", ".join(f"{at - began:+.1f} s: {offset * 1000:.3f} ms" for at, offset in steps)
    print(f"    echo path (from the first sentence): {path or 'never found'}")
    if steps:
        print(f"    echo found {steps[0][0] - began:.2f} s into the first sentence")


def _verdict(matcher: IntentMatcher, u: Utterance, spoken: list[Playback]) -> str:
    intent = matcher.match(u.text).intent if u.text else None
    return judge(u.text, intent, u.start, u.end, spoken, u.echo_cancelled).reason


def _drain(listener: Listener) -> list[Utterance]:
    out = []
    while not listener.utterances.empty():
        out.append(listener.utterances.get())
    return out


def _user_clip(text: str) -> Clip:
    raw = subprocess.run(
        ["espeak-ng", "-v", USER_VOICE, "--stdout", text], capture_output=True, check=True
    ).stdout
    samples = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768
    return Clip(text, trim(samples, 22_050), 22_050)


class _KeptOutput:
    """Every block the coach's speaker records, kept whole: its own history keeps five seconds,
    the replay needs the whole run."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, float, np.ndarray, bool]] = []
        self._append = output_history.OutputHistory.append
        kept, append = self.blocks, self._append

        def keeping(history, start, samples, resync=False):
            kept.append((history.rate, start, np.array(samples, np.float32), resync))
            append(history, start, samples, resync)

        output_history.OutputHistory.append = keeping  # type: ignore[method-assign]

    def stop(self) -> None:
        output_history.OutputHistory.append = self._append  # type: ignore[method-assign]

    def reference(self, start: float, seconds: float) -> np.ndarray:
        """What the coach played from monotonic ``start``, at 16 kHz, as the listener read it."""
        keep, output_history.KEEP_SECONDS = output_history.KEEP_SECONDS, float("inf")
        try:
            whole = output_history.OutputHistory(self.blocks[0][0])
            for _, at, block, resync in self.blocks:
                whole.append(at, block, resync)
            return whole.segment(start, round(seconds * SAMPLE_RATE), SAMPLE_RATE)
        finally:
            output_history.KEEP_SECONDS = keep


def _save(path: str, chunks: list[tuple[bytes, float]], played: _KeptOutput, trials) -> None:
    """The run, with every time counted from ``origin`` (one second before the first chunk)."""
    import pickle

    origin = chunks[0][1] - 1.0
    seconds = chunks[-1][1] + 2.0 - origin

    def moved(p: Playback | None) -> Playback | None:
        return None if p is None else Playback(p.text, p.start - origin, p.end - origin, p.id)

    run = {
        "chunks": [(pcm, start - origin) for pcm, start in chunks],
        "reference": played.reference(origin, seconds) if played.blocks else None,
        "trials": [(moved(t.line), t.word, t.intent, moved(t.said)) for t in trials],
    }
    with open(path, "wb") as out:
        pickle.dump(run, out)
    print(f"  saved to {path}: replay with benchmarks/barge_in_replay.py {path}")


class _Recorder:
    """The microphone, keeping a copy of every chunk for the comparison run."""

    def __init__(self, microphone: Microphone, chunks: list[tuple[bytes, float]]) -> None:
        self.microphone, self.chunks = microphone, chunks

    def read(self, timeout: float):
        chunk = self.microphone.read(timeout)
        if chunk is not None:
            self.chunks.append((chunk.pcm, chunk.start))
        return chunk


if __name__ == "__main__":
    main()
