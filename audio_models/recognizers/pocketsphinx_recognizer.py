"""PocketSphinx, the embedded default: the caller's phrases and sentences, with rejection.

- Nothing is written by hand: a phrase grammar is generated from the phrases (the intent
  catalog's commands) and a trigram language model from the sentences (the same commands as
  people wrap them, "could you go harder"), its unigrams mixed with common English words
  (``ngram.py`` here). A short utterance (one or two words) is decoded by the grammar, the
  stronger constraint there; a longer one by the language model, which follows free phrasing and
  lets chatter decode as other words, which the caller's matcher does not take. (On the TUNE
  split of benchmarks/accuracy.py the grammar alone accepted over half of the non-commands as
  commands; the language model alone misheard bare words such as "stop" as "start it".)
- Words missing from CMUdict get a pronunciation built from dictionary pieces ("unpause" =
  "un" + "pause"); a word that cannot be built drops its sentences rather than the whole model.
- Every utterance is also decoded by a free phone loop, which can match anything; when the
  grammar's or language model's best path scores far below the phone loop's per frame, the sound
  was not speech they know, and the utterance comes back rejected (text "", a low confidence).
- A result rejected by a little, in a quiet room, gets a second opinion: the other search (the
  language model for a short utterance, the grammar for a long one) decodes it too. Two searches
  under different constraints that hear the very same words are believed; a near miss with
  different words stays rejected.
- The endpointer (pocketsphinx's own VAD) cuts a continuous stream into utterances; each one is
  decoded whole when it ends, with its own feature normalisation, so results do not depend on
  earlier audio and ``reset`` only restarts the stream clock.
- The endpointer ends an utterance one frame after its voice detector's last speech frame, but
  only says so a window later. With ``live``, the audio up to that point is decoded as soon as
  the first quiet frame arrives, while the endpointer still waits; when it then ends the
  utterance at that very point, the decode is already done (the same audio, so the same result)
  and the reply is not held up by it. If the voice resumes, that decode is simply dropped.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from audio_models.errors import EngineUnavailable
from audio_models.recognizers import lm_cache, ngram
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.types import Transcript

# Per-frame log-score margins (grammar or language model minus phone loop, in pocketsphinx log
# units, language-model costs included) at which the confidence is 0.5. Chosen on the TUNE split
# of benchmarks/accuracy.py: correct short commands mostly sit above -6 and chatter forced onto
# the grammar below -9; through the language model, -14 let 3% of clean non-commands through,
# and each stricter step cost more commands than it saved (-12: 46% of commands, 2%).
REJECT_MARGIN = {"grammar": -7.5, "sentences": -14.0}
# In steady noise every margin rises (the phone loop fits noise worse than words do): on the
# TUNE split the language model's margins sat 10 units higher in pink noise at 10 dB, commands
# and chatter alike, and the clean threshold let 26% of non-commands through. So the language
# model's threshold moves from REJECT_MARGIN at NOISY_SNR[1] dB of speech over noise to
# NOISY_MARGIN at NOISY_SNR[0] (at -5 the TUNE split kept 39% of commands, let 8% through).
NOISY_MARGIN = -5.0
NOISY_SNR = (15.0, 30.0)  # dB: the utterance's loud frames over its quiet ones
# Utterances shorter than this (the endpointer's padding included) are one command word or two.
SHORT_UTTERANCE = 1.0  # seconds; chosen on the TUNE split (0.8 and 1.2 did worse)
MARGIN_SCALE = 2.0  # log units per step of the logistic: the confidence's slope
# How far below its threshold (in log units, so confidence >= 0.12) a result still gets the
# second opinion, which is asked in a quiet room only. In the live latency benchmark both searches
# heard espeak's "next spot" in 8 of 8 tries, but the grammar's margins (0.7 to 3.0 below the
# threshold) rejected 6. On the TUNE split 4 took clean commands from 53.0% to 54.8% at the same
# 2.3% false accepts (a wider band gained nothing); in pink noise the searches agreed on wrong
# words as often as on right ones (HELDOUT, pink 10 dB: 2 commands gained, 3 misheard, 2 more
# false accepts).
SECOND_OPINION_BAND = 4.0
MIN_PIECE = 2  # letters; single letters as pieces produce nonsense pronunciations
# Share of unigram probability the sentences' own words get; the rest goes to common English.
# Chosen on the TUNE split: 0.7 let more chatter through as commands, for no gain in accuracy.
DOMAIN_WEIGHT = 0.9
DITHER = 10.0  # sample units (of 32768)
# Gaussians per codebook that score each frame for the words (pocketsphinx's default is 4). On the
# TUNE split 8 took clean commands from 49% to 53% and pink-noise ones from 37% to 42%, at the
# same thresholds and false accepts, for 0.01 more real-time factor (16: +0.6 and +4.6 more points,
# but babble's real-time factor went from 0.21 to 0.36). The phone loop keeps 4: it only sets the
# rejection floor, and the thresholds were chosen with it.
WORD_TOPN = 8
# The reply waits for the endpointer to be sure: most of this window of non-speech after the
# voice. 0.2 s (not pocketsphinx's 0.3) takes 90 ms off every reply; commands are short and rarely
# pause inside. (A stricter voice detector would save more but mishears "stop" as "start it".)
ENDPOINT_WINDOW = 0.2  # seconds
# A command is a few words. Sound that never pauses (a radio, the coach's own voice) is cut into
# pieces this long, so the stream keeps producing results and memory stays bounded.
MAX_UTTERANCE = 5.0
RECENT_AUDIO = MAX_UTTERANCE + 1.0  # seconds of raw frames kept for decoding ahead


class PocketSphinxRecognizer:
    """Streaming recognizer over the pocketsphinx wheel's US English model.

    ``phrases`` make the grammar; ``sentences`` (the phrases, when not given) the language
    model: what the user is expected to say, in the words they would say it. A sentence given
    twice counts twice.
    """

    def __init__(
        self,
        phrases: Sequence[str],
        sentences: Sequence[str] | None = None,
        sample_rate: int = SAMPLE_RATE,
        live: bool = False,
    ) -> None:
        self.description = "PocketSphinx, its own US English model"
        # Pocketsphinx's en-us model is a 16 kHz model; callers convert with audio_models.pcm.
        if sample_rate != SAMPLE_RATE:
            raise EngineUnavailable(f"PocketSphinx takes {SAMPLE_RATE} Hz audio, not {sample_rate}")
        try:
            from pocketsphinx import Decoder, Endpointer, Vad, get_model_path
        except ImportError as error:
            raise EngineUnavailable(
                "PocketSphinx is not installed; run `make run` or "
                "`pip install pocketsphinx` in the project's environment."
            ) from error
        model = get_model_path()
        hmm = os.path.join(model, "en-us", "en-us")
        words = os.path.join(model, "en-us", "cmudict-en-us.dict")
        try:
            self._words = Decoder(hmm=hmm, dict=words, lm=None, topn=WORD_TOPN, loglevel="FATAL")
            self._phones = Decoder(
                hmm=hmm,
                dict=None,  # a phone loop needs no words; the dictionary costs 0.1 s to load
                allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                loglevel="FATAL",
            )
        except (RuntimeError, OSError, ValueError) as error:
            raise EngineUnavailable(
                f"The PocketSphinx model could not be loaded ({error}); "
                "reinstall it with `pip install --force-reinstall pocketsphinx`."
            ) from error
        self.phrases = list(dict.fromkeys(self._usable(phrases)))
        self.sentences = self._usable(phrases if sentences is None else sentences)
        if not self.phrases or not self.sentences:
            raise EngineUnavailable("No phrase could be turned into a PocketSphinx grammar.")
        self._words.add_jsgf_string("grammar", jsgf(self.phrases))
        self._load_language_model()
        self._new_endpointer = lambda: Endpointer(window=ENDPOINT_WINDOW)
        # The detector the endpointer runs inside (same mode, same frames), without its delay.
        self._vad = Vad()
        self._live = live
        self.decoded_ahead = 0  # utterances whose result was ready when the endpointer ended them
        self._decoding = False
        self.reset()

    def reset(self) -> None:
        """Start a new stream (a new file): clock at zero, no utterance in progress."""
        self._endpointer = self._new_endpointer()  # its clock restarts at zero
        self._frame_bytes = self._endpointer.frame_bytes
        self._buffer = b""
        self._start = 0.0
        self._utterance = bytearray()
        self._decoding = False
        self._cut: float | None = None  # where a too-long utterance was cut, if it was
        self._frames = 0  # frames fed since the reset
        self._recent: deque[bytes] = deque(maxlen=int(RECENT_AUDIO / self._frame_seconds()))
        self._was_speech = False
        self._early: tuple[float, float, Transcript] | None = None  # (start, end, result)

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz mono s16le audio of any length; return utterances that ended in it."""
        self._buffer += pcm
        out: list[Transcript] = []
        while len(self._buffer) >= self._frame_bytes:
            frame, self._buffer = (
                self._buffer[: self._frame_bytes],
                self._buffer[self._frame_bytes :],
            )
            speech = self._endpointer.process(frame)
            out.extend(self._step(speech))
            if self._live:
                self._decode_ahead(frame)
        return out

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """Ignored: the language model is built once, from the commands and the coach's lines."""

    def flush(self) -> list[Transcript]:
        """End of stream: finish the utterance in progress, if any."""
        tail = self._buffer + b"\0" * (self._frame_bytes - len(self._buffer))
        self._buffer = b""
        speech = self._endpointer.end_stream(tail)
        out = self._step(speech)
        if self._decoding:
            out.append(self._finish(self._endpointer.speech_end))
        return out

    # ----------------------------------------------------------------- decoding

    def _step(self, speech: bytes | None) -> list[Transcript]:
        if speech is None:
            return []
        if not self._decoding:
            self._start = self._endpointer.speech_start if self._cut is None else self._cut
            self._cut = None
            self._decoding = True
        self._utterance += speech
        if not self._endpointer.in_speech:
            return [self._finish(self._endpointer.speech_end)]
        length = len(self._utterance) / (2 * SAMPLE_RATE)
        if length >= MAX_UTTERANCE:
            self._cut = self._start + length
            return [self._finish(self._cut)]
        return []

    def _frame_seconds(self) -> float:
        return self._endpointer.frame_length

    def _decode_ahead(self, frame: bytes) -> None:
        """On the first quiet frame of an utterance, decode it as the endpointer would end it."""
        self._recent.append(frame)
        self._frames += 1
        speech = self._vad.is_speech(frame)
        if self._decoding and self._was_speech and not speech:
            # The endpointer's speech_end: one frame past its detector's last speech frame.
            end = self._frames * self._frame_seconds()
            length = round((end - self._start) / self._frame_seconds())
            if 0 < length <= len(self._recent):
                audio = b"".join(list(self._recent)[-length:])
                self._early = (self._start, end, self._recognize(audio, self._start, end))
        self._was_speech = speech

    def _finish(self, end: float) -> Transcript:
        utterance, self._utterance = bytes(self._utterance), bytearray()
        self._decoding = False
        early, self._early = self._early, None
        if (
            early is not None
            and math.isclose(early[0], self._start)
            and math.isclose(early[1], end)
        ):
            self.decoded_ahead += 1
            return replace(early[2], start=self._start, end=end)
        return self._recognize(utterance, self._start, end)

    def _recognize(self, pcm: bytes, start: float, end: float) -> Transcript:
        audio = _dither(pcm)
        phones, _ = self._decode(self._phones, audio)
        if phones is None:
            return Transcript("", 0.0, start, end)
        floor = _log(self._phones, phones.score)
        low, high = NOISY_SNR
        noisy = min(1.0, max(0.0, (high - signal_to_noise(pcm)) / (high - low)))
        first = "grammar" if end - start < SHORT_UTTERANCE else "sentences"
        text, confidence, short_of = self._search(first, audio, floor, noisy)
        if text and confidence < 0.5 and short_of <= SECOND_OPINION_BAND and noisy < 0.5:
            other = "sentences" if first == "grammar" else "grammar"
            again, second, _ = self._search(other, audio, floor, noisy)
            if again == text:
                confidence = max(0.5, second)
        return Transcript(text if confidence >= 0.5 else "", round(confidence, 3), start, end)

    def _search(
        self, search: str, audio: bytes, floor: float, noisy: float
    ) -> tuple[str, float, float]:
        """(words, confidence, log units short of the threshold) of one search over the audio."""
        if self._words.current_search() != search:
            self._words.activate_search(search)
        best, frames = self._decode(self._words, audio)
        if best is None or not best.hypstr:
            return "", 0.0, math.inf
        margin = (_log(self._words, best.score) - floor) / frames
        needed = REJECT_MARGIN[search]
        if search == "sentences":
            needed += noisy * (NOISY_MARGIN - needed)
        confidence = 1.0 / (1.0 + math.exp(-(margin - needed) / MARGIN_SCALE))
        return best.hypstr, confidence, needed - margin

    @staticmethod
    def _decode(decoder: Any, audio: bytes) -> tuple[Any, int]:  # (Hypothesis | None, frames)
        # Whole-utterance decoding normalises the features over the utterance itself (batch
        # CMN), so a result never depends on what was heard before it; an utterance is at most
        # a few seconds, decoded in tens of milliseconds. The noise remover also learns across
        # utterances; a fresh front end keeps every utterance independent.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(audio, False, True)
        decoder.end_utt()
        return decoder.hyp(), max(1, decoder.n_frames())

    # ----------------------------------------------------------------- language model

    def _load_language_model(self) -> None:
        words = common_words()
        key = [
            "arpa-1",  # bump when audio_models/recognizers/ngram.py changes what it writes
            repr(DOMAIN_WEIGHT),
            "\n".join(self.sentences),
            "\n".join(f"{w} {p}" for w, p in words.items()),
        ]
        lm_cache.language_model_file(
            key,
            lambda: ngram.arpa((s.split() for s in self.sentences), words, DOMAIN_WEIGHT),
            lambda path: self._words.add_lm_file("sentences", path),
        )
        self._words.activate_search("sentences")

    def _usable(self, phrases: Sequence[str]) -> list[str]:
        lookup = self._words.lookup_word
        usable: list[str] = []  # repeats kept: a sentence given twice counts twice
        added: dict[str, bool] = {}
        for phrase in phrases:
            tokens = phrase.lower().split()
            for word in tokens:
                if word not in added:
                    added[word] = lookup(word) is not None or self._add_pronunciation(word)
            if tokens and all(added[w] for w in tokens):
                usable.append(" ".join(tokens))
        return usable

    def _add_pronunciation(self, word: str) -> bool:
        phones = pronounce_from_pieces(word, self._words.lookup_word)
        if phones is None:
            return False
        self._words.add_word(word, phones, True)
        return True


