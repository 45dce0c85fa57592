"""The development set for benchmarks/accuracy.py: espeak-ng speech made at run time, not committed.

Every intent in many natural phrasings written here (not copied from the catalog: fillers, polite
openings, "a bit"), plus non-commands (everyday chatter and the coach's own cues), spoken by several
espeak-ng voices at several rates, in three conditions: clean, pink noise at 10 dB SNR, and babble
(several other voices talking) at 5 dB SNR. Two disjoint splits, TUNE and HELDOUT, differ in both
phrasings and voices, so thresholds tuned on one are tested on speech they never saw.

Speech is cached in ``.benchmarks-cache/`` (gitignored); the noise is mixed at load time from fixed
seeds, so every run decodes the same samples. Run this file to build the cache and print its size.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_models.pcm import resample

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".benchmarks-cache" / "devset"
RATE = 16_000
SPLITS = ("tune", "heldout")
CONDITIONS = ("clean", "pink 10 dB", "babble 5 dB")
SNR_DB = {"clean": None, "pink 10 dB": 10.0, "babble 5 dB": 5.0}
LEAD_IN, TAIL = 0.7, 0.9  # seconds of room around each utterance
BABBLE_TALKERS = 5

# Disjoint voices per split: accents (-v language) crossed with espeak-ng's voice variants.
VOICES = {
    "tune": ("en-us", "en-gb-x-rp+m3", "en-029+f2", "en-us+klatt2", "en-gb-x-gbclan+f4"),
    "heldout": ("en-gb-scotland", "en-us+f3", "en+m7", "en-us-nyc+klatt4", "en-gb-x-gbcwmd+f1"),
}
RATES = (135, 165, 195)  # words per minute: unhurried, espeak's usual pace, quick
TAKES = 3  # each sentence is spoken by this many voice/rate pairs of its split
BABBLE_VOICES = ("en-us+m2", "en+f5", "en-gb-x-rp+m6", "en-029+m1", "en-us+f4", "en+klatt3")

# People talking to a coach: fillers, polite openings, "a bit", not the catalog's wording.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "start": (
        "okay let's get this going", "I'm ready, let's begin", "go ahead and start",
        "alright, start the massage please", "can we start now", "let's do it",
        "start whenever you like", "um okay, start", "begin please", "let's kick things off",
        "yeah let's start", "ready, go", "please begin the session", "I'm all set, let's go",
        "could you start the routine", "okay I'm ready now", "let's get going then",
        "start the workout please", "let's begin the program", "alright let's get started",
    ),
    "harder": (
        "a little bit harder please", "can you press harder", "harder please",
        "could you go a bit deeper", "more pressure please", "um, push a little harder",
        "I need more pressure", "it's too soft", "press in a bit more", "make it stronger",
        "go harder on this one", "can you dig in deeper", "that's way too light",
        "a bit firmer please", "more, please", "okay go a little harder",
        "I can take a lot more", "yeah, deeper", "increase the pressure a bit",
        "harder, harder",
    ),
    "softer": (
        "a bit softer please", "that's too hard", "ease off a little", "can you go lighter",
        "less pressure please", "gentler please", "um that's a bit too much",
        "not so hard please", "could you press a little softer", "take it easy on me",
        "back off a bit", "lighter, please", "too strong", "reduce the pressure",
        "that's too intense", "go easier on this spot", "a little less please", "okay, softer",
        "ease up a bit", "can you lower the pressure",
    ),
    "next_spot": (
        "next spot please", "let's move on", "can we go to the next one", "skip this one",
        "okay next", "move on to the next area", "let's try a different spot",
        "I'm done with this spot", "next one please", "skip it please", "can we change the spot",
        "move to the next position", "let's go to another spot", "next area", "um, next please",
        "we can move on now", "okay, move the ball", "let's skip this spot",
        "on to the next one", "next point please",
    ),
    "stretch": (
        "let's stretch", "can we do a stretch", "time for a stretch", "I need to stretch",
        "stretch break please", "I want to stretch my back", "let me stretch for a bit",
        "can I stretch now", "stretch please", "okay let's do a stretch",
        "I'd like to stretch my shoulders", "give me a quick stretch", "let's stretch it out",
        "stretch time", "um, can we stretch", "I need a stretch break",
        "let's do some arm circles", "stretch my neck", "let's take a stretch break",
        "I want to stretch now",
    ),
    "pause": (
        "hold on a second", "wait a moment", "pause please", "can you pause", "hang on",
        "wait, wait", "give me a second", "pause the timer", "just a minute", "hold on please",
        "one sec", "can we take a break", "um, hang on a sec", "pause for a moment",
        "wait a second please", "stop the clock", "freeze the timer", "hold it right there",
        "pause it", "time out please",
    ),
    "resume": (
        "okay, continue", "let's keep going", "resume please", "I'm back", "carry on",
        "you can continue", "go on please", "let's continue", "resume the timer",
        "okay I'm back, continue", "keep going please", "let's carry on",
        "continue the session", "alright, resume", "we can keep going", "continue please",
        "okay, unpause", "start the timer again", "let's pick up where we left off",
        "back again, continue",
    ),
    "repeat": (
        "can you repeat that", "say that again please", "what did you say",
        "sorry, what was that", "repeat please", "I didn't catch that",
        "could you say it again", "pardon", "come again", "once more please",
        "I didn't hear that", "repeat the instruction", "what was that again",
        "sorry, can you repeat", "say again please", "sorry, what?",
        "could you repeat the last one", "what was the last instruction", "repeat that please",
        "pardon me",
    ),
    "stop": (
        "stop please", "okay that's enough", "I'm done", "let's stop", "end the session",
        "that's it for today", "stop the massage", "I want to stop", "quit", "we're finished",
        "let's end it here", "okay, stop now", "I'm done for today", "finish the session",
        "stop everything", "that's enough for today", "alright, we're done", "let's quit",
        "end the workout", "goodbye, I'm done",
    ),
    "help": (
        "help", "what can I say", "I need help", "what are my options",
        "what commands are there", "help me please", "how does this work", "what do I do",
        "tell me the commands", "um, help", "what can I do", "list the commands",
        "show me the commands", "what are the options", "I'm lost", "what do I say",
        "help please", "can you help me", "what are the commands", "instructions please",
    ),
    "pain": (
        "ouch", "ow, that hurts", "that really hurts", "ouch, stop", "it hurts", "sharp pain",
        "ow ow ow", "my arm is numb", "that's painful", "I'm in pain", "ouch, that's sharp",
        "my fingers are tingling", "that stings", "it burns", "ow", "that hurts a lot",
        "I feel a sharp pain", "shooting pain", "my hand feels numb", "ouch, too much",
    ),
}  # fmt: skip

NON_COMMANDS: tuple[str, ...] = (
    # The coach's own cues, counting included.
    "Place the ball between your spine and your left shoulder blade", "Take a deep breath",
    "Ten, nine, eight", "Five.", "Hold here for twenty seconds", "Halfway there",
    "Lean into the wall", "Roll slowly up and down", "Release and step away from the wall",
    "Breathe out slowly", "Three, two, one", "Seven.", "Fifteen seconds left",
    "Keep your shoulders relaxed", "Let your head drop forward", "Now switch to the right side",
    "Stand with your feet apart", "Good job, that was great", "Relax your jaw",
    "Find a tender point near your shoulder", "Twenty seconds", "Four.", "Nice and slow",
    "Bend your knees slightly", "Put the ball on the floor", "Exhale and let go",
    "Eight, seven, six", "Well done", "Rest your arms at your sides", "Thirty seconds to go",
    "Keep breathing", "Tuck your chin slightly", "Shift your weight to the left",
    "Six.", "Almost there", "Twelve, eleven",
    # Everyday chatter and questions.
    "What time is it", "I had pasta for lunch", "The weather is nice today",
    "Did you feed the cat", "My phone is ringing", "I'll call you back later",
    "Where did I put my keys", "The kids are at school", "Turn on the kitchen lights",
    "What's for dinner tonight", "I think it's going to rain", "Can you hear the music",
    "My favorite color is blue", "We should buy some milk", "The train was late this morning",
    "I like this song", "How was your day", "Someone is at the door", "I'm so tired today",
    "Let me check my email", "Did you watch the game last night", "The coffee is too hot",
    "I need to water the plants", "My sister lives in Boston", "This chair is comfortable",
    "Honey, where's the remote", "I'm going to make some tea", "That movie was really good",
    "Tomorrow is Saturday", "The dog wants to go outside", "Do you want a sandwich",
    "It's cold in here", "I forgot my wallet", "Look at that bird", "Let's order pizza",
    "What's on TV tonight", "The meeting starts at ten", "I can't find my glasses",
    "Please close the window", "Hi, how are you", "Nice to meet you", "Yes, I think so",
    "No, not really", "Maybe later", "Hmm, interesting", "My mother is visiting next week",
    "The car needs new tires", "Who wants ice cream", "I left the oven on",
    "That's a lovely picture", "We ran out of bread",
)  # fmt: skip

# Background talkers for babble: unrelated chatter, none of it a command.
BABBLE_TEXTS: tuple[str, ...] = (
    "so then she told me the bus was late again and we all had to walk to the office",
    "I really think the garden looks better with the roses near the fence by the gate",
    "my cousin bought a new car last month and it already makes a funny noise",
    "the museum opens at nine on weekdays but the cafe inside opens a little later",
    "we watched a documentary about penguins and their long winter in the ice",
    "can you believe the price of apples at the market this week was so high",
    "the neighbors are painting their house yellow with a bright blue door",
    "after dinner we played cards until midnight and nobody wanted to go home",
    "the library has a new section for children with colorful books and games",
    "he said the flight was delayed because of fog over the mountains all morning",
    "our teacher explained the history of the old bridge across the river",
    "they opened a bakery on the corner and the bread smells wonderful every day",
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One spoken sentence of the set: what is said, by whom, and what it means."""

    split: str
    text: str
    intent: str | None  # None: not a command, must be rejected
    voice: str
    rate: int

    @property
    def key(self) -> str:
        return _key(self.text, self.voice, self.rate)


