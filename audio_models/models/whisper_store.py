"""Whisper models (CTranslate2 format) for the model store: their table, listing and download.

The publisher's listing, ``{base}api/models/{repo}/tree/main`` on Hugging Face, gives each file's
size and checksum: the sha256 of the content for large (LFS) files, git's blob sha1 (the sha1 of
``blob <size>\\0`` and the content) for small ones. Each file comes from
``{base}{repo}/resolve/main/{path}`` and is checked against its entry as it streams in; the
folder is then loaded with ``WhisperModel``, so only a model the coach can run gets installed.
``base`` is Hugging Face unless ``$VOICE_COACH_WHISPER_BASE_URL`` names another (a mirror, or a
test's own server). The work folder, the cleanup and the final rename are model_store.py's.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from audio_models.errors import ModelError
from audio_models.models.download import (
    TIMEOUT,
    Checksum,
    DownloadError,
    ProgressCallback,
    download,
    fetch_json,
)
from audio_models.recognizers.whisper_model import MODEL_FILES, WhisperModel

BASE_URL_VARIABLE = "VOICE_COACH_WHISPER_BASE_URL"
DEFAULT_BASE_URL = "https://huggingface.co/"
# CTranslate2 loads no model without its vocabulary (.txt from Systran's conversions, .json
# from newer converters), so one of them is required too.
VOCABULARIES = ("vocabulary.txt", "vocabulary.json")
WANTED = (*MODEL_FILES, *VOCABULARIES)  # the rest of a repository (README.md, ...) is skipped
SHA256 = re.compile(r"[0-9a-f]{64}")
SHA1 = re.compile(r"[0-9a-f]{40}")
INSTALL_HINT = "run `voice-coach models install whisper-tiny.en`"


@dataclass(frozen=True)
class KnownWhisperModel:
    """A row of the known Whisper models table (audio_models/data/whisper_models.toml)."""

    name: str
    repo: str
    size: int  # approximate, for display: the install takes sizes from the publisher's listing
    description: str


@dataclass(frozen=True)
class PublishedFile:
    """One file of a model as the publisher's listing gives it."""

    path: str
    size: int
    checksum: Checksum


def known_whisper_models() -> list[KnownWhisperModel]:
    """The known Whisper models table, smallest first."""
    text = resources.files("audio_models").joinpath("data/whisper_models.toml").read_text("utf-8")
    return [KnownWhisperModel(**row) for row in tomllib.loads(text)["model"]]


def is_whisper_folder(path: str | os.PathLike[str]) -> bool:
    """The folder holds a CTranslate2 Whisper model, not a Vosk one (whose files differ)."""
    folder = Path(path).expanduser()
    return (folder / "model.bin").is_file() and (folder / "tokenizer.json").is_file()


def whisper_model_problem(path: Path) -> str | None:
    """None if ``path`` has the files of a CTranslate2 Whisper model, else what is wrong."""
    if not path.exists():
        return "does not exist"
    if not path.is_dir():
        return "is not a folder"
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if not any((path / name).is_file() for name in VOCABULARIES):
        missing.append(VOCABULARIES[0])
    if missing:
        return f"has no {', '.join(missing)}, which a CTranslate2 Whisper model needs"
    return None


def base_url() -> str:
    """Where the listing and files come from, ending in a slash."""
    base = os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
    return base if base.endswith("/") else base + "/"


def _elsewhere() -> str:
    """The fix when the publisher's side looks wrong: a mirror the user set, or time."""
    if os.environ.get(BASE_URL_VARIABLE):
        return f"check that {BASE_URL_VARIABLE} points at Hugging Face or a copy of it"
    return "try again later"


def published_files(
    spec: KnownWhisperModel, base: str, timeout: float = TIMEOUT
) -> list[PublishedFile]:
    """The files of ``spec`` to download, with the size and checksum the publisher lists."""
    url = f"{base}api/models/{spec.repo}/tree/main"
    try:
        listing = fetch_json(url, timeout)
    except DownloadError as error:
        # A server that answers with an error is the wrong one, or having trouble; no answer at
        # all is more likely this computer's connection.
        answered = error.reason.startswith("HTTP ")
        fix = _elsewhere() if answered else "check your internet connection and try again"
        raise ModelError(
            f"Could not fetch the file list {url} ({error.reason}) that verifies {spec.name}, so "
            f"nothing was installed; {fix}."
        ) from error
    rows = listing if isinstance(listing, list) else []
    entries = {
        row["path"]: row
        for row in rows
        if isinstance(row, dict) and row.get("type") == "file" and isinstance(row.get("path"), str)
    }
    if not entries:
        raise ModelError(
            f"The file list {url} lists no files for {spec.name}, so nothing was installed; "
            f"{_elsewhere()}."
        )
    missing = [name for name in MODEL_FILES if name not in entries]
    if not any(name in entries for name in VOCABULARIES):
        missing.append(VOCABULARIES[0])
    if missing:
        raise ModelError(
            f"The file list {url} has no {', '.join(missing)} for {spec.name}, so nothing was "
            f"installed; {_elsewhere()}."
        )
    return [_published(entries[name], url, spec.name) for name in WANTED if name in entries]


def _published(entry: dict[str, Any], url: str, model: str) -> PublishedFile:
    path, declared, lfs = entry["path"], entry.get("size"), entry.get("lfs")
    # 0 stands for a missing or unusable size; such an entry is never valid.
    size = declared if type(declared) is int and declared > 0 else 0
    sized = size > 0
    if isinstance(lfs, dict):
        expected = str(lfs.get("oid", "")).lower()
        valid = sized and lfs.get("size") == size and SHA256.fullmatch(expected) is not None
        checksum = Checksum("sha256", expected)
    else:
        expected = str(entry.get("oid", "")).lower()
        valid = sized and SHA1.fullmatch(expected) is not None
        checksum = Checksum.git_blob(expected, size)
    if not valid:
        raise ModelError(
            f"The file list {url} gives no usable size and checksum for {path}, so {model} "
            f"cannot be verified and was not installed; {_elsewhere()}."
        )
    return PublishedFile(path, size, checksum)


def download_whisper_model(
    spec: KnownWhisperModel,
    folder: Path,
    progress: ProgressCallback | None = None,
    timeout: float = TIMEOUT,
) -> Path:
    """Download ``spec``'s files into the new folder ``folder``, verified, and check it loads.

    ``progress`` sees the bytes of all the files together. On failure ModelError says why; the
    caller removes ``folder`` (it works in a folder of its own that it removes whatever happens).
    """
    base = base_url()
    files = published_files(spec, base, timeout)
    folder.mkdir()
    total = sum(file.size for file in files)
    offset = 0
    for file in files:
        url = f"{base}{spec.repo}/resolve/main/{file.path}"
        report = _shifted(progress, offset, total) if progress is not None else None
        download(url, folder, file.size, file.checksum, report, timeout)
        offset += file.size
    _check_loads(spec, folder, base)
    return folder


def _shifted(progress: ProgressCallback, start: int, total: int) -> ProgressCallback:
    """One file's progress as progress through all of them: one bar for the whole model."""
    return lambda done, _: progress(start + done, total)


def whisper_load_problem(folder: Path) -> str | None:
    """None if ``folder`` loads as the recognizer loads it, else why not, in a few words: the
    files may all be there and still not be a model the coach can run."""
    try:
        WhisperModel(folder)
    except ModelError as error:
        if "multilingual" in str(error):
            return "it is a multilingual model"
        text = str(error.__cause__ or error).strip() or type(error).__name__
        return text.splitlines()[0].split(". ")[0].rstrip(".")
    return None


def _check_loads(spec: KnownWhisperModel, folder: Path, base: str) -> None:
    """Refuse downloaded files that are intact yet do not load as a model the coach can run."""
    reason = whisper_load_problem(folder)
    if reason is not None:
        raise ModelError(
            f"The files of {spec.name} from {base}{spec.repo} arrived intact but do not load as an "
            f"English-only CTranslate2 Whisper model ({reason}), so nothing was installed; "
            f"{_elsewhere()}."
        )
