"""Rendered sentences kept on disk, so a second session renders nothing it has said before.

One ``.npy`` file of 16-bit samples per sentence, named by a hash of the voice, its settings and
the text; written to a temporary name and renamed, so a crash never leaves half a file under a
real name. A file that does not read back (damaged, truncated, the wrong shape) is deleted and
rendered again. When the folder holds more than ``LIMIT_BYTES`` the least recently used files go
first. When the folder cannot be written the cache only lives in memory: it costs time, never
a session.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from audio_models.cache_folder import cache_dir
from audio_models.pcm import S16_FULL_SCALE

LIMIT_BYTES = 200 * 1024 * 1024  # about 40 minutes of speech at 22.05 kHz; a routine is ~10


def default_folder() -> Path:
    return cache_dir() / "speech"


class RenderCache:
    """Sentences' samples by key (voice, settings, text); ``get`` and ``put`` are thread-safe."""

    def __init__(self, folder: Path | None = None, limit_bytes: int = LIMIT_BYTES) -> None:
        self.folder = folder if folder is not None else default_folder()
        self.limit_bytes = limit_bytes
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._writable = True
        self._trimmed = False

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]

    def get(self, key: str) -> np.ndarray | None:
        """The float32 samples stored under ``key``, or None."""
        path = self._path(key)
        try:
            pcm = np.load(path, allow_pickle=False)
            if pcm.dtype != np.int16 or pcm.ndim != 1:
                raise ValueError(f"{pcm.dtype} {pcm.shape}")
        except FileNotFoundError:
            with self._lock:
                self.misses += 1
            return None
        except (OSError, ValueError, EOFError):
            with contextlib.suppress(OSError):
                path.unlink()
            with self._lock:
                self.misses += 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first when the folder is full
        with self._lock:
            self.hits += 1
        return pcm.astype(np.float32) / S16_FULL_SCALE

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    @property
    def writable(self) -> bool:
        """False once a write failed: the caller keeps what it renders in memory instead."""
        return self._writable

    def put(self, key: str, samples: np.ndarray) -> None:
        """Store ``samples`` (float, -1..1) under ``key``; silently skipped if unwritable."""
        if not self._writable:
            return
        pcm = np.clip(np.round(samples * S16_FULL_SCALE), -32768, 32767).astype(np.int16)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as out:
                np.save(out, pcm, allow_pickle=False)
            os.replace(out.name, self._path(key))
        except OSError:
            self._writable = False
            return
        with self._lock:
            first = not self._trimmed
            self._trimmed = True
        if first:
            self.trim()

    def trim(self) -> None:
        """Delete the least recently used files until the folder is within its limit."""
        try:
            files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*.npy")]
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.limit_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npy"