# Numbness became its own intent after these were recorded under pain; relabelled in place, so
# every sentence keeps the voice and rate it had (figures stay comparable with earlier runs).
RELABELLED = {
    "my arm is numb": "numbness",
    "my fingers are tingling": "numbness",
    "my hand feels numb": "numbness",
}


def sentences(split: str) -> list[tuple[str, str | None]]:
    """(text, intent) pairs of a split: alternate phrasings of each list go to each split."""
    parity = SPLITS.index(split)
    out = [
        (text, RELABELLED.get(text, intent))
        for intent, texts in PHRASINGS.items()
        for i, text in enumerate(texts)
        if i % 2 == parity
    ]
    return out + [(text, None) for i, text in enumerate(NON_COMMANDS) if i % 2 == parity]


def items(split: str, quick: bool = False) -> list[Item]:
    """Every utterance of a split; ``quick`` keeps one take of every third sentence."""
    voices, out = VOICES[split], []
    pairs = [(v, r) for r in RATES for v in voices]
    for n, (text, intent) in enumerate(sentences(split)):
        if quick and n % 3:
            continue
        for take in range(1 if quick else TAKES):
            # Rotate through voice/rate pairs so each sentence meets different voices.
            voice, rate = pairs[(n * TAKES + take * 7) % len(pairs)]
            out.append(Item(split, text, intent, voice, rate))
    return out


