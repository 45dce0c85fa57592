"""The coach never obeys its own voice: every line of the default routine, spoken by the coach's
real synthesizer into the real recognizer through the microphone path, yields no intent."""

from __future__ import annotations

import numpy as np
import pytest

from audio_models.pcm import to_recognizer_pcm
from audio_models.pocketsphinx_recognizer import PocketSphinxRecognizer
from audio_models.speaker import Playback
from audio_models.tts import Pyttsx3Synthesizer
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from tests.scripted import coach_lines, run_script
from voice_coach.echo_filter import judge
from voice_coach.listener import Listener

GAP = 0.5  # seconds between lines, as when the coach pauses between sentences
SCRIPT = "start\n@40 harder\n@45 softer\n@60 pause\n@62 resume\n@70 help\n@80 stretch\n@95 repeat"
PAIN_SCRIPT = "start\n@30 ouch\n@35 softer\n@50 next spot\n@60 stop"


def every_routine_line() -> list[str]:
    lines = coach_lines(run_script(SCRIPT)) + coach_lines(run_script(PAIN_SCRIPT))
    return list(dict.fromkeys(line.text for line in lines))


class _NoMicrophone:
    def read(self, timeout: float):
        return None


def test_every_line_of_the_default_routine_heard_back_gives_no_intent():
    lines = every_routine_line()
    assert len(lines) > 80
    synth = Pyttsx3Synthesizer()
    listener = Listener(_NoMicrophone(), PocketSphinxRecognizer(default_catalog().phrases()))
    rng = np.random.default_rng(7)
    spoken: list[Playback] = []
    clock = 0.0
    for text in lines:
        clip = synth.render(text)
        pcm = to_recognizer_pcm(clip.samples, clip.rate)
        gap = np.zeros(int(GAP * 16_000), dtype=np.int16)
        audio = np.concatenate([np.frombuffer(pcm, dtype=np.int16), gap]).astype(np.float32)
        audio += rng.normal(0, 20, len(audio)).astype(np.float32)  # a real room is never silent
        spoken.append(Playback(text, clock, clock + clip.duration))
        listener.feed(np.clip(audio, -32768, 32767).astype(np.int16).tobytes(), start=clock)
        clock += clip.duration + GAP
    listener.feed(b"\0\0" * 16_000, start=clock)
    matcher = IntentMatcher()
    heard = []
    while not listener.utterances.empty():
        heard.append(listener.utterances.get())
    forced = [(u.text, matcher.match(u.text).intent) for u in heard if u.text]
    obeyed = [
        (u.text, intent, [p.text for p in spoken if p.start < u.end and p.end > u.start])
        for u in heard
        if (intent := matcher.match(u.text).intent)
        and judge(u.text, intent, u.start, u.end, spoken).accept
    ]
    assert heard, "the recognizer heard nothing at all: the test would prove nothing"
    assert obeyed == [], f"obeyed its own voice: {obeyed}; recognizer alone forced {forced}"


@pytest.mark.parametrize("text", ["Five.", "Four.", "Three.", "Two.", "One."])
def test_countdown_numbers_alone_are_not_commands(text):
    assert IntentMatcher().match(text).intent is None
