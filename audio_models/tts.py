"""Speech synthesis to memory: espeak-ng through pyttsx3's espeak driver, one line at a time.

pyttsx3's own playback is not used: on Linux its espeak driver shells out to ``aplay``, plays only
the last of several queued lines, returns before the audio is heard and cannot be interrupted.
Nor is its engine loop: it initialises espeak in AUDIO_OUTPUT_RETRIEVAL mode, where synthesis runs
on a thread of espeak's behind a command queue whose busy flag lags the queue. Rendering through it
meant polling for idle around every property change and line (a queued rate change or line was
otherwise cancelled), a timer for lines whose end never came, and a WAV file per line; and the
test suite once died of a segmentation fault while a line was being rendered in a live session
(CI, 2026-11-27), with that thread inside a callback.

So espeak is initialised here in its synchronous mode, through pyttsx3's ctypes binding: each
``espeak_Synth`` returns once the whole line has passed through the callback, on the caller's
thread, and there is no espeak thread at all. Voices, rate and volume go through the driver's own
property code. pyttsx3 is told espeak is initialised, so it never initialises it again.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from audio_models.errors import EngineUnavailable
from audio_models.pcm import S16_FULL_SCALE
from audio_models.types import Clip

CACHE_SIZE = 512  # lines; a routine's wordings fit, so a session renders each line only once
TRIM_THRESHOLD = 0.01  # samples quieter than -40 dBFS at the edges are silence
KEEP_EDGE = 0.02  # seconds of the quiet edge kept, so consonant onsets are not clipped
RATE_RANGE = (80, 450)  # words per minute espeak-ng accepts
DEFAULT_RATE = 200  # pyttsx3's own default
DEFAULT_VOICE = "gmw/en"  # espeak-ng's English (pyttsx3's fallback default too)
CHUNK_MS = 1000  # audio handed to the callback at a time
_ENGINE_LOCK = threading.Lock()  # espeak is one global engine per process: renders take turns
_ESPEAK: list[tuple[Any, Any, int]] = []  # (binding, driver class, sample rate) once initialised
_SAMPLES: list[bytes] = []  # the line being rendered, filled by _collect under _ENGINE_LOCK


def _collect(wav: Any, count: int, events: Any) -> int:
    if count > 0 and wav:
        _SAMPLES.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
    return 0  # go on synthesising


def _espeak() -> tuple[Any, Any, int]:
    """pyttsx3's espeak binding and driver class, espeak initialised (synchronous) once."""
    with _ENGINE_LOCK:
        if not _ESPEAK:
            import pyttsx3.drivers._espeak as binding
            import pyttsx3.drivers.espeak as driver

            rate = binding.Initialize(binding.AUDIO_OUTPUT_SYNCHRONOUS, CHUNK_MS)
            if rate == -1:
                raise RuntimeError("espeak-ng did not initialise")
            driver.EspeakDriver._moduleInitialized = True  # see the module docstring
            driver.EspeakDriver._defaultVoice = DEFAULT_VOICE
            binding.SetSynthCallback(_collect)  # the binding keeps the ctypes wrapper alive
            _ESPEAK.append((binding, driver.EspeakDriver, rate))
        return _ESPEAK[0]


@dataclass(frozen=True)
class Voice:
    """A synthesizer voice, as ``voice-coach doctor`` lists it."""

    id: str
    name: str
    languages: tuple[str, ...]


class Synthesizer(Protocol):
    """Anything that turns a line of text into a clip.

    ``split`` gives the pieces it renders one at a time (a slow voice renders a sentence at a
    time, so the first can play while the next renders); ``sentence_pause`` is the silence it
    puts between two pieces of one line.
    """

    sentence_pause: float

    @property
    def description(self) -> str: ...

    def render(self, text: str) -> Clip: ...

    def split(self, text: str) -> list[str]: ...


