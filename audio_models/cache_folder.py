"""The one folder where voice-coach keeps what it can rebuild: language models, rendered speech.

``$VOICE_COACH_CACHE_DIR``, else platformdirs' user cache folder. Everything in it may be
deleted at any time; the only cost is the time to make it again.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_DIR_VARIABLE = "VOICE_COACH_CACHE_DIR"


def cache_dir() -> Path:
    """Where rebuildable files are kept."""
    chosen = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(chosen or platformdirs.user_cache_dir("voice-coach", appauthor=False))
