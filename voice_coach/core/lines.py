"""The coach's own wordings, loaded from data, picked with variety but reproducibly."""

from __future__ import annotations

import random
import tomllib
from importlib import resources

NUMBER_WORDS = ("Zero.", "One.", "Two.", "Three.", "Four.", "Five.")


class Lines:
    """Picks one of several wordings for a line key; seeded, and never the same twice in a row."""

    def __init__(self, seed: int = 0, table: dict[str, list[str]] | None = None):
        self._table = table if table is not None else default_table()
        self._random = random.Random(seed)
        self._last: dict[str, int] = {}

    def say(self, key: str, **values: object) -> str:
        """A wording for ``key`` with its ``{placeholders}`` filled in."""
        options = self._table[key]
        choices = [i for i in range(len(options)) if i != self._last.get(key)] or [0]
        index = self._random.choice(choices)
        self._last[key] = index
        return options[index].format(**values)

    def always(self, key: str, **values: object) -> str:
        """The first wording of ``key``, picked without the random choice: for a line once
        written in code, so that it leaves the seeded choices of every other line as they were."""
        return self._table[key][0].format(**values)

    def every_wording(self) -> list[str]:
        """All wordings with placeholders unfilled (for echo and grammar tests)."""
        return [text for options in self._table.values() for text in options]


def default_table() -> dict[str, list[str]]:
    """The packaged ``data/lines.toml``."""
    text = resources.files("voice_coach").joinpath("data", "lines.toml").read_text("utf-8")
    return {key: list(value) for key, value in tomllib.loads(text).items()}
