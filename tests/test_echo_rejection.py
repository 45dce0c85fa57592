"""The coach never obeys its own voice: every line of the default routine, spoken by the coach's
real synthesizer into the real recognizer through the microphone path, yields no intent.

Most run on PocketSphinx (the default engine) and on Whisper (`--engine whisper`)."""

from __future__ import annotations

import numpy as np
import pytest

from audio_models.pcm import to_recognizer_pcm
from audio_models.testing import FakeMicrophone, RecordedPlayback
from audio_models.tts import Pyttsx3Synthesizer
from audio_models.types import Playback
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from tests.audio import ESPEAK_RATE, speech
from tests.scripted import coach_lines, run_script
from voice_coach.runtime.echo_filter import judge, unblanked
from voice_coach.runtime.engines import make_recognizer
from voice_coach.runtime.listener import Listener
from voice_coach.runtime.voices import make_synthesizer

GAP = 0.5  # seconds between lines, as when the coach pauses between sentences
SCRIPT = "start\n@40 harder\n@45 softer\n@60 pause\n@62 resume\n@70 help\n@80 stretch\n@95 repeat"
PAIN_SCRIPT = "start\n@30 ouch\n@35 softer\n@50 next spot\n@60 stop"
ENGINES = ("whisper", "pocketsphinx")


def every_routine_line() -> list[str]:
    lines = coach_lines(run_script(SCRIPT)) + coach_lines(run_script(PAIN_SCRIPT))
    return list(dict.fromkeys(line.text for line in lines))


def _coach_says(lines: list[str], listener: Listener, voice: str = "espeak") -> list[Playback]:
    """Each line as the coach's synthesizer says it, straight into ``listener``, a pause after
    each, in a quiet room; then a second of silence. What was said, with its times."""
    synth = make_synthesizer(voice, 160, 1.0, pytest.fail)
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
    return spoken


def _drain(listener: Listener) -> list:
    heard = []
    while not listener.utterances.empty():
        heard.append(listener.utterances.get())
    return heard


# In the coach's own (neural) voice; espeak-ng, its fallback, is heard back by the tests below
# (its every-line run, 110 s, was dropped for the time budget when the neural voice came).
@pytest.mark.parametrize(("engine", "voice"), [("whisper", "joe"), ("pocketsphinx", "joe")])
def test_every_line_of_the_default_routine_heard_back_gives_no_intent(engine, voice):
    lines = every_routine_line()
    assert len(lines) > 80
    listener = Listener(FakeMicrophone(), make_recognizer(engine, default_catalog()))
    spoken = _coach_says(lines, listener, voice)
    matcher = IntentMatcher()
    heard = _drain(listener)
    forced = [(u.text, matcher.match(u.text).intent) for u in heard if u.text]
    obeyed = [  # as the voice session acts: an urgent word inside the echo counts too
        (u.text, verdict.intent, [p.text for p in spoken if p.start < u.end and p.end > u.start])
        for u in heard
        if (verdict := judge(u.text, matcher.match(u.text).intent, u.start, u.end, spoken)).accept
        and verdict.intent
    ]
    assert heard, "the recognizer heard nothing at all: the test would prove nothing"
    assert obeyed == [], f"obeyed its own voice: {obeyed}; recognizer alone forced {forced}"


def test_the_ball_questions_own_echo_is_no_answer_while_whisper_expects_one():
    # While "which ball?" is open Whisper is told the answers, and the question itself names
    # them all ("soft, firm, spiky or two balls"): heard back, it must not choose the ball.
    from voice_coach.core.coach import Coach
    from voice_coach.core.events import Say, SessionStarted
    from voice_coach.core.routine import load_routine
    from voice_coach.runtime.voice_session import answers_to

    coach = Coach(load_routine("upper-back"), seed=1, ask_ball=True)
    welcome = [a.text for a in coach.handle(SessionStarted(at=0.0)) if isinstance(a, Say)]
    catalog = default_catalog()
    recognizer = make_recognizer("whisper", catalog)
    recognizer.expect(answers_to(catalog, coach.open_question))
    listener = Listener(FakeMicrophone(), recognizer)
    spoken = _coach_says(welcome, listener)
    matcher = IntentMatcher()
    heard = _drain(listener)
    assert heard, "the recognizer heard nothing at all: the test would prove nothing"
    taken = [
        (u.text, matcher.match(u.text).ball)
        for u in heard
        if judge(u.text, matcher.match(u.text).intent, u.start, u.end, spoken).accept
        and matcher.match(u.text).ball
    ]
    assert taken == []


@pytest.mark.parametrize("text", ["Five.", "Four.", "Three.", "Two.", "One."])
def test_countdown_numbers_alone_are_not_commands(text):
    assert IntentMatcher().match(text).intent is None


def countdown_with_stop(stop_at: float) -> tuple[bytes, list[Playback]]:
    """Five numbers a second apart in the coach's voice, "stop" by another voice at ``stop_at``."""
    synth = Pyttsx3Synthesizer()
    rate = 16_000
    audio = np.zeros(7 * rate, dtype=np.float32)
    played = []
    for n, word in enumerate(["Five.", "Four.", "Three.", "Two.", "One."]):
        clip = synth.render(word)
        samples = np.frombuffer(to_recognizer_pcm(clip.samples, clip.rate), dtype=np.int16)
        at = 1.0 + n
        audio[int(at * rate) : int(at * rate) + len(samples)] += samples
        played.append(Playback(word, at, at + len(samples) / rate))
    stop = speech("stop", "en-us+m3").astype(np.float32)
    stop = np.frombuffer(to_recognizer_pcm(stop / 32768, ESPEAK_RATE), dtype=np.int16)
    begin = int(stop_at * rate)
    audio[begin : begin + len(stop)] += stop
    audio += np.random.default_rng(3).normal(0, 20, len(audio)).astype(np.float32)
    return np.clip(audio, -32768, 32767).astype(np.int16).tobytes(), played


def acted_on_in_countdown(gated: bool, engine: str) -> list[str]:
    """The intents a session would act on from a countdown with "stop" said between numbers."""
    pcm, played = countdown_with_stop(stop_at=2.45)  # just after "Four." ends

    listener = Listener(
        FakeMicrophone(),
        make_recognizer(engine, default_catalog()),
        playback=RecordedPlayback(playbacks=played),
        cancel_echo=False,
        blank=[p.text for p in played] if gated else (),
    )
    for offset in range(0, len(pcm), 640):  # 20 ms chunks, as from the microphone
        listener.feed(pcm[offset : offset + 640], start=offset / 2 / 16_000)
    listener.feed(b"\0\0" * 16_000, start=len(pcm) / 2 / 16_000)
    matcher = IntentMatcher()
    acted = []
    while not listener.utterances.empty():
        u = listener.utterances.get()
        intent = matcher.match(u.text).intent if u.text else None
        verdict = judge(u.text, intent, u.start, u.end, unblanked(played, u.blanked))
        if verdict.accept and verdict.intent:
            acted.append(verdict.intent)
    return acted


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_between_countdown_numbers_is_acted_on_once_the_numbers_are_gated(engine):
    assert acted_on_in_countdown(gated=True, engine=engine) == ["stop"]


def test_without_the_gate_pocketsphinx_fuses_stop_with_the_numbers_and_loses_it():
    # Why the gate exists: the numbers' gaps are shorter than the endpointer's window.
    assert acted_on_in_countdown(gated=False, engine="pocketsphinx") == []


ECHO_DELAY = 0.12  # seconds from the speaker's clock to the microphone's: beyond the filter
COACH_VOICE, COACH_WPM = "gmw/en", 200  # the session's default voice and rate (audio_models/tts.py)
COACH_LINES = (
    "Place the ball between your spine and the right shoulder blade.",
    "Roll slowly up and down along the edge of the shoulder blade, and breathe out as you sink in.",
)


