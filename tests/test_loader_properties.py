"""Property tests: random bytes and random TOML structures given to the loaders of routines and
of the config file raise nothing but the project's own errors (or come back as warnings)."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_coach.core.routine import Routine, RoutineError, load_routine
from voice_coach.settings import _CHECKS, Settings, load_settings

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ROUTINE_KEYS = [
    "name", "title", "summary", "based_on", "safety", "timing", "pressure", "start_pressure",
    "spots", "stretches", "stretch_every", "hold_seconds", "id", "position", "placement",
    "rolling", "find", "breathing", "seconds", "cues", "at", "text", "hold_factor", "floor",
    "wall", "release",
]  # fmt: skip
SETTING_KEYS = [f.name for f in fields(Settings)]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
WORDS = st.sampled_from(
    [
        "upper-back",
        "quick",
        "light",
        "moderate",
        "firm",
        "floor",
        "wall",
        "auto",
        "vosk",
        "",
        "random.toml",
        "damaged.toml",
    ]
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-5, 130),
    st.floats(),
    TEXT,
    WORDS,
)


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    names = st.one_of(st.sampled_from(keys), TEXT)
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
        max_leaves=12,
    )


def toml_value(value: Any) -> str:
    """``value`` written as TOML: inline tables and arrays, so any nesting fits on a line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
        )
    if isinstance(value, str):
        # JSON escapes are TOML escapes, except that TOML wants DEL escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(table: dict[str, Any]) -> str:
    return "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in table.items())


UPPER_BACK = tomllib.loads(
    resources.files("voice_coach").joinpath("routines/upper-back.toml").read_text("utf-8")
)


@st.composite
def mutated_routines(draw) -> dict[str, Any]:
    """The built-in routine with a few values replaced by random ones or deleted."""
    data = json.loads(json.dumps(UPPER_BACK))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        parent: Any = data
        while True:
            keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
            # Hypothesis favours the first choice; the routine's name comes first in the file
            # and breaking it hides everything after it.
            keys.reverse()
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = parent[key]
            actions = ["replace", "delete"] + (["descend", "insert"] if child else [])
            action = draw(st.sampled_from(actions)) if isinstance(child, dict | list) else "replace"
            if action == "descend":
                parent = child
                continue
            if action == "insert" and isinstance(child, list):
                child.insert(draw(st.integers(0, len(child))), draw(values(ROUTINE_KEYS)))
            elif action == "delete":
                del parent[key]
            else:
                parent[key] = draw(values(ROUTINE_KEYS))
            break
    return data


def assert_loads_or_routine_error(path: Path) -> None:
    try:
        routine = load_routine(str(path))
    except RoutineError as error:
        message = str(error)
        assert message and "\n" not in message.strip()
        return
    assert isinstance(routine, Routine) and routine.spots


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_as_a_routine_raise_only_routine_error(tmp_path, data):
    path = tmp_path / "random.toml"
    path.write_bytes(data)
    assert_loads_or_routine_error(path)


@FAST
@given(st.dictionaries(st.sampled_from(ROUTINE_KEYS), values(ROUTINE_KEYS), max_size=8))
def test_random_toml_structures_as_a_routine_raise_only_routine_error(tmp_path, monkeypatch, table):
    monkeypatch.chdir(tmp_path)  # so that based_on = "random.toml" is this file
    path = tmp_path / "random.toml"
    path.write_text(toml_document(table), "utf-8")
    assert tomllib.loads(path.read_text("utf-8")) is not None
    assert_loads_or_routine_error(path)


@FAST
@given(mutated_routines())
def test_a_damaged_builtin_routine_raises_only_routine_error(tmp_path, monkeypatch, table):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "damaged.toml"
    path.write_text(toml_document(table), "utf-8")
    assert tomllib.loads(path.read_text("utf-8")).keys() == table.keys()
    assert_loads_or_routine_error(path)


def assert_settings_or_warnings(path: Path) -> None:
    warnings: list[str] = []
    loaded = load_settings(path, warn=warnings.append)
    assert isinstance(loaded, Settings)
    for field in fields(Settings):
        value = getattr(loaded, field.name)
        assert value == field.default or _CHECKS[field.name](value)
    assert all(isinstance(w, str) and str(path) in w for w in warnings)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_as_the_config_give_defaults_and_warnings(tmp_path, data):
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    assert_settings_or_warnings(path)


@FAST
@given(st.dictionaries(st.sampled_from(SETTING_KEYS) | TEXT, values(SETTING_KEYS), max_size=8))
def test_random_toml_structures_as_the_config_give_settings_and_warnings(tmp_path, table):
    path = tmp_path / "config.toml"
    path.write_text(toml_document(table), "utf-8")
    assert_settings_or_warnings(path)
