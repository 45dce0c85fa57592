"""Routines are data: spots, pressure cues, holds and stretches, loaded from TOML and validated."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

MIN_HOLD = 15.0
MAX_HOLD = 30.0
POSITIONS = ("floor", "wall")
PRESSURE_NAMES = ("light", "moderate", "firm")
MAX_BASED_ON = 8  # routines deriving from routines: more than a handful is a mistake, not a plan


class RoutineError(ValueError):
    """A routine cannot be loaded; the message says which file, which entry and what is wrong."""


@dataclass(frozen=True)
class Pressure:
    """One pressure level and how the body produces it in each position.

    ``cues`` set the level up when a spot begins; ``up`` and ``down`` move to it from the level
    below and the level above. Arriving from above with the set-up cue ("step your feet further
    from the wall") told the user to press harder when they asked for less. A cue may say
    ``{ball}``: "ball", or "balls" on a spot that uses two.
    """

    name: str
    hold_factor: float  # firmer pressure, shorter hold
    cues: dict[str, str]  # position -> what to do with the body
    up: dict[str, str] = field(default_factory=dict)  # position -> cue, from the level below
    down: dict[str, str] = field(default_factory=dict)  # position -> cue, from the level above

    def cue(self, position: str, step: int = 0) -> str | None:
        """The cue for ``position``: set up (``step`` 0), arriving from below (+1) or above (-1);
        None when the routine has no cue for that way in."""
        return (self.cues if step == 0 else self.up if step > 0 else self.down).get(position)


@dataclass(frozen=True)
class Spot:
    """One place to put the ball, with its cues."""

    id: str
    name: str
    position: str
    hold_seconds: float
    placement: str
    rolling: str
    find: str
    breathing: str
    balls: int = 1  # two side by side (in a sock) keep the spine in the gap between them
    # Where a spot beside the spine is worked with two balls in a sock straddling the spine, for
    # a user whose ball is that; None on a spot that is not beside the spine.
    two_balls_placement: str | None = None


@dataclass(frozen=True)
class StretchCue:
    at: float
    text: str


@dataclass(frozen=True)
class Stretch:
    """A dynamic stretch between spots."""

    id: str
    name: str
    seconds: float
    cues: tuple[StretchCue, ...]


@dataclass(frozen=True)
class Timing:
    """Seconds for the phases around each hold."""

    placement: float
    rolling: float
    find: float
    release: float


@dataclass(frozen=True)
class Routine:
    name: str
    title: str
    summary: str
    safety: tuple[str, ...]
    timing: Timing
    pressures: tuple[Pressure, ...]
    start_pressure: int  # index into pressures
    spots: tuple[Spot, ...]
    stretches: tuple[Stretch, ...]
    stretch_every: int

    def hold_for(self, spot: Spot, level: int, ball_factor: float = 1.0) -> float:
        """Hold length for a spot at a pressure level, kept within 15-30 seconds.

        ``ball_factor`` is the user's ball's (a firmer or spiky ball holds shorter).
        """
        return clamp_hold(spot.hold_seconds * self.pressures[level].hold_factor * ball_factor)


def clamp_hold(seconds: float) -> float:
    """Round to whole seconds and keep within the 15-30 s a tender point should be held."""
    return float(min(MAX_HOLD, max(MIN_HOLD, round(seconds))))


def builtin_names() -> list[str]:
    """Names of the routines shipped with the package."""
    folder = resources.files("voice_coach").joinpath("routines")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_routine(name_or_path: str | Path) -> Routine:
    """A built-in routine by name, or a user's TOML file by path."""
    return _load(name_or_path, ())


def _load(name_or_path: str | Path, chain: tuple[tuple[str, str], ...]) -> Routine:
    """``chain`` holds the (identity, source) of every routine that led here via ``based_on``."""
    text, source, identity = _read(name_or_path)
    if identity in (seen for seen, _ in chain):
        loop = " -> ".join([*(shown for _, shown in chain), source])
        raise RoutineError(f"{chain[0][1]}: based_on goes round in a loop ({loop})")
    if len(chain) >= MAX_BASED_ON:
        raise RoutineError(
            f"{chain[0][1]}: based_on chains more than {MAX_BASED_ON} routines; "
            "base it on one of the built-in routines"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RoutineError(f"{source}: not valid TOML ({error})") from error
    return _parse(data, source, (*chain, (identity, source)))


def _read(name_or_path: str | Path) -> tuple[str, str, str]:
    """The text, the name errors use, and an identity that is the same for the same file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        try:
            text = candidate.read_text("utf-8")
            return text, str(candidate), str(candidate.resolve())
        except (OSError, UnicodeDecodeError, RuntimeError) as error:  # RuntimeError: a symlink loop
            raise RoutineError(f"cannot read routine file {candidate}: {error}") from error
    name = str(name_or_path)
    if name not in builtin_names():
        known = ", ".join(builtin_names())
        raise RoutineError(
            f"no routine called {name!r}; choose one of {known}, or give a .toml file"
        )
    path = resources.files("voice_coach").joinpath("routines", f"{name}.toml")
    return path.read_text("utf-8"), f"routines/{name}.toml", f"builtin:{name}"


def _parse(data: dict[str, Any], source: str, chain: tuple[tuple[str, str], ...]) -> Routine:
    where = _Where(source)
    base = None
    if "based_on" in data:
        base = _load(where.text(data, "based_on"), chain)
    name = where.text(data, "name")
    timing = _timing(data.get("timing"), base.timing if base else None, where)
    if base:
        routine = _derive(data, base, where)
    else:
        pressures = _pressures(data.get("pressure"), where)
        spots = tuple(_spot(raw, i, where) for i, raw in enumerate(where.tables(data, "spots")))
        stretches = tuple(
            _stretch(raw, i, where) for i, raw in enumerate(where.tables(data, "stretches"))
        )
        routine = Routine(
            name=name,
            title="",
            summary="",
            safety=(),
            timing=timing,
            pressures=pressures,
            start_pressure=0,
            spots=spots,
            stretches=stretches,
            stretch_every=0,
        )
    start = data.get("start_pressure", PRESSURE_NAMES[routine.start_pressure])
    names = [p.name for p in routine.pressures]
    if start not in names:
        raise RoutineError(f"{source}: start_pressure must be one of {', '.join(names)}")
    every = data.get("stretch_every", routine.stretch_every or 2)
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise RoutineError(f"{source}: stretch_every must be a whole number (0 for no stretches)")
    if every and not routine.stretches:
        raise RoutineError(f"{source}: stretch_every needs at least one [[stretches]] entry")
    safety = data.get("safety", list(routine.safety))
    if not isinstance(safety, list) or not all(isinstance(s, str) and s for s in safety):
        raise RoutineError(f"{source}: safety must be a list of sentences")
    return replace(
        routine,
        name=name,
        title=str(data.get("title", name)),
        summary=str(data.get("summary", routine.summary)),
        safety=tuple(safety),
        timing=timing,
        start_pressure=names.index(start),
        stretch_every=every,
    )


def _derive(data: dict[str, Any], base: Routine, where: _Where) -> Routine:
    """A routine that picks spots and stretches from its ``based_on`` routine by id."""
    spots_by_id = {s.id: s for s in base.spots}
    stretches_by_id = {s.id: s for s in base.stretches}
    spot_ids = data.get("spots", list(spots_by_id))
    stretch_ids = data.get("stretches", list(stretches_by_id))
    for ids, known, what in (
        (spot_ids, spots_by_id, "spots"),
        (stretch_ids, stretches_by_id, "stretches"),
    ):
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise RoutineError(f"{where.source}: {what} must be a list of ids from {base.name}")
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise RoutineError(
                f"{where.source}: {what} {', '.join(unknown)} not found in routine {base.name}"
            )
    spots = [spots_by_id[i] for i in spot_ids]
    if "hold_seconds" in data:
        hold = where.hold(data, "hold_seconds")
        spots = [replace(s, hold_seconds=hold) for s in spots]
    if not spots:
        raise RoutineError(f"{where.source}: a routine needs at least one spot")
    return replace(
        base, spots=tuple(spots), stretches=tuple(stretches_by_id[i] for i in stretch_ids)
    )


def _timing(raw: Any, base: Timing | None, where: _Where) -> Timing:
    raw = raw if raw is not None else {}
    if not isinstance(raw, dict):
        raise RoutineError(f"{where.source}: [timing] must be a table")
    defaults = base or Timing(placement=12, rolling=25, find=8, release=4)
    values = {}
    for phase in ("placement", "rolling", "find", "release"):
        value = raw.get(phase, getattr(defaults, phase))
        if not isinstance(value, int | float) or isinstance(value, bool) or not 1 <= value <= 120:
            raise RoutineError(f"{where.source}: timing.{phase} must be 1 to 120 seconds")
        values[phase] = float(value)
    return Timing(**values)


def _pressures(raw: Any, where: _Where) -> tuple[Pressure, ...]:
    if (
        not isinstance(raw, list)
        or not all(isinstance(p, dict) for p in raw)
        or [p.get("name") for p in raw] != list(PRESSURE_NAMES)
    ):
        raise RoutineError(
            f"{where.source}: needs three [[pressure]] tables named light, moderate, firm, in order"
        )
    out = []
    for index, entry in enumerate(raw):
        label = f"pressure {entry['name']!r}"
        factor = entry.get("hold_factor")
        if not isinstance(factor, int | float) or not 0.3 <= factor <= 1.5:
            raise RoutineError(f"{where.source}: {label}: hold_factor must be 0.3 to 1.5")
        cues = {pos: where.cue(entry, pos, label) for pos in POSITIONS}
        # Optional, so older routine files still load: without them the coach says a generic cue
        # that points the right way.
        up = {p: where.cue(entry, f"{p}_up", label) for p in POSITIONS if f"{p}_up" in entry}
        down = {p: where.cue(entry, f"{p}_down", label) for p in POSITIONS if f"{p}_down" in entry}
        if (up and index == 0) or (down and index == len(raw) - 1):
            way = "up to" if index == 0 else "down to"
            raise RoutineError(f"{where.source}: {label}: there is no going {way} this level")
        out.append(Pressure(entry["name"], float(factor), cues, up, down))
    return tuple(out)


def _spot(raw: dict[str, Any], index: int, where: _Where) -> Spot:
    label = f"spot {index + 1} ({raw.get('id', '?')})"
    position = where.text(raw, "position", label)
    if position not in POSITIONS:
        raise RoutineError(f"{where.source}: {label}: position must be floor or wall")
    return Spot(
        id=where.text(raw, "id", label),
        name=where.text(raw, "name", label),
        position=position,
        hold_seconds=where.hold(raw, "hold_seconds", label),
        placement=where.text(raw, "placement", label),
        rolling=where.text(raw, "rolling", label),
        find=where.text(raw, "find", label),
        breathing=where.text(raw, "breathing", label),
        balls=_balls(raw, label, where),
        two_balls_placement=_two_balls_placement(raw, label, where),
    )


def _balls(raw: dict[str, Any], label: str, where: _Where) -> int:
    balls = raw.get("balls", 1)
    if not isinstance(balls, int) or isinstance(balls, bool) or balls not in (1, 2):
        raise RoutineError(f"{where.source}: {label}: balls must be 1 or 2")
    return balls


def _two_balls_placement(raw: dict[str, Any], label: str, where: _Where) -> str | None:
    if "two_balls_placement" not in raw:
        return None
    text = where.text(raw, "two_balls_placement", label)
    if raw.get("balls", 1) == 2:
        raise RoutineError(
            f"{where.source}: {label}: two_balls_placement is for a one-ball spot; "
            "this spot uses two balls already"
        )
    return text


def _stretch(raw: dict[str, Any], index: int, where: _Where) -> Stretch:
    label = f"stretch {index + 1} ({raw.get('id', '?')})"
    seconds = raw.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 10 <= seconds <= 90:
        raise RoutineError(f"{where.source}: {label}: seconds must be 10 to 90")
    cues_raw = raw.get("cues")
    if not isinstance(cues_raw, list) or not cues_raw:
        raise RoutineError(f"{where.source}: {label}: needs a list of cues")
    cues = []
    for cue in cues_raw:
        at = cue.get("at") if isinstance(cue, dict) else None
        if not isinstance(at, int | float) or not 0 <= at < seconds:
            raise RoutineError(f"{where.source}: {label}: each cue needs 'at' within the stretch")
        cues.append(StretchCue(at=float(at), text=where.text(cue, "text", label)))
    return Stretch(
        id=where.text(raw, "id", label),
        name=where.text(raw, "name", label),
        seconds=float(seconds),
        cues=tuple(sorted(cues, key=lambda c: c.at)),
    )


@dataclass(frozen=True)
class _Where:
    """Field readers that name the file and entry in every error."""

    source: str

    def text(self, table: dict[str, Any], key: str, label: str = "") -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            prefix = f"{label}: " if label else ""
            raise RoutineError(f"{self.source}: {prefix}{key} must be non-empty text")
        return value.strip()

    def cue(self, table: dict[str, Any], key: str, label: str) -> str:
        """A pressure cue: text whose only placeholder is ``{ball}``."""
        text = self.text(table, key, label)
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as error:
            raise RoutineError(f"{self.source}: {label}: {key}: {error}") from error
        if names - {"ball"}:
            raise RoutineError(
                f"{self.source}: {label}: {key} may only use {{ball}} in braces, not "
                + ", ".join(f"{{{n}}}" for n in sorted(names - {"ball"}))
            )
        return text

    def hold(self, table: dict[str, Any], key: str, label: str = "") -> float:
        value = table.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            value = None
        if value is None or not MIN_HOLD <= value <= MAX_HOLD:
            prefix = f"{label}: " if label else ""
            raise RoutineError(
                f"{self.source}: {prefix}{key} must be {MIN_HOLD:.0f} to {MAX_HOLD:.0f} seconds"
            )
        return float(value)

    def tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise RoutineError(f"{self.source}: needs [[{key}]] entries")
        if key == "spots" and not value:
            raise RoutineError(f"{self.source}: a routine needs at least one spot")
        return value
