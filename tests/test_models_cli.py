"""`voice-coach models ...` run in-process and as the installed command, on fake model layouts."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from audio_models.models.store import BASE_URL_VARIABLE, MODEL_VARIABLE
from tests.test_model_store import (  # noqa: F401  (server is a fixture)
    LGRAPH,
    SMALL,
    fake_vosk_model_layout,
    server,
    zip_of_fake_vosk_model_layout,
)
from voice_coach.cli import main
from voice_coach.commands.models import ProgressBar

COMMAND = os.path.join(os.path.dirname(sys.executable), "voice-coach")


@pytest.fixture
def data_dir(tmp_path, monkeypatch, server):  # noqa: F811
    folder = tmp_path / "data"
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(folder))
    monkeypatch.setenv(BASE_URL_VARIABLE, server.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv(MODEL_VARIABLE, raising=False)
    return folder


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voice-coach: "), err
    return lines[0]


def test_list_with_nothing_installed_shows_the_known_models(data_dir, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert SMALL in out and LGRAPH in out and "41.2 MB" in out
    assert "No Vosk model installed." in out and "Used by `--engine vosk`: none" in out
    assert not data_dir.exists()  # listing creates nothing


def test_install_with_fake_vosk_model_then_list_path_remove(data_dir, server, capsys):  # noqa: F811
    server.publish(zip_of_fake_vosk_model_layout())
    assert main(["models", "install", SMALL]) == 0
    captured = capsys.readouterr()
    installed = data_dir / "models" / "vosk" / SMALL
    assert f"Installed {SMALL} in {installed}" in captured.out
    # stderr is not a terminal here: a few plain progress lines, ending at 100 %.
    progress = captured.err.strip().splitlines()
    assert 2 <= len(progress) <= 5 and "\r" not in captured.err
    assert progress[0].startswith(f"Downloading {SMALL}:") and "100%" in progress[-1]

    assert main(["models", "install", SMALL]) == 0
    assert "already installed" in capsys.readouterr().out

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "installed" in out.split(SMALL)[1].splitlines()[0]
    assert f"Used by `--engine vosk`: {installed}" in out

    assert main(["models", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(installed)
    assert main(["models", "path", SMALL]) == 0
    assert capsys.readouterr().out.strip() == str(installed)

    assert main(["models", "remove", SMALL]) == 0
    assert "Removed" in capsys.readouterr().out and not installed.exists()
    assert main(["models", "path"]) == 1
    assert "models install" in one_error_line(capsys.readouterr().err)


def test_a_failed_install_is_one_line_and_exit_code_1(data_dir, server, capsys):  # noqa: F811
    server.publish(zip_of_fake_vosk_model_layout(), md5="f" * 32)
    assert main(["models", "install", SMALL]) == 1
    err = capsys.readouterr().err
    assert "wrong checksum" in one_error_line(err.splitlines()[-1])
    models = data_dir / "models"
    assert not models.exists() or list(models.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["models", "install", "vosk-model-imaginary"], "not a known Vosk model"),
        (["models", "remove", "nothing-here"], "No model is named nothing-here"),
        (["models", "path", "nothing-here"], "No model is named nothing-here"),
        (["models", "path", "--model", "/no/such/model"], "/no/such/model (from --model)"),
        (["models", "add", "/no/such/model"], "does not exist"),
    ],
)
def test_mistakes_are_one_sentence_and_exit_code_1(data_dir, capsys, argv, says):
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert says in one_error_line(captured.err) and captured.out == ""


def test_add_a_folder_then_the_variable_overrides_it(data_dir, tmp_path, monkeypatch, capsys):
    mine = fake_vosk_model_layout(tmp_path / "my-model")
    assert main(["models", "add", str(mine), "--name", "mine"]) == 0
    assert "used in place" in capsys.readouterr().out
    assert main(["models", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(mine.resolve())

    other = fake_vosk_model_layout(tmp_path / "other")
    monkeypatch.setenv(MODEL_VARIABLE, str(other))
    assert main(["models", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(other.resolve())
    assert main(["models", "path", "--model", str(mine)]) == 0
    assert capsys.readouterr().out.strip() == str(mine.resolve())

    monkeypatch.setenv(MODEL_VARIABLE, str(tmp_path / "gone"))
    assert main(["models", "list"]) == 0  # a bad override is reported, the list still shows
    captured = capsys.readouterr()
    assert "mine" in captured.out and MODEL_VARIABLE in one_error_line(captured.err)

    assert main(["models", "remove", "mine"]) == 0
    assert "left alone" in capsys.readouterr().out and mine.is_dir()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_is_one_line_redrawn_only_on_change():
    screen = Terminal()
    bar = ProgressBar("Downloading x", screen)
    for done in (0, 0, 10, 10, 500_000, 1_000_000):
        bar(done, 1_000_000)
    bar.finish()
    text = screen.getvalue()
    assert text.count("\r") == 3  # 0 %, 50 %, 100 %: repeats and sub-0.1 MB steps are not drawn
    assert text.endswith("100%    1.0/1.0 MB\n") and text.count("\n") == 1
    assert "[###############...............]" in text


def test_progress_bar_in_a_log_prints_a_few_plain_lines():
    log = io.StringIO()
    bar = ProgressBar("Downloading x", log)
    for done in range(0, 1_000_001, 10_000):
        bar(done, 1_000_000)
    bar.finish()
    lines = log.getvalue().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("Downloading x: 100%")


def test_installed_command_lists_and_installs_with_fake_vosk_model(tmp_path, server):  # noqa: F811
    server.publish(zip_of_fake_vosk_model_layout())
    env = dict(os.environ, VOICE_COACH_DATA_DIR=str(tmp_path / "data"), NO_PROXY="127.0.0.1")
    env[BASE_URL_VARIABLE] = server.base_url
    env.pop(MODEL_VARIABLE, None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [COMMAND, "models", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)

    listed = run("list")
    assert listed.returncode == 0 and SMALL in listed.stdout and "none" in listed.stdout
    installed = run("install", SMALL)
    assert installed.returncode == 0, installed.stderr
    assert "100%" in installed.stderr
    path = run("path")
    assert path.stdout.strip() == str(tmp_path / "data" / "models" / "vosk" / SMALL)