class Pyttsx3Synthesizer:
    """espeak-ng via pyttsx3, rendered to memory, with a bounded LRU cache of rendered lines."""

    sentence_pause = 0.0  # a line is one piece: espeak renders it in a few milliseconds

    def __init__(self, voice: str | None = None, rate: int | None = None, volume: float = 1.0):
        """``voice`` is a voice id or name, ``rate`` words per minute, ``volume`` a 0..1 gain."""
        try:
            self._binding, self._driver, self._rate = _espeak()
        except Exception as error:  # ImportError, OSError or RuntimeError (no libespeak-ng)
            raise EngineUnavailable(
                f"The speech engine could not start ({error}); "
                "install it with `apt-get install espeak-ng`."
            ) from error
        self._cache: OrderedDict[str, Clip] = OrderedDict()
        self.volume = min(1.0, max(0.0, float(volume)))
        self.rate = int(min(RATE_RANGE[1], max(RATE_RANGE[0], rate or DEFAULT_RATE)))
        # Every render sets its voice: all synthesizers share the one engine.
        self.voice = self._voice_id(voice) if voice else DEFAULT_VOICE

    @property
    def description(self) -> str:
        return f"espeak-ng ({self.voice})"

    def split(self, text: str) -> list[str]:
        return [text]

    def voices(self) -> list[Voice]:
        """Every voice the engine offers."""
        with _ENGINE_LOCK:
            found = self._driver.getProperty("voices")
        return [Voice(v.id, v.name, tuple(str(x) for x in (v.languages or ()))) for v in found]

    def render(self, text: str) -> Clip:
        """The clip for ``text``, from the cache when it was rendered before. Thread-safe."""
        with _ENGINE_LOCK:
            clip = self._cache.get(text)
            if clip is not None:
                self._cache.move_to_end(text)
                return clip
            clip = self._render(text)
            self._cache[text] = clip
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return clip

    def _render(self, text: str) -> Clip:
        try:
            self._driver.setProperty("voice", self.voice)
            self._driver.setProperty("rate", self.rate)
            self._driver.setProperty("volume", 1.0)  # our gain is applied to the samples
            _SAMPLES.clear()
            flags = self._binding.ENDPAUSE | self._binding.CHARS_UTF8
            status = self._binding.Synth(text.encode("utf-8"), flags=flags)
            pcm = b"".join(_SAMPLES)
            _SAMPLES.clear()
        except (OSError, ValueError, ctypes.ArgumentError) as error:
            raise _render_failed(str(error)) from error
        if status != self._binding.EE_OK:
            raise _render_failed(f"espeak_Synth returned {status}")
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / S16_FULL_SCALE
        return Clip(text, trim(samples, self._rate) * np.float32(self.volume), self._rate)

    def _voice_id(self, wanted: str) -> str:
        key = wanted.strip().lower()
        for voice in self.voices():
            names = (voice.id.lower(), voice.name.lower(), voice.id.lower().rsplit("/", 1)[-1])
            if key in names:
                return voice.id
        raise EngineUnavailable(
            f"There is no speech voice called {wanted!r}; "
            "`voice-coach doctor` lists the voices you can choose."
        )


def _render_failed(reason: str) -> EngineUnavailable:
    return EngineUnavailable(
        f"The speech engine failed to render a line ({reason}); "
        "check that `espeak-ng hello` speaks, or reinstall espeak-ng."
    )


class FakeSynthesizer:
    """Deterministic stand-in with no engine: a quiet tone 60 ms per character, for core tests."""

    sentence_pause = 0.0

    def __init__(self, rate: int = 16_000) -> None:
        self.rate = rate
        self.rendered: list[str] = []

    @property
    def description(self) -> str:
        return "a test tone"

    def split(self, text: str) -> list[str]:
        return [text]

    def render(self, text: str) -> Clip:
        """A 220 Hz tone whose length grows with the text."""
        self.rendered.append(text)
        n = int(self.rate * 0.06 * max(1, len(text)))
        t = np.arange(n, dtype=np.float32) / self.rate
        return Clip(text, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), self.rate)


def trim(samples: np.ndarray, rate: int) -> np.ndarray:
    """Cut the silent head and tail, keeping a few milliseconds: onsets land on time."""
    loud = np.flatnonzero(np.abs(samples) > TRIM_THRESHOLD)
    if loud.size == 0:
        return samples[:0]
    keep = int(KEEP_EDGE * rate)
    return samples[max(0, loud[0] - keep) : loud[-1] + keep + 1]