def build(all_items: list[Item], jobs: int = 4) -> None:
    """Synthesise (once) every utterance and the babble talkers into the cache."""
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed; run `make test` (it installs it) first.")
    needed = {(i.text, i.voice, i.rate) for i in all_items}
    needed |= {(t, v, 170) for t in BABBLE_TEXTS for v in BABBLE_VOICES}
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda args: _speech(*args), sorted(needed)))


def audio(item: Item, condition: str) -> np.ndarray:
    """The utterance as 16 kHz mono int16, padded with room, in the given noise condition."""
    seed = int(hashlib.sha1(f"{item.key}/{condition}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    voice = _speech(item.text, item.voice, item.rate)
    voice = voice * (10 ** (rng.uniform(-24, -14) / 20) / _rms(voice))  # speakers differ in level
    signal = np.concatenate([np.zeros(int(LEAD_IN * RATE)), voice, np.zeros(int(TAIL * RATE))])
    snr = SNR_DB[condition]
    if snr is not None:
        noise = (
            pink_noise(len(signal), rng) if condition.startswith("pink") else _babble(signal, rng)
        )
        signal = signal + noise * (_rms(voice) / _rms(noise) / 10 ** (snr / 20))
    signal = signal + rng.normal(0, 10**-3.5, len(signal))  # a microphone's own hiss, -70 dB
    signal = signal / max(1.0, np.abs(signal).max() / 0.99)
    return np.round(signal * 32767).astype(np.int16)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f power) noise: white noise shaped by 1/sqrt(f) in the frequency domain."""
    spectrum = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spectrum /= np.sqrt(np.maximum(f, 20.0))  # flat below 20 Hz: no DC drift
    return np.fft.irfft(spectrum, n)


def _babble(signal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Several background talkers, each looped from a random point, summed."""
    mix = np.zeros(len(signal))
    for _ in range(BABBLE_TALKERS):
        text = BABBLE_TEXTS[rng.integers(len(BABBLE_TEXTS))]
        talker = _speech(text, BABBLE_VOICES[rng.integers(len(BABBLE_VOICES))], 170)
        talker = talker / _rms(talker) * 10 ** (rng.uniform(-3, 3) / 20)
        looped = np.tile(talker, len(signal) // len(talker) + 2)
        offset = rng.integers(len(talker))
        mix += looped[offset : offset + len(signal)]
    return mix


def _speech(text: str, voice: str, rate: int) -> np.ndarray:
    path = CACHE / f"{_key(text, voice, rate)}.npy"
    if path.exists():
        return np.load(path)
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    rate_hz = int.from_bytes(wav[24:28], "little")
    samples = np.frombuffer(wav[44:], dtype="<i2").astype(np.float32) / 32768.0
    trimmed = _trim(resample(samples, rate_hz, RATE))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), trimmed)
    path.with_suffix(".tmp.npy").replace(path)
    return trimmed


def _trim(samples: np.ndarray) -> np.ndarray:
    """Cut espeak-ng's own leading and trailing silence, so the padding is what we say it is."""
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if len(loud) == 0:
        return samples
    return samples[max(0, loud[0] - 160) : loud[-1] + 160].astype(np.float64)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) or 1e-9


def _key(text: str, voice: str, rate: int) -> str:
    return hashlib.sha1(f"{text}|{voice}|{rate}".encode()).hexdigest()[:16]


def main() -> int:
    for split in SPLITS:
        got = items(split)
        build(got)
        commands = sum(1 for i in got if i.intent)
        seconds = sum(len(audio(i, "clean")) for i in got) / RATE
        print(
            f"{split}: {len(got)} utterances ({commands} commands, {len(got) - commands} "
            f"non-commands), {seconds / 60:.1f} min per condition, "
            f"voices {', '.join(VOICES[split])}"
        )
    print(f"cached in {CACHE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
