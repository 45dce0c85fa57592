"""What every test shares: no test reads or writes the real user's history or config."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory, monkeypatch):
    """Point the data folder (history, models) and the config file at per-test tmp paths.

    Subprocesses inherit the environment, so sessions they run record into this folder too. A
    test that sets either variable itself does so after this fixture ran, so its value wins.
    """
    folder = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(folder / "data"))
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(folder / "config.toml"))  # no such file


# Files whose tests use the sound server or the wall clock: `make test` runs them on their own,
# after the rest has run on two workers, so no other test competes with them for the CPU.
SERIAL_FILES = frozenset(
    {
        "test_alsa_errors.py",
        "test_audio_devices.py",
        "test_ball.py",
        "test_cli_text.py",
        "test_doctor.py",
        "test_history_reliability.py",
        "test_listener.py",
        "test_listener_echo_chain.py",
        "test_model_store.py",
        "test_recognizer_process.py",
        "test_session_script.py",
        "test_voice_session.py",
        "test_voice_session_barge_in.py",
        "test_voice_session_live.py",
    }
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SERIAL_FILES:
            item.add_marker(pytest.mark.serial)
