"""Text to IPA phonemes with espeak-ng, as Piper voices were trained on, clause by clause.

Piper's own phonemizer (``piper-phonemize``) needs a patched espeak-ng that reports each
clause's punctuation, and the ``piper-tts`` package is GPL-3.0. Stock espeak-ng's
``espeak_TextToPhonemes`` drops the punctuation, so the text is cut into clauses here first and
each clause's mark (``, . ! ? ; :``) is put back after its phonemes: the voices use those marks
for pauses and intonation. The engine is the one process-wide espeak that ``tts`` initialises;
calls take its lock, since a voice set here would otherwise leak into a line being rendered.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from audio_models.errors import EngineUnavailable
from audio_models.tts import _ENGINE_LOCK, _espeak

IPA = 0x02  # espeakPHONEMES_IPA
CHARS_UTF8 = 1
SENTENCE_ENDS = ".!?"
# A clause ends at a mark followed by a space or the end; "3.5" and "e.g." inside a word stay.
_CLAUSE = re.compile(r"(.+?)([.!?;:,]+)(?=\s|$)|(.+?)$", re.DOTALL)
_FUNCTION: list[Any] = []


@dataclass(frozen=True)
class Clause:
    """A clause's phonemes (NFD-decomposed IPA) and the mark that ended it ("" for none)."""

    phonemes: str
    mark: str

    @property
    def ends_sentence(self) -> bool:
        return bool(self.mark) and self.mark[-1] in SENTENCE_ENDS


def _text_to_phonemes() -> Any:
    binding, _, _ = _espeak()  # takes the engine lock itself: never call it holding the lock
    if not _FUNCTION:
        function = binding.dll.espeak_TextToPhonemes
        function.restype = ctypes.c_char_p
        function.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        _FUNCTION.append(function)
    return _FUNCTION[0]


def clauses(text: str, voice: str = "en-us") -> list[Clause]:
    """The clauses of ``text`` as phonemes, in order; empty clauses are left out."""
    try:
        to_phonemes = _text_to_phonemes()
    except Exception as error:  # ImportError, OSError, RuntimeError: no usable libespeak-ng
        raise EngineUnavailable(
            f"espeak-ng, which spells words for the neural voice, could not start ({error}); "
            "install it with `apt-get install espeak-ng`."
        ) from error
    found: list[Clause] = []
    dll = _espeak()[0].dll
    with _ENGINE_LOCK:
        if dll.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EngineUnavailable(
                f"espeak-ng has no {voice!r} voice to spell words with; reinstall espeak-ng-data."
            )
        for match in _CLAUSE.finditer(text.strip()):
            words = (match.group(1) or match.group(3) or "").strip()
            mark = match.group(2) or ""
            phonemes = _phonemes(to_phonemes, words) if words else ""
            if phonemes:
                found.append(Clause(phonemes, mark[-1] if mark else ""))
            elif mark and found and mark[-1] in SENTENCE_ENDS:  # "Good... ." ends the sentence
                found[-1] = Clause(found[-1].phonemes, mark[-1])
    return found


def _phonemes(to_phonemes: Any, words: str) -> str:
    # espeak hands back one clause per call (it may see more clauses than we cut) and moves the
    # pointer on; it sets the pointer to NULL at the end.
    buffer = ctypes.c_char_p(words.encode("utf-8"))
    parts: list[str] = []
    while buffer.value:
        result = to_phonemes(ctypes.byref(buffer), CHARS_UTF8, IPA)
        if result:
            parts.append(result.decode("utf-8", errors="replace").strip())
    return unicodedata.normalize("NFD", " ".join(p for p in parts if p))


def split_sentences(text: str) -> list[str]:
    """``text`` cut after each sentence's closing mark ("Halfway. Breathe." -> two)."""
    found: list[str] = []
    current = ""
    for match in _CLAUSE.finditer(text.strip()):
        current += match.group(0)
        if (match.group(2) or "")[-1:] in tuple(SENTENCE_ENDS):
            found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return [sentence for sentence in found if sentence]
