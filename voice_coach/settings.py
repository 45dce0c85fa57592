"""Voice settings from the config file, overridden by command-line flags.

The file is TOML at ``$VOICE_COACH_CONFIG`` or ``config.toml`` in the user's config folder
(``voice-coach doctor`` prints which). A bad value is reported in one sentence and its default
used: a typo in a config file must not cost a session.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from voice_coach.core.balls import ball_ids
from voice_coach.runtime.engines import ENGINES


@dataclass(frozen=True)
class Settings:
    """Everything about how the coach sounds and listens, and which ball the user has."""

    voice: str | None = None  # "joe" (neural), "espeak", or an espeak-ng voice; None: joe
    rate: int = 160  # words per minute: a calm pace for someone lying on a ball
    volume: float = 1.0  # 0..1
    engine: str = "auto"
    model: str | None = None  # a Vosk or Whisper model folder, or an installed model's name
    input_device: str | None = None
    output_device: str | None = None
    history: bool = True  # record sessions and let the coach adapt to them
    ball: str | None = None  # the kind of massage ball (data/balls.toml); None: ask at the start


RATE_RANGE = (80, 400)  # words per minute: slower drags, faster is hard to follow lying down

_CHECKS: dict[str, Callable[[Any], bool]] = {
    "voice": lambda v: isinstance(v, str) and bool(v.strip()),
    "rate": lambda v: (
        isinstance(v, int) and not isinstance(v, bool) and RATE_RANGE[0] <= v <= RATE_RANGE[1]
    ),
    "volume": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1,
    "engine": lambda v: v in ENGINES,
    "model": lambda v: isinstance(v, str) and bool(v.strip()),
    "input_device": lambda v: isinstance(v, str | int) and not isinstance(v, bool),
    "output_device": lambda v: isinstance(v, str | int) and not isinstance(v, bool),
    "history": lambda v: isinstance(v, bool),
    "ball": lambda v: v in ball_ids(),
}
_EXPECTED = {
    "voice": "a voice name",
    "rate": f"words per minute from {RATE_RANGE[0]} to {RATE_RANGE[1]}",
    "volume": "a number from 0 to 1",
    "engine": f"one of {', '.join(ENGINES)}",
    "model": "a model folder or name",
    "input_device": "a device name or number",
    "output_device": "a device name or number",
    "history": "true or false",
    "ball": f"one of {', '.join(ball_ids())}",
}


def config_path() -> Path:
    """Where the config file is read from."""
    explicit = os.environ.get("VOICE_COACH_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("voice-coach")) / "config.toml"


def load_settings(path: Path | None = None, warn: Callable[[str], None] = print) -> Settings:
    """The settings in the config file (defaults when there is none); problems go to ``warn``."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        warn(f"cannot read the config file {path} ({error}); using the default settings.")
        return Settings()
    return apply(Settings(), raw, source=str(path), warn=warn)


def apply(
    settings: Settings, values: dict[str, Any], source: str, warn: Callable[[str], None]
) -> Settings:
    """Settings with every valid, non-None value from ``values`` applied."""
    known = {f.name for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key not in known:
            warn(f"{source}: unknown setting {key!r} ignored (known: {', '.join(sorted(known))}).")
        elif not _CHECKS[key](value):
            warn(f"{source}: {key} = {value!r} ignored; expected {_EXPECTED[key]}.")
        else:
            changes[key] = float(value) if key == "volume" else value
    return replace(settings, **changes)
