"""PocketSphinx, the embedded default: a grammar of the caller's phrases, with rejection.

- The grammar is generated from the phrase list it is given (the intent catalog's), never by hand.
- Words missing from CMUdict get a pronunciation built from dictionary pieces ("unpause" =
  "un" + "pause"); a word that cannot be built drops its phrases rather than the whole grammar.
- A grammar maps any sound to its nearest phrase, coughs and chatter included. So every utterance
  is also decoded by a free phone loop, which can match anything; when the grammar's best path
  scores far below the phone loop's per frame, the speech was not one of the phrases, and the
  utterance comes back rejected (text "", the score as a low confidence).
- The endpointer (pocketsphinx's own VAD) cuts a continuous stream into utterances; each one is
  decoded whole when it ends, with its own feature normalisation, so results do not depend on
  earlier audio and ``reset`` only restarts the stream clock.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import cache

import numpy as np

from audio_models.errors import EngineUnavailable
from audio_models.recognizer import SAMPLE_RATE, Transcript

# Per-frame log-score margin (grammar minus phone loop, in pocketsphinx log units) at which the
# confidence is 0.5; measured on espeak-ng speech, where correct commands mostly sit above -6 and
# chatter forced onto the grammar mostly below -9 (see benchmarks/accuracy.py).
REJECT_MARGIN = -7.5
MARGIN_SCALE = 2.0  # log units per step of the logistic: the confidence's slope
MIN_PIECE = 2  # letters; single letters as pieces produce nonsense pronunciations
DITHER = 10.0  # sample units (of 32768)
ENDPOINT_WINDOW = 0.3  # seconds of non-speech that end an utterance
# A command is a few words. Sound that never pauses (a radio, the coach's own voice) is cut into
# pieces this long, so the stream keeps producing results and memory stays bounded.
MAX_UTTERANCE = 5.0


class PocketSphinxRecognizer:
    """Streaming grammar recognizer over the pocketsphinx wheel's US English model."""

    def __init__(self, phrases: Sequence[str], sample_rate: int = SAMPLE_RATE) -> None:
        # Pocketsphinx's en-us model is a 16 kHz model; callers convert with audio_models.pcm.
        if sample_rate != SAMPLE_RATE:
            raise EngineUnavailable(f"PocketSphinx takes {SAMPLE_RATE} Hz audio, not {sample_rate}")
        try:
            from pocketsphinx import Decoder, Endpointer, get_model_path
        except ImportError as error:
            raise EngineUnavailable(
                "PocketSphinx is not installed; run `make run` or "
                "`pip install pocketsphinx` in the project's environment."
            ) from error
        model = get_model_path()
        hmm = os.path.join(model, "en-us", "en-us")
        words = os.path.join(model, "en-us", "cmudict-en-us.dict")
        try:
            self._grammar = Decoder(hmm=hmm, dict=words, lm=None, loglevel="FATAL")
            self._phones = Decoder(
                hmm=hmm,
                dict=words,
                allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                loglevel="FATAL",
            )
        except (RuntimeError, OSError, ValueError) as error:
            raise EngineUnavailable(
                f"The PocketSphinx model could not be loaded ({error}); "
                "reinstall it with `pip install --force-reinstall pocketsphinx`."
            ) from error
        self.phrases = self._usable_phrases(phrases)
        if not self.phrases:
            raise EngineUnavailable("No phrase could be turned into a PocketSphinx grammar.")
        self._grammar.add_jsgf_string("commands", jsgf(self.phrases))
        self._grammar.activate_search("commands")
        self._new_endpointer = lambda: Endpointer(window=ENDPOINT_WINDOW)
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
        return out

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

    def _finish(self, end: float) -> Transcript:
        audio, self._utterance = _dither(bytes(self._utterance)), bytearray()
        self._decoding = False
        grammar, frames = self._decode(self._grammar, audio)
        phones, _ = self._decode(self._phones, audio)
        if grammar is None or not grammar.hypstr or phones is None:
            return Transcript("", 0.0, self._start, end)
        margin = (_log(self._grammar, grammar.score) - _log(self._phones, phones.score)) / frames
        confidence = 1.0 / (1.0 + math.exp(-(margin - REJECT_MARGIN) / MARGIN_SCALE))
        text = grammar.hypstr if confidence >= 0.5 else ""
        return Transcript(text, round(confidence, 3), self._start, end)

    @staticmethod
    def _decode(decoder, audio: bytes):
        # Whole-utterance decoding normalises the features over the utterance itself (batch
        # CMN), so a result never depends on what was heard before it; an utterance is at most
        # a few seconds, decoded in tens of milliseconds. The noise remover also learns across
        # utterances; a fresh front end keeps every utterance independent.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(audio, False, True)
        decoder.end_utt()
        return decoder.hyp(), max(1, decoder.n_frames())

    # ----------------------------------------------------------------- grammar

    def _usable_phrases(self, phrases: Sequence[str]) -> list[str]:
        lookup = self._grammar.lookup_word
        usable: dict[str, None] = {}
        added: dict[str, bool] = {}
        for phrase in phrases:
            tokens = phrase.lower().split()
            for word in tokens:
                if word not in added:
                    added[word] = lookup(word) is not None or self._add_pronunciation(word)
            if tokens and all(added[w] for w in tokens):
                usable[" ".join(tokens)] = None
        return list(usable)

    def _add_pronunciation(self, word: str) -> bool:
        phones = pronounce_from_pieces(word, self._grammar.lookup_word)
        if phones is None:
            return False
        self._grammar.add_word(word, phones, True)
        return True


def pronounce_from_pieces(word: str, lookup) -> str | None:
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


def _dither(audio: bytes) -> bytes:
    """Add a faint, fixed noise floor (about -70 dBFS).

    Files often hold stretches of exact digital zeros, which no microphone produces; the front
    end's log energies and noise estimate go wrong on them and short words ("stop") get
    rejected. A seeded floor keeps results reproducible.
    """
    samples = np.frombuffer(audio, dtype="<i2").astype(np.float32)
    samples += np.random.default_rng(0).normal(0.0, DITHER, len(samples)).astype(np.float32)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _log(decoder, probability: float) -> float:
    # Hypothesis scores come back through logmath.exp; take them back to the log domain.
    if probability <= 0:
        return -1e9
    return float(decoder.get_logmath().log(probability))
