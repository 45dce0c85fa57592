"""The checks of `voice-coach doctor` that need no audio device, and --engine auto's fallback
past a broken model; called as functions, so nothing here opens a device or a sound server."""

from __future__ import annotations

import json

import pytest

from audio_models.models.store import MODEL_VARIABLE, ModelStore
from intents.catalog import default_catalog
from tests.test_model_store import fake_vosk_model_layout
from voice_coach.commands import doctor
from voice_coach.runtime.engines import make_recognizer


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(folder))
    monkeypatch.delenv(MODEL_VARIABLE, raising=False)
    return folder


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe garbage [[", "cannot read the config file"),
        (b'rate = "fast"\nvolume = [1]\n', "rate = 'fast' ignored"),
        (b'colour = "blue"\n', "unknown setting 'colour'"),
    ],
)
def test_doctor_reports_each_problem_of_the_config_file(tmp_path, monkeypatch, capsys, content,
                                                        says):  # fmt: skip
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(path))
    assert doctor._config() == 1
    out = capsys.readouterr().out
    assert out.startswith(f"Config file: {path}\n") and says in out


def test_doctor_calls_a_good_config_valid(tmp_path, monkeypatch, capsys):
    path = tmp_path / "config.toml"
    path.write_text('rate = 150\nvoice = "gmw/en-us"\n')
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(path))
    assert doctor._config() == 0
    assert capsys.readouterr().out == f"Config file: {path} (valid)\n"


def test_doctor_names_the_fix_for_an_added_model_that_went_missing(data_dir, tmp_path, capsys):
    folder = fake_vosk_model_layout(tmp_path / "mine")
    ModelStore().add(folder)
    (folder / "am" / "final.mdl").unlink()
    assert doctor._models() == 1
    out = capsys.readouterr().out
    assert "mine: " in out and "MISSING OR DAMAGED" in out
    assert "`voice-coach models remove mine`" in out


def test_doctor_reports_a_damaged_list_of_added_models(data_dir, capsys):
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / "added.json").write_text("{not json")
    assert doctor._models() == 1
    assert "added.json is damaged" in capsys.readouterr().out


def test_auto_passes_over_an_added_model_vosk_cannot_load(data_dir, tmp_path):
    # The right file names with placeholder contents: it looks like a model until Vosk loads it.
    ModelStore().add(fake_vosk_model_layout(tmp_path / "broken"))
    warnings: list[str] = []
    recognizer = make_recognizer("auto", default_catalog(), warn=warnings.append)
    assert type(recognizer).__name__ == "WhisperRecognizer"  # the packaged weights: next in line
    assert len(warnings) == 1 and "`voice-coach models remove broken`" in warnings[0]
    assert "another engine" in warnings[0]


def test_auto_passes_over_a_damaged_list_of_added_models(data_dir):
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / "added.json").write_text(json.dumps({"folders": [1, 2]}))
    warnings: list[str] = []
    recognizer = make_recognizer("auto", default_catalog(), warn=warnings.append)
    assert type(recognizer).__name__ == "WhisperRecognizer"
    assert len(warnings) == 1 and "added.json is damaged" in warnings[0]


def test_a_model_the_user_named_still_fails_loudly(data_dir, tmp_path):
    from audio_models.errors import ModelError

    broken = fake_vosk_model_layout(tmp_path / "broken")
    with pytest.raises(ModelError, match="could not be loaded"):
        make_recognizer("auto", default_catalog(), str(broken), warn=pytest.fail)


def test_doctor_says_where_the_history_is_and_how_many_sessions_it_holds(data_dir, capsys):
    from datetime import UTC, datetime

    from voice_coach.runtime.history_store import HistoryStore, default_path

    path = default_path()
    assert doctor._history() == 0
    assert capsys.readouterr().out == f"History file: {path} (no session recorded yet)\n"
    store = HistoryStore.open()
    store.start_session(datetime(2026, 12, 1, tzinfo=UTC), "upper-back", None)
    store.close()
    assert doctor._history() == 0
    assert capsys.readouterr().out == f"History file: {path} (1 session recorded)\n"


def test_doctor_reports_a_damaged_history_and_leaves_it_where_it_is(data_dir, capsys):
    from voice_coach.runtime.history_store import default_path

    path = default_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database, " * 100)
    assert doctor._history() == 1
    out = capsys.readouterr().out
    assert out.startswith(f"History file: {path} cannot be read (") and "moves it aside" in out
    assert path.read_bytes() == b"not a database, " * 100  # looked at, not touched
