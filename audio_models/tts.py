"""Speech synthesis to memory: pyttsx3's espeak driver renders each line into a WAV we read back.

pyttsx3's own playback is not used: on Linux its espeak driver shells out to ``aplay``, plays only
the last of several queued lines, returns before the audio is heard and cannot be interrupted.
``save_to_file`` + ``runAndWait`` renders without playing, and the project plays the samples on its
own stream. What pyttsx3 2.99's espeak driver needs for that to be reliable (each point is a hang,
a lost setting or a lost line seen in testing):

* espeak runs asynchronously (AUDIO_OUTPUT_RETRIEVAL): ``Synth`` and ``SetParameter`` go through
  espeak's command queue and the synth callback runs on espeak's own thread. When ``runAndWait``
  starts while a command is still queued, the driver's ``stop()`` sees espeak "playing" and calls
  ``espeak_Cancel``, which drops the queued rate/voice change or even the line. So every render
  waits for espeak to be idle before and after setting the properties.
* Properties set through ``engine.setProperty`` are queued inside pyttsx3 until a loop runs; they
  are set on the driver directly instead, so they apply to this render and no other.
* The driver's loop only ends when espeak reports the end of a message: empty text would loop
  forever, so it is never sent, and a timer ends the loop if espeak never answers.
* On an engine's first ``runAndWait`` the queued ``endLoop`` runs before synthesis starts, so the
  loop returns after 10 ms whether or not the line is done (long lines then came back missing).
  So after the loop, the render waits for espeak to go idle: the WAV is written by then.
* The driver prints "Audio saved to ..." for every file. ``contextlib.redirect_stdout`` would swap
  ``sys.stdout`` for the whole process, swallowing lines the session prints meanwhile, so the
  driver module's ``print`` is replaced instead.
"""

from __future__ import annotations

import atexit
import gc
import tempfile
import threading
import time
import wave
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from audio_models.errors import EngineUnavailable

CACHE_SIZE = 512  # lines; a routine's wordings fit, so a session renders each line only once
TRIM_THRESHOLD = 0.01  # samples quieter than -40 dBFS at the edges are silence
KEEP_EDGE = 0.02  # seconds of the quiet edge kept, so consonant onsets are not clipped
RATE_RANGE = (80, 450)  # words per minute espeak-ng accepts
DEFAULT_RATE = 200  # pyttsx3's own default
RENDER_TIMEOUT = 30.0  # seconds; espeak renders a long sentence in well under one
IDLE_TIMEOUT = 5.0
_ENGINE_LOCK = threading.Lock()  # espeak is one global engine per process: renders take turns
# pyttsx3 keeps engines in a weak dictionary; when one is collected its driver unsets espeak's
# (process-wide) synth callback. Holding the one engine for the process's life avoids that; it is
# let go at exit, while the modules its finalizer needs are still there.
_ENGINES: list[Any] = []


@atexit.register
def _release_engine() -> None:
    _ENGINES.clear()
    gc.collect()


@dataclass(frozen=True)
class Clip:
    """Rendered speech: float32 mono samples in -1..1 with the silent edges trimmed."""

    text: str
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
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
    """pyttsx3 (espeak-ng) rendered to memory, with a bounded LRU cache of rendered lines."""

    def __init__(self, voice: str | None = None, rate: int | None = None, volume: float = 1.0):
        """``voice`` is a voice id or name, ``rate`` words per minute, ``volume`` a 0..1 gain."""
        try:
            import pyttsx3
            import pyttsx3.drivers._espeak as espeak_lib
            import pyttsx3.drivers.espeak as espeak_driver

            with _ENGINE_LOCK:
                if not _ENGINES:
                    _ENGINES.append(pyttsx3.init("espeak"))
                self._engine = _ENGINES[0]
        except Exception as error:  # ImportError, OSError or RuntimeError (no libespeak-ng)
            raise EngineUnavailable(
                f"The speech engine could not start ({error}); "
                "install it with `apt-get install espeak-ng`."
            ) from error
        espeak_driver.print = lambda *args, **kwargs: None  # see the module docstring
        self._espeak, self._driver = espeak_lib, espeak_driver.EspeakDriver
        self._cache: OrderedDict[str, Clip] = OrderedDict()
        self.volume = min(1.0, max(0.0, float(volume)))
        self.rate = int(min(RATE_RANGE[1], max(RATE_RANGE[0], rate or DEFAULT_RATE)))
        # Every render sets its voice: all synthesizers share the one engine.
        self.voice = self._voice_id(voice) if voice else espeak_driver.EspeakDriver._defaultVoice

    def voices(self) -> list[Voice]:
        """Every voice the engine offers."""
        with _ENGINE_LOCK:
            found = self._engine.getProperty("voices")
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

    def prerender(self, texts: Iterable[str]) -> None:
        """Render ahead (countdown numbers) so playing them later never waits."""
        for text in texts:
            self.render(text)

    def _render(self, text: str) -> Clip:
        if not text.strip():
            return Clip(text, np.zeros(0, dtype=np.float32), 22_050)  # espeak would never finish
        with tempfile.TemporaryDirectory(prefix="voice-coach-tts-") as folder:
            path = Path(folder) / "line.wav"
            try:
                self._wait_idle()
                self._driver.setProperty("voice", self.voice)
                self._driver.setProperty("rate", self.rate)
                self._driver.setProperty("volume", 1.0)  # our gain is applied to the samples
                self._wait_idle()  # the properties are queued commands: let espeak take them
                self._engine.save_to_file(text, str(path))
                self._run_loop()
                self._wait_idle(RENDER_TIMEOUT)  # see the module docstring: the first loop
                samples, rate = _read_wav(path)
            except (OSError, RuntimeError, ValueError, wave.Error, EOFError) as error:
                raise EngineUnavailable(
                    f"The speech engine failed to render a line ({error}); "
                    "check that `espeak-ng hello` speaks, or reinstall espeak-ng."
                ) from error
        return Clip(text, trim(samples, rate) * np.float32(self.volume), rate)

    def _run_loop(self) -> None:
        driver: Any = self._engine.proxy._driver
        # runAndWait has no timeout; ending the driver's loop from a timer is its only way out.
        timer = threading.Timer(RENDER_TIMEOUT, driver.endLoop)
        timer.daemon = True
        timer.start()
        try:
            self._engine.runAndWait()
        finally:
            timer.cancel()

    def _wait_idle(self, timeout: float = IDLE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                raise RuntimeError("espeak stayed busy")
            time.sleep(0.002)

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


class FakeSynthesizer:
    """Deterministic stand-in with no engine: a quiet tone 60 ms per character, for core tests."""

    def __init__(self, rate: int = 16_000) -> None:
        self.rate = rate
        self.rendered: list[str] = []

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


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    if not path.exists():
        raise RuntimeError("espeak produced no audio")  # the loop ended without a message end
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise wave.Error(f"unexpected {8 * wav.getsampwidth()}-bit output")
        frames = wav.readframes(wav.getnframes())
        rate, channels = wav.getframerate(), wav.getnchannels()
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate
