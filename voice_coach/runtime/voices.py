"""Which voice speaks: the neural (Piper) voice by default, espeak-ng as its own kind and as the
fallback, with one sentence saying why whenever the voice asked for cannot be the one heard.

``--voice`` takes a neural voice's name (``joe``), ``espeak`` for espeak-ng's default voice, or
any espeak-ng voice id or name (``en-us``, ``gmw/en-gb-x-rp``); ``voice-coach doctor`` lists
them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from audio_models.errors import AudioModelsError

if TYPE_CHECKING:  # the speech engines load only when a voice is made
    from audio_models.tts import Synthesizer

ESPEAK = "espeak"


def is_neural(voice: str | None) -> bool:
    from audio_models.piper_tts import PACKAGED_VOICES

    return voice is None or voice.strip().lower() in PACKAGED_VOICES


def make_synthesizer(
    voice: str | None, rate: int, volume: float, note: Callable[[str], None]
) -> Synthesizer:
    """The synthesizer for ``voice`` (None: the default); raises AudioModelsError only when
    espeak-ng, the last resort, cannot start either."""
    from audio_models.tts import Pyttsx3Synthesizer

    if is_neural(voice):
        from audio_models.piper_tts import PiperSynthesizer

        try:
            return PiperSynthesizer(voice=voice and voice.strip().lower(), rate=rate, volume=volume)
        except AudioModelsError as error:
            note(f"{error} The coach speaks with espeak-ng instead.")
            voice = None
    elif voice is not None and voice.strip().lower() == ESPEAK:
        voice = None
    return Pyttsx3Synthesizer(voice=voice, rate=rate, volume=volume)
