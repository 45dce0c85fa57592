"""Vosk (Kaldi) recognizer restricted to the caller's phrases, with ``[unk]`` for anything else.

- The model is only ever loaded from a folder: ``vosk.Model(lang=...)`` downloads and can
  ``sys.exit`` the process, so it is never called.
- Vosk drops a grammar word missing from the model's vocabulary with nothing but a warning on
  stderr, which would turn "unpause now" into "now". So phrases are checked word by word against
  the model first, and a phrase with an unknown word is left out whole (listed in ``dropped``).
- A failed load raises a bare "Failed to create a model"; the real reason is a line Kaldi writes
  to the C-level stderr, which is captured while loading and put into the ModelError.
- Speech that is not a command comes out as ``[unk]``; such an utterance is reported as a final
  transcript with text "" and confidence 0, as every engine does.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from audio_models.errors import EngineUnavailable, ModelError
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.recognizers.vosk_results import (
    UNKNOWN,
    build_grammar,
    grammar_json,
    parse_partial,
    parse_result,
)
from audio_models.types import Transcript

INSTALL_HINT = (
    "install one with `voice-coach models install vosk-model-small-en-us-0.15` "
    "or pass `--model PATH` to an unpacked Vosk model folder"
)
# Audio since the last endpoint that a grammar change feeds to the new recognizer again: an
# answer under way when the question's answers arrive. Kaldi ends an utterance well before this.
MAX_REPLAY_BYTES = 2 * SAMPLE_RATE * 20
# "ERROR (VoskAPI:Model():model.cc:122) message": severity, then (library:function():file:line).
_KALDI_PREFIX = re.compile(r"^[A-Z_]+(?:\[\d+\])? \(\S*?:\d+\) ?")


class KaldiLike(Protocol):
    """The part of ``vosk.KaldiRecognizer`` this adapter uses."""

    def AcceptWaveform(self, data: bytes) -> int: ...
    def Result(self) -> str: ...
    def PartialResult(self) -> str: ...
    def FinalResult(self) -> str: ...


# ---------------------------------------------------------------------- loading


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Collect what C code writes to file descriptor 2 while the block runs.

    The list is filled when the block exits. The redirect is process-wide, so it is held only
    around the model and grammar loads.
    """
    lines: list[str] = []
    if sys.stderr is not None:
        sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a daemon): nothing to capture, nothing to hide
            yield lines
            return
        try:
            os.dup2(sink.fileno(), 2)
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace")
            lines.extend(line for line in text.splitlines() if line.strip())


def kaldi_reason(lines: Sequence[str]) -> str:
    """The last error Kaldi printed, without its source-location prefix and unprintables."""
    errors = [line for line in lines if line.startswith(("ERROR", "ASSERTION_FAILED"))]
    if not errors:
        return "no reason given"
    reason = _KALDI_PREFIX.sub("", errors[-1]).strip().rstrip(".")  # the sentence goes on
    reason = "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in reason)
    return reason if len(reason) <= 200 else reason[:197] + "..."


def load_model(path: Path) -> Any:
    """A ``vosk.Model`` from a model folder, or a ModelError saying why not and what to do."""
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise ModelError(f"The Vosk model folder {path} {what}; {INSTALL_HINT}.")
    vosk = _vosk()
    with captured_stderr() as lines:
        try:
            model = vosk.Model(str(path))
        except Exception:  # vosk raises a bare Exception("Failed to create a model")
            model = None
    if model is None:
        raise ModelError(
            f"The Vosk model in {path} could not be loaded ({kaldi_reason(lines)}); {INSTALL_HINT}."
        )
    return model


def _vosk() -> Any:
    try:
        import vosk
    except (ImportError, OSError) as error:  # OSError: libvosk.so itself failed to load
        raise EngineUnavailable(
            "Vosk is not installed; run `pip install vosk` in the project's environment "
            "or use `--engine pocketsphinx`."
        ) from error
    vosk.SetLogLevel(-1)  # errors still reach stderr, where load_model captures them
    return vosk


# ---------------------------------------------------------------------- the recognizer


