"""Built language models kept on disk, so a start-up after the first skips building them.

Building the model of the catalog's sentences takes about 0.2 s in Python, a fifth of the
engine's load-time budget; reading it back is free. A file is named by a hash of everything it
is built from, so a changed catalog or word list builds a new one. The folder is
``$VOICE_COACH_CACHE_DIR``, else platformdirs' user cache folder; when it cannot be written the
model is built in a temporary folder every time, which only costs time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import platformdirs

CACHE_DIR_VARIABLE = "VOICE_COACH_CACHE_DIR"


def cache_dir() -> Path:
    """Where built models are kept."""
    chosen = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(chosen or platformdirs.user_cache_dir("voice-coach", appauthor=False))


def language_model_file(
    key_parts: list[str], build: Callable[[], str], use: Callable[[str], None]
) -> None:
    """Call ``use`` with the path of the model that ``build`` makes from ``key_parts``.

    The path is valid only during the call (when no cache folder can be written, it is a
    temporary file).
    """
    digest = hashlib.sha256("\0".join(key_parts).encode()).hexdigest()[:24]
    folder = cache_dir() / "language-models"
    path = folder / f"{digest}.arpa"
    if path.is_file():
        use(os.fspath(path))
        return
    text = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a reader never sees half a model.
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".part", delete=False) as out:
            out.write(text)
        os.replace(out.name, path)
    except OSError:
        with tempfile.TemporaryDirectory(prefix="voice-coach-") as scratch:
            fallback = os.path.join(scratch, "model.arpa")
            with open(fallback, "w", encoding="utf-8") as spill:
                spill.write(text)
            use(fallback)
        return
    use(os.fspath(path))