def pronounce_from_pieces(word: str, lookup: Callable[[str], str | None]) -> str | None:
    """A pronunciation for an out-of-dictionary word from the fewest dictionary pieces."""

    @cache
    def best(start: int) -> tuple[int, str] | None:
        if start == len(word):
            return (0, "")
        options = []
        for end in range(len(word), start + MIN_PIECE - 1, -1):
            phones = lookup(word[start:end])
            rest = best(end) if phones else None
            if phones and rest is not None:
                options.append((rest[0] + 1, f"{phones} {rest[1]}".strip()))
        return min(options, default=None)

    found = best(0)
    return found[1] if found else None


def jsgf(phrases: Sequence[str]) -> str:
    """A JSGF grammar whose one public rule is any of the phrases."""
    body = " |\n  ".join(phrases)
    return f"#JSGF V1.0;\ngrammar commands;\npublic <command> =\n  {body} ;\n"


@cache
def common_words() -> dict[str, float]:
    """Common English words and their relative frequencies (audio_models/data/common-words.txt)."""
    text = resources.files("audio_models").joinpath("data/common-words.txt").read_text("utf-8")
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, log10_probability = line.split("\t")
            out[word] = 10.0 ** float(log10_probability)
    return out


def signal_to_noise(pcm: bytes) -> float:
    """A rough speech-over-noise ratio of one utterance, in dB: its loud 10 ms frames (the
    90th percentile of their energy) over its quiet ones (the 10th: pauses between words)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = len(samples) // 160
    if frames < 10:
        return 99.0  # too short to tell; treat as clean
    energy = np.mean(samples[: frames * 160].reshape(frames, 160) ** 2, axis=1)
    decibels = 10.0 * np.log10(energy + 1.0)
    return float(np.percentile(decibels, 90) - np.percentile(decibels, 10))


def _dither(audio: bytes) -> bytes:
    """Add a faint, fixed noise floor (about -70 dBFS).

    Files often hold stretches of exact digital zeros, which no microphone produces; the front
    end's log energies and noise estimate go wrong on them and short words ("stop") get
    rejected. A seeded floor keeps results reproducible.
    """
    samples = np.frombuffer(audio, dtype="<i2").astype(np.float32)
    samples += np.random.default_rng(0).normal(0.0, DITHER, len(samples)).astype(np.float32)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _log(decoder: Any, probability: float) -> float:
    # Hypothesis scores come back through logmath.exp; take them back to the log domain.
    if probability <= 0:
        return -1e9
    return float(decoder.get_logmath().log(probability))
