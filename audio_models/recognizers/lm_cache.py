"""Built language models kept on disk, so a start-up after the first skips building them.

Building the model of the catalog's sentences takes about 0.2 s in Python, a fifth of the
engine's load-time budget; reading it back is free. A file is named by a hash of everything it
is built from, so a changed catalog or word list builds a new one. The folder is
``cache_folder.cache_dir()``; when it cannot be written the
model is built in a temporary folder every time, which only costs time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable

from audio_models.cache_folder import CACHE_DIR_VARIABLE, cache_dir

__all__ = ["CACHE_DIR_VARIABLE", "cache_dir", "language_model_file"]


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
