"""Routines are data: the built-ins are sound, and bad files get clear errors."""

import pytest

from voice_coach.core.routine import RoutineError, builtin_names, load_routine


def test_builtin_routines_load():
    assert {"upper-back", "quick"} <= set(builtin_names())
    for name in builtin_names():
        routine = load_routine(name)
        assert routine.spots and routine.stretches


def test_upper_back_follows_self_massage_practice():
    routine = load_routine("upper-back")
    assert 5 <= len(routine.spots) <= 7
    assert [p.name for p in routine.pressures] == ["light", "moderate", "firm"]
    for pressure in routine.pressures:
        assert pressure.cues["floor"] and pressure.cues["wall"]
    for spot in routine.spots:
        assert spot.position in ("floor", "wall")
        for level in range(3):
            assert 15 <= routine.hold_for(spot, level) <= 30
        assert spot.placement and spot.rolling and spot.find and spot.breathing
        # Beside the spine, never on it.
        if "spine" in spot.placement:
            assert any(
                w in spot.placement
                for w in ("beside", "between", "from the spine", "either side", "each side", "gap")
            )
    names = " ".join(s.name for s in routine.stretches)
    assert "arm circles" in names and "torso twists" in names and len(routine.stretches) >= 4
    safety = " ".join(routine.safety)
    assert "sharp pain" in safety and "numbness" in safety and "tingling" in safety
    assert "not medical advice" in safety


def test_firmer_pressure_means_a_shorter_hold():
    routine = load_routine("upper-back")
    spot = routine.spots[0]
    holds = [routine.hold_for(spot, level) for level in range(3)]
    assert holds == sorted(holds, reverse=True) and holds[0] > holds[2]


VALID = """
name = "mine"
[[pressure]]
name = "light"
hold_factor = 1.0
floor = "hips down"
wall = "feet close"
[[pressure]]
name = "moderate"
hold_factor = 0.8
floor = "hips up a bit"
wall = "feet out a bit"
[[pressure]]
name = "firm"
hold_factor = 0.6
floor = "hips up"
wall = "feet far out"
[[spots]]
id = "a"
name = "left rhomboid"
position = "floor"
hold_seconds = 20
placement = "ball beside the left shoulder blade"
rolling = "roll up and down"
find = "find the knot"
breathing = "breathe slowly"
[[stretches]]
id = "s"
name = "arm circles"
seconds = 20
cues = [{ at = 0, text = "circle your arms" }]
"""


def test_a_users_own_routine_file_loads(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(VALID)
    routine = load_routine(str(path))
    assert routine.name == "mine" and routine.spots[0].name == "left rhomboid"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("hold_seconds = 20", "hold_seconds = 45"),
            "hold_seconds must be 15 to 30",
        ),
        (
            lambda t: t.replace('position = "floor"', 'position = "ceiling"'),
            "position must be floor or wall",
        ),
        (
            lambda t: t.replace('placement = "ball beside the left shoulder blade"\n', ""),
            "placement must be non-empty",
        ),
        (lambda t: t.replace('name = "moderate"', 'name = "medium"'), "light, moderate, firm"),
        (lambda t: t + "\n[[[broken", "not valid TOML"),
        (
            lambda t: t.replace("seconds = 20\ncues", "seconds = 5\ncues"),
            "seconds must be 10 to 90",
        ),
    ],
)
def test_bad_routines_name_file_entry_and_problem(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit(VALID))
    with pytest.raises(RoutineError) as caught:
        load_routine(str(path))
    assert message in str(caught.value) and "bad.toml" in str(caught.value)


def test_derived_routine_rejects_unknown_spot_ids(tmp_path):
    path = tmp_path / "derived.toml"
    path.write_text('name = "d"\nbased_on = "upper-back"\nspots = ["nope"]\n')
    with pytest.raises(RoutineError, match="nope not found in routine upper-back"):
        load_routine(str(path))


def test_unknown_routine_name_lists_the_choices():
    with pytest.raises(RoutineError, match="quick, upper-back"):
        load_routine("no-such-routine")


def test_a_routine_based_on_itself_names_the_loop(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "me.toml").write_text('name = "me"\nbased_on = "me.toml"\n')
    with pytest.raises(RoutineError, match=r"me.toml: based_on goes round in a loop"):
        load_routine("me.toml")


def test_a_longer_based_on_loop_names_every_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, base in (("a", "b"), ("b", "c"), ("c", "a")):
        (tmp_path / f"{name}.toml").write_text(f'name = "{name}"\nbased_on = "{base}.toml"\n')
    with pytest.raises(RoutineError) as caught:
        load_routine("a.toml")
    assert "(a.toml -> b.toml -> c.toml -> a.toml)" in str(caught.value)


# Three well-formed pressure tables and a stray number among them.
MIXED_PRESSURES = """
name = "mine"
pressure = [
  3,
  { name = "light", hold_factor = 1.0, floor = "f", wall = "w" },
  { name = "moderate", hold_factor = 0.8, floor = "f", wall = "w" },
  { name = "firm", hold_factor = 0.6, floor = "f", wall = "w" },
]
"""


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: MIXED_PRESSURES + t[t.index("[[spots]]"):],
        lambda t: t + '\n[[pressure]]\nname = "firm"\n',
        lambda t: t.replace("cues = [{ at = 0, text = \"circle your arms\" }]", "cues = [[1, 2]]"),
        lambda t: t.replace('name = "mine"', 'name = "mine"\ntiming = [1, 2]'),
        lambda t: t.replace('name = "mine"', 'name = "mine"\nstart_pressure = {a = 1}'),
        lambda t: t.replace('name = "mine"', 'name = "mine"\nsafety = {a = 1}'),
        lambda t: t.replace('name = "mine"', 'name = ["mine"]'),
        lambda t: t.replace('id = "a"', "id = 3"),
    ],
)  # fmt: skip
def test_wrongly_typed_tables_are_a_routine_error_naming_the_file(tmp_path, edit):
    path = tmp_path / "typed.toml"
    text = edit(VALID)
    assert text != VALID
    path.write_text(text)
    with pytest.raises(RoutineError, match=r"typed\.toml"):
        load_routine(str(path))