class VoskRecognizer:
    """Streaming grammar recognizer over a Vosk model folder."""

    def __init__(
        self, model_path: Path, phrases: Sequence[str], sample_rate: int = SAMPLE_RATE
    ) -> None:
        path = Path(model_path)
        model = load_model(path)
        vosk = _vosk()

        def new_recognizer(grammar: str) -> KaldiLike:
            with captured_stderr() as lines:
                try:
                    recognizer = vosk.KaldiRecognizer(model, sample_rate, grammar)
                except Exception:  # vosk raises a bare Exception here too
                    recognizer = None
            if recognizer is None:
                raise ModelError(
                    f"The Vosk model in {path} cannot take a phrase grammar "
                    f"({kaldi_reason(lines)}); {INSTALL_HINT}."
                )
            recognizer.SetWords(True)
            return recognizer

        self._model = model  # the recognizer borrows it; keep it alive as long as we are
        self.description = f"Vosk, the model in {path}"
        known = lambda word: model.vosk_model_find_word(word) >= 0  # noqa: E731
        self._setup(phrases, known, new_recognizer, sample_rate, f"The Vosk model in {path}")

    @classmethod
    def with_engine(
        cls,
        phrases: Sequence[str],
        known: Callable[[str], bool],
        new_recognizer: Callable[[str], KaldiLike],
        sample_rate: int = SAMPLE_RATE,
    ) -> VoskRecognizer:
        """A recognizer over a given vocabulary test and ``KaldiRecognizer`` factory (for fakes)."""
        recognizer = cls.__new__(cls)
        recognizer.description = "Vosk"
        recognizer._setup(phrases, known, new_recognizer, sample_rate)
        return recognizer

    def _setup(
        self,
        phrases: Sequence[str],
        known: Callable[[str], bool],
        new_recognizer: Callable[[str], KaldiLike],
        sample_rate: int,
        name: str = "The Vosk model",
    ) -> None:
        self.phrases, self.dropped = build_grammar(phrases, known)
        if not self.phrases:
            raise ModelError(
                f"{name} knows none of the command words; use an English model: {INSTALL_HINT}."
            )
        self.sample_rate = sample_rate
        # Without [unk] (some models lack it) every sound is forced onto a phrase.
        self.rejects_unknown = bool(known(UNKNOWN))
        self._known = known
        self._grammar = grammar_json(self.phrases, self.rejects_unknown)
        self._new_recognizer = new_recognizer
        self.reset()

    def reset(self) -> None:
        """Start a new stream (a new file): clock at zero, no utterance in progress."""
        # Vosk's own Reset() keeps its clock running; a fresh recognizer restarts it.
        self._recognizer = self._new_recognizer(self._grammar)
        self._origin = 0  # the stream's sample at which the Kaldi recognizer's clock reads zero
        self._samples = 0
        self._odd = b""
        self._utterance_start = 0.0
        self._partial = ""
        self._since_endpoint = bytearray()
        self._replayed: list[Transcript] = []

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz mono s16le audio of any length; return utterances ended and new partials."""
        data = self._odd + pcm
        # Vosk would drop a trailing odd byte and shift every later sample by half a sample.
        cut = len(data) - len(data) % 2
        data, self._odd = data[:cut], data[cut:]
        out, self._replayed = self._replayed, []
        return out + self._decode(data) if data else out

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """Hear the answers to the question just asked as well as the commands (() once no
        question is open).

        A Kaldi grammar is fixed when its recognizer is made, so a new one is made with the
        answers in it, and the audio since the last endpoint (the start of an answer the user
        may already be giving) is fed to it again; what that yields comes out of the next
        ``accept``.
        """
        wanted = [phrase for group in answers for phrase in group]
        heard, _ = build_grammar([*self.phrases, *wanted], self._known)
        grammar = grammar_json(heard, self.rejects_unknown)
        if grammar == self._grammar:
            return
        # Made before anything changes: if the model refuses the grammar, the old one goes on.
        self._recognizer = self._new_recognizer(grammar)
        self._grammar = grammar
        replay = bytes(self._since_endpoint)
        self._origin = self._samples - len(replay) // 2
        self._samples = self._origin
        self._since_endpoint = bytearray()
        self._partial = ""
        self._replayed += self._decode(replay) if replay else []

    def flush(self) -> list[Transcript]:
        """End of stream: finish the utterance in progress, if any."""
        self._odd = b""
        out, self._replayed = self._replayed, []
        return out + self._final(self._recognizer.FinalResult())

    def _decode(self, data: bytes) -> list[Transcript]:
        self._samples += len(data) // 2
        self._since_endpoint += data
        if len(self._since_endpoint) > MAX_REPLAY_BYTES:  # an endpoint is overdue: keep the end
            del self._since_endpoint[: len(self._since_endpoint) - MAX_REPLAY_BYTES]
        try:
            ended = self._recognizer.AcceptWaveform(data)
        except Exception as error:  # "Failed to process waveform"
            raise EngineUnavailable(
                f"Vosk could not decode the audio ({error}); try `--engine pocketsphinx`."
            ) from error
        if ended:
            return self._final(self._recognizer.Result())
        partial = parse_partial(self._recognizer.PartialResult())
        if partial == self._partial:
            return []
        self._partial = partial
        if not partial:
            return []
        # A partial hypothesis has no score yet; its times span the utterance so far.
        return [Transcript(partial, 0.0, self._utterance_start, self._now(), final=False)]

    def _final(self, raw: str) -> list[Transcript]:
        now = self._now()
        # Vosk's word times count from its recognizer's first sample, not the stream's.
        origin = self._origin / self.sample_rate
        transcript = parse_result(raw, self._utterance_start - origin, now - origin)
        self._utterance_start = now
        self._partial = ""
        self._since_endpoint = bytearray()
        if transcript is None:
            return []
        return [replace(transcript, start=transcript.start + origin, end=transcript.end + origin)]

    def _now(self) -> float:
        return self._samples / self.sample_rate
