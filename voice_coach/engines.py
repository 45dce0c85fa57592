"""Chooses and builds the speech recognizer: PocketSphinx by default, Vosk when it has a model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from audio_models.errors import ModelError
from audio_models.recognizer import Recognizer

ENGINES = ("auto", "pocketsphinx", "vosk")
MODEL_VARIABLE = "VOICE_COACH_VOSK_MODEL"


def vosk_model_path(explicit: str | None) -> Path | None:
    """The Vosk model to use: ``--model``, then ``$VOICE_COACH_VOSK_MODEL``, else none."""
    chosen = explicit or os.environ.get(MODEL_VARIABLE)
    return Path(chosen).expanduser() if chosen else None


def make_recognizer(engine: str, phrases: Sequence[str], model: str | None = None) -> Recognizer:
    """A recognizer restricted to ``phrases``; ``auto`` picks Vosk only when a model is given."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    path = vosk_model_path(model)
    if engine == "auto":
        engine = "vosk" if path is not None else "pocketsphinx"
    if engine == "vosk":
        if path is None:
            raise ModelError(
                "The Vosk engine needs a model: pass `--model PATH` or set "
                f"{MODEL_VARIABLE} to an unpacked Vosk model folder."
            )
        from audio_models.vosk_recognizer import VoskRecognizer

        return VoskRecognizer(path, phrases)
    from audio_models.pocketsphinx_recognizer import PocketSphinxRecognizer

    return PocketSphinxRecognizer(phrases)