def coach_with_words_over_it(
    word: str, into: float = 1.5
) -> tuple[np.ndarray, np.ndarray, list[Playback]]:
    """(microphone, speaker signal, playbacks): two coach lines, ``word`` said over the second.

    The microphone hears the speaker late, quieter and with a short room tail, plus hiss. The
    coach's lines come from a fresh espeak-ng process, as the user's word does: the library
    the session speaks with (pyttsx3's espeak-ng, one per process) renders a sentence a little
    differently depending on what it rendered before, so this test's audio, and its outcome,
    depended on which tests had run before it in the same process.
    """
    rate = 16_000
    played, pieces, at = [], [], 0.5
    speaker = np.zeros(int(0.5 * rate))
    for text in COACH_LINES:
        voice = speech(text, COACH_VOICE, COACH_WPM).astype(np.float32) / 32768
        samples = np.frombuffer(to_recognizer_pcm(voice, ESPEAK_RATE), dtype=np.int16)
        pieces.append(samples.astype(np.float64))
        played.append(Playback(text, at, at + len(samples) / rate))
        at += len(samples) / rate + 0.8
        speaker = np.concatenate([speaker, samples, np.zeros(int(0.8 * rate))])
    speaker = np.concatenate([speaker, np.zeros(rate)])
    rng = np.random.default_rng(5)
    path = np.zeros(int(ECHO_DELAY * rate) + 400)
    path[int(ECHO_DELAY * rate)] = 0.7
    path[-300:] = rng.normal(0, 0.01, 300) * np.exp(-np.arange(300) / 60)
    mic = np.convolve(speaker, path)[: len(speaker)]
    user = speech(word, "en-us+m3").astype(np.float32)
    user = np.frombuffer(to_recognizer_pcm(user / 32768, ESPEAK_RATE), dtype=np.int16)
    begin = int((played[1].start + into) * rate)
    mic[begin : begin + len(user)] += user
    mic += rng.normal(0, 20, len(mic))
    return mic, speaker, played


def acted_on_over_the_coach(
    word: str, cancel_echo: bool, into: float = 1.5, engine: str = "pocketsphinx"
) -> list[str]:
    mic, speaker, played = coach_with_words_over_it(word, into)
    rate = 16_000

    listener = Listener(
        FakeMicrophone(),
        make_recognizer(engine, default_catalog()),
        playback=RecordedPlayback(speaker / 32768) if cancel_echo else None,
    )
    pcm = np.clip(mic, -32768, 32767).astype(np.int16).tobytes()
    for offset in range(0, len(pcm), 640):
        listener.feed(pcm[offset : offset + 640], start=offset / 2 / rate)
    listener.feed(b"\0\0" * rate, start=len(pcm) / 2 / rate)
    matcher = IntentMatcher()
    acted = []
    while not listener.utterances.empty():
        u = listener.utterances.get()
        intent = matcher.match(u.text).intent if u.text else None
        verdict = judge(u.text, intent, u.start, u.end, played, u.echo_cancelled)
        if verdict.accept and verdict.intent:  # as the voice session acts
            acted.append(verdict.intent)
    return acted


INTO_THE_LINE = (1.0, 2.0, 3.0, 3.5)  # seconds into the coach's sentence the word starts


# PocketSphinx only: Whisper (not yet the default) wrote espeak's "ouch" over the coach as
# "Out." in 1 to 2 of these 4 places from run to run (benchmarks/barge_in.py --engine whisper).
@pytest.mark.parametrize("engine", ["pocketsphinx"])
@pytest.mark.parametrize(("word", "intent"), [("stop", "stop"), ("ouch", "pain")])
def test_urgent_words_over_the_coachs_sentence_are_acted_on_with_echo_cancellation(
    word, intent, engine
):
    # The synthesizer's output varies a little from run to run, and one word can fall where
    # the recognizer fails it; the word at several places in the sentence gives a steady figure.
    acted = [acted_on_over_the_coach(word, True, into, engine) for into in INTO_THE_LINE]
    assert sum(got == [intent] for got in acted) >= 3, acted
    assert all(got in ([], [intent]) for got in acted), acted  # and nothing else is obeyed


def test_without_echo_cancellation_pocketsphinx_loses_the_word_in_the_coachs_voice():
    # Why the canceller exists: the recognizer makes nothing of the mixture.
    acted = [acted_on_over_the_coach("stop", False, into) for into in INTO_THE_LINE]
    assert sum(got == ["stop"] for got in acted) <= 1, acted
