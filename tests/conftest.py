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
