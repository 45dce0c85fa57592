"""Speech synthesis to memory: pyttsx3's espeak driver renders each line into a WAV we read back.

pyttsx3's own playback is not used: on Linux its espeak driver shells out to ``aplay``, plays only
the last of several queued lines, returns before the audio is heard and cannot be interrupted.
``save_to_file`` renders without playing, so the project plays the samples itself on one stream.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
import wave
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from audio_models.errors import EngineUnavailable

CACHE_SIZE = 512  # lines; a whole routine's wordings fit, so a session renders each only once
TRIM_THRESHOLD = 0.01  # samples quieter than -40 dBFS at the edges are silence
KEEP_EDGE = 0.02  # seconds of the quiet edge kept, so consonant onsets are not clipped
_ENGINE_LOCK = threading.Lock()  # espeak is one global engine in the process; renders take turns


@dataclass(frozen=True)
class Clip:
    """Rendered speech: float32 mono samples in -1..1 with the silent edges trimmed."""

    text: str
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class Voice:
    """A synthesizer voice, as ``voice-coach doctor`` lists it."""

    id: str
    name: str
    languages: tuple[str, ...]


class Synthesizer(Protocol):
    """Anything that turns a line of text into a clip."""

    def render(self, text: str) -> Clip: ...


class Pyttsx3Synthesizer:
    """pyttsx3 (espeak-ng) rendered to memory, with a bounded cache of rendered lines."""

    def __init__(self, voice: str | None = None, rate: int | None = None, volume: float = 1.0):
        try:
            import pyttsx3

            self._engine = pyttsx3.init("espeak")
        except Exception as error:  # ImportError, OSError (no libespeak-ng), RuntimeError
            raise EngineUnavailable(
                f"The speech engine could not start ({error}); "
                "install it with `apt-get install espeak-ng`."
            ) from error
        self._cache: OrderedDict[str, Clip] = OrderedDict()
        self.volume = min(1.0, max(0.0, volume))
        self.rate = int(rate) if rate is not None else None
        self.voice = self._voice_id(voice) if voice is not None else None

    def voices(self) -> list[Voice]:
        """Every voice the engine offers."""
        return [
            Voice(v.id, v.name, tuple(str(lang) for lang in (v.languages or ())))
            for v in self._engine.getProperty("voices")
        ]

    def render(self, text: str) -> Clip:
        """The clip for ``text``, from the cache when it was rendered before."""
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

    def prerender(self, texts: Iterable[str]) -> None:
        """Render ahead (countdown numbers) so playing them later never waits."""
        for text in texts:
            self.render(text)

    def _render(self, text: str) -> Clip:
        with tempfile.TemporaryDirectory(prefix="voice-coach-tts-") as folder:
            path = Path(folder) / "line.wav"
            try:
                # The driver prints "Audio saved to ..." for every file; keep stdout clean.
                with contextlib.redirect_stdout(io.StringIO()):
                    self._apply_settings()
                    self._engine.save_to_file(text, str(path))
                    self._engine.runAndWait()
                samples, rate = _read_wav(path)
            except (OSError, RuntimeError, wave.Error, EOFError) as error:
                raise EngineUnavailable(
                    f"The speech engine failed to render a line ({error}); "
                    "check `espeak-ng 'hello'` works, or reinstall espeak-ng."
                ) from error
        return Clip(text, trim(samples, rate) * np.float32(self.volume), rate)

    def _apply_settings(self) -> None:
        # pyttsx3.init() hands every caller the same engine, so settings go in before each
        # render: another synthesizer may have changed them.
        if self.rate is not None:
            self._engine.setProperty("rate", self.rate)
        if self.voice is not None:
            self._engine.setProperty("voice", self.voice)

    def _voice_id(self, wanted: str) -> str:
        voices = self.voices()
        for voice in voices:
            if wanted in (voice.id, voice.name) or voice.id.endswith("/" + wanted):
                return voice.id
        raise EngineUnavailable(
            f"There is no speech voice called {wanted!r}; "
            "`voice-coach doctor` lists the voices you can choose."
        )


class FakeSynthesizer:
    """Deterministic stand-in with no engine: a quiet tone 60 ms per character, for core tests."""

    def __init__(self, rate: int = 16_000) -> None:
        self.rate = rate
        self.rendered: list[str] = []

    def render(self, text: str) -> Clip:
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


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise wave.Error(f"unexpected {8 * wav.getsampwidth()}-bit output")
        frames = wav.readframes(wav.getnframes())
        rate, channels = wav.getframerate(), wav.getnchannels()
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate
