"""The speech models on this computer, Vosk and Whisper (CTranslate2): the known-models tables,
installs, added folders, and the choice of Vosk model.

Layout of the data folder (``$VOICE_COACH_DATA_DIR``, else platformdirs' user data folder):
``models/vosk/<name>/`` holds Vosk models installed or unpacked from an archive;
``models/whisper/<name>/`` holds Whisper models installed from their publisher
(audio_models/models/whisper_store.py lists, downloads and verifies them);
``models/added.json`` maps names to model folders the user already had (never copied or deleted):
Vosk ones under "folders", Whisper ones under "whisper_folders";
``models/.partial-<pid>-<random>/`` is an install in progress, renamed into place only once the
download is verified and the folder is a model (a Whisper one must load), and removed on any
failure.

Only Vosk models are ever chosen without being named (``find_vosk_model``); an installed Whisper
model is used when ``--model`` or ``$VOICE_COACH_VOSK_MODEL`` names it (``find_whisper_model``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from audio_models.errors import ModelError
from audio_models.models.archive import extract_archive
from audio_models.models.download import (
    TIMEOUT,
    DownloadError,
    ProgressCallback,
    download,
    fetch_json,
)
from audio_models.models.whisper_store import (
    KnownWhisperModel,
    download_whisper_model,
    is_whisper_folder,
    known_whisper_models,
    whisper_load_problem,
    whisper_model_problem,
)

DATA_DIR_VARIABLE = "VOICE_COACH_DATA_DIR"
MODEL_VARIABLE = "VOICE_COACH_VOSK_MODEL"
BASE_URL_VARIABLE = "VOICE_COACH_MODEL_BASE_URL"
DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models/"
MODEL_LIST = "model-list.json"
# A Vosk model unpacks to under twice its archive size; ten times leaves room, stops a zip bomb.
UNPACK_FACTOR = 10
INSTALL_HINT = "run `voice-coach models install vosk-model-small-en-us-0.15`"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MD5_PATTERN = re.compile(r"[0-9a-fA-F]{32}")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
# The files Vosk's Model() reads (vosk-api src/model.cc): the current layout (am/, conf/, graph/)
# or the old flat one, each with a static HCLG.fst graph or a dynamic HCLr.fst + Gr.fst pair.
LAYOUTS = (
    ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLG.fst"),
    ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst"),
    ("final.mdl", "mfcc.conf", "HCLG.fst"),
    ("final.mdl", "mfcc.conf", "HCLr.fst", "Gr.fst"),
)


@dataclass(frozen=True)
class KnownModel:
    """A row of the known-models table (audio_models/data/vosk_models.toml)."""

    name: str
    url: str
    size: int
    language: str
    description: str


@dataclass(frozen=True)
class InstalledModel:
    """A model this computer has: ``source`` is "store" (in the data folder) or "folder" (added);
    ``kind`` is "vosk" or "whisper"."""

    name: str
    path: Path
    source: str
    size: int
    valid: bool
    kind: str = "vosk"


def known_models() -> list[KnownModel]:
    """The known-models table, in order of preference."""
    text = resources.files("audio_models").joinpath("data/vosk_models.toml").read_text("utf-8")
    return [KnownModel(**row) for row in tomllib.loads(text)["model"]]


def _known_names() -> tuple[list[str], list[str]]:
    """The names of the known Vosk models, then of the known Whisper models, each in order."""
    return [k.name for k in known_models()], [k.name for k in known_whisper_models()]


def vosk_model_problem(path: Path) -> str | None:
    """None if ``path`` is laid out like an unpacked Vosk model, else what is wrong with it."""
    if not path.exists():
        return "does not exist"
    if not path.is_dir():
        return "is not a folder"
    if any(all((path / f).is_file() for f in files) for files in LAYOUTS):
        return None
    if is_whisper_folder(path):
        return "holds a Whisper model, not a Vosk one"
    return "has no Vosk model files (am/final.mdl, conf/model.conf and a graph/ folder)"


def _disk_size(path: Path) -> int:
    files = (os.path.join(folder, f) for folder, _, names in os.walk(path) for f in names)
    return sum(os.lstat(f).st_size for f in files if os.path.lexists(f))


def _stale(folder: Path) -> bool:
    """Whether a ``.partial-<pid>-*`` folder was left by a process that has since ended."""
    pid = folder.name.split("-")[1]  # the glob ".partial-*" guarantees a second part
    if os.name != "posix" or not pid.isdigit():  # on Windows os.kill(pid, 0) kills
        return time.time() - folder.stat().st_mtime > 24 * 3600
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return True
    except OSError:  # EPERM: it runs, as another user
        return False
    return False


class ModelStore:
    """Installs, registers and removes Vosk and Whisper models, and chooses one; never prints."""

    def __init__(self, data_dir: Path | None = None, timeout: float = TIMEOUT) -> None:
        chosen = data_dir or os.environ.get(DATA_DIR_VARIABLE)
        default = platformdirs.user_data_dir("voice-coach", appauthor=False)
        self.data_dir = Path(chosen or default).expanduser()
        self.models_root = self.data_dir / "models"
        self.vosk_dir = self.models_root / "vosk"
        self.whisper_dir = self.models_root / "whisper"
        self.registry_path = self.models_root / "added.json"
        self.timeout = timeout

    def known(self) -> list[KnownModel]:
        """The known Vosk models table, in order of preference."""
        return known_models()

    def known_whisper(self) -> list[KnownWhisperModel]:
        """The known Whisper models table, smallest first."""
        return known_whisper_models()

    def installed(self) -> list[InstalledModel]:
        """Every installed or added model: Vosk ones in the order ``find_vosk_model`` prefers
        them, then Whisper ones.

        Known models come first in table order (the small Vosk model first: it loads in about a
        second and the coach's few dozen fixed phrases gain little from a bigger graph), then
        the others by name. A model in the data folder hides an added folder of the same name.
        """
        models: dict[str, InstalledModel] = {}
        for kind, root in (("vosk", self.vosk_dir), ("whisper", self.whisper_dir)):
            if root.is_dir():
                for child in sorted(root.iterdir()):
                    if child.is_dir() and not child.name.startswith("."):
                        models.setdefault(
                            child.name, self._describe(child.name, child, "store", kind)
                        )
        for kind, folders in self._registry().items():
            for name, folder in folders.items():
                models.setdefault(name, self._describe(name, Path(folder), "folder", kind))
        rank = {name: i for table in _known_names() for i, name in enumerate(table)}
        return sorted(
            models.values(),
            key=lambda m: (m.kind != "vosk", rank.get(m.name, len(rank)), m.name),
        )

    def get(self, name: str) -> InstalledModel | None:
        """The installed or added model called ``name``, if any."""
        return next((m for m in self.installed() if m.name == name), None)

    def path(self, name: str) -> Path:
        """The folder of the installed or added model ``name``, or ModelError."""
        return self._require(name).path

    def find_vosk_model(self, explicit: str | Path | None = None) -> Path | None:
        """The Vosk model folder to use, or None when there is none.

        Precedence: ``explicit`` (``--model``), then ``$VOICE_COACH_VOSK_MODEL``, then the first
        valid model of ``installed()``. Either override may be a folder or an installed model's
        name; an override that is not a model folder raises ModelError naming it and the fix.
        """
        if explicit:
            return self._resolve(explicit, "--model")
        from_environment = os.environ.get(MODEL_VARIABLE)
        if from_environment:
            return self._resolve(from_environment, MODEL_VARIABLE)
        return next((m.path for m in self.installed() if m.valid and m.kind == "vosk"), None)

    def find_whisper_model(self, value: str | Path) -> Path | None:
        """The Whisper model folder ``value`` names (a folder, or an installed or added model's
        name), or None when it names something else, such as a Vosk model."""
        path = Path(value).expanduser()
        if path.exists():
            return path.resolve() if is_whisper_folder(path) else None
        model = self.get(str(value))
        return model.path.resolve() if model is not None and model.kind == "whisper" else None

    def install(
        self, name: str, progress: ProgressCallback | None = None, force: bool = False
    ) -> InstalledModel:
        """Download, verify and unpack the known model ``name``; a no-op if already installed.

        Sizes and checksums come from the publisher's list (Vosk's model list, or the Hugging
        Face listing of a Whisper model's files), fetched alongside; without it nothing is
        installed. Any failure (or KeyboardInterrupt) leaves no trace behind.
        """
        spec = next((k for k in known_models() if k.name == name), None)
        whisper = next((k for k in known_whisper_models() if k.name == name), None)
        if spec is None and whisper is None:
            known = ", ".join(name for table in _known_names() for name in table)
            raise ModelError(
                f"{name} is not a known Vosk model or Whisper model; choose one of: {known}."
            )
        existing = self.get(name)
        if existing is not None and existing.valid and not force:
            return existing
        if whisper is not None:
            with self._partial() as work:
                download_whisper_model(whisper, work / "model", progress, self.timeout)
                self._move_into_store(work / "model", work, name, "whisper")
            return self._describe(name, self.whisper_dir / name, "store", "whisper")
        assert spec is not None  # a known name that is not Whisper's is Vosk's
        base = os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
        base = base if base.endswith("/") else base + "/"
        url = spec.url if base == DEFAULT_BASE_URL else base + spec.url.rsplit("/", 1)[-1]
        with self._partial() as work:
            size, md5 = self._published(base + MODEL_LIST, name)
            archive = download(url, work, size, md5, progress, self.timeout)
            self._unpack_into_store(archive, work, name, size, label=url)
        return self._describe(name, self.vosk_dir / name, "store")

    def add(self, path: str | Path, name: str | None = None) -> InstalledModel:
        """Register a model folder the user has (Vosk or Whisper, told apart by their files), or
        unpack a Vosk model archive into the store."""
        source = Path(path).expanduser()
        if source.is_dir():
            kind = "whisper" if is_whisper_folder(source) else "vosk"
            problem = whisper_model_problem(source) if kind == "whisper" else None
            if kind == "whisper" and problem is None:
                # Loaded now, not at the next session: a multilingual or damaged model is
                # refused here, where the user can still act on it.
                reason = whisper_load_problem(source)
                problem = reason and f"does not load as an English-only Whisper model ({reason})"
            if problem:
                raise ModelError(
                    f"The folder {source} {problem}; give the whole folder of a converted "
                    "English-only Whisper model or run `voice-coach models install "
                    "whisper-base.en`."
                )
            if kind == "vosk":
                self._check(source, f"The folder {source}")
            name = self._new_name(name or source.resolve().name)
            self._register(name, source.resolve(), kind)
            return self._describe(name, source.resolve(), "folder", kind)
        if not source.is_file():
            raise ModelError(
                f"{source} does not exist; give a Vosk or Whisper model folder or a Vosk model "
                "archive."
            )
        suffix = next((s for s in ARCHIVE_SUFFIXES if source.name.endswith(s)), source.suffix)
        name = self._new_name(name or source.name.removesuffix(suffix))
        with self._partial() as work:
            self._unpack_into_store(source, work, name, source.stat().st_size, str(source))
        return self._describe(name, self.vosk_dir / name, "store")

    def remove(self, name: str) -> InstalledModel:
        """Forget ``name``: delete it from the store, or unregister an added folder (kept)."""
        model = self._require(name)
        if model.source == "folder":
            self._register(name, None)
        else:
            with self._partial() as work:  # rename first: a half-deleted model never looks valid
                os.rename(model.path, work / "old")
        return model

    def _require(self, name: str) -> InstalledModel:
        model = self.get(name)
        if model is None:
            raise ModelError(f"No model is named {name}; `voice-coach models list` shows them.")
        return model

    def _describe(self, name: str, path: Path, source: str, kind: str = "vosk") -> InstalledModel:
        problem = whisper_model_problem(path) if kind == "whisper" else vosk_model_problem(path)
        return InstalledModel(name, path, source, _disk_size(path), not problem, kind)

    def _check(self, path: Path, what: str, fix: str = "") -> None:
        problem = vosk_model_problem(path)
        if problem:
            fix = fix or f"point it at an unpacked Vosk model folder or {INSTALL_HINT}"
            raise ModelError(f"{what} {problem}; {fix}.")

    def _resolve(self, value: str | Path, origin: str) -> Path:
        path = Path(value).expanduser()
        model = None if path.exists() else self.get(str(value))
        path = model.path if model is not None else path
        self._check(path, f"The Vosk model folder {path} (from {origin})")
        return path.resolve()

    def _new_name(self, name: str) -> str:
        if not NAME_PATTERN.fullmatch(name):
            raise ModelError(
                f"{name!r} cannot name a model; use --name with letters, digits, '.', '-' or '_'."
            )
        if self.get(name) is not None:
            raise ModelError(
                f"A model named {name} is already installed; choose another with --name or "
                f"run `voice-coach models remove {name}` first."
            )
        return name

    @contextmanager
    def _partial(self) -> Iterator[Path]:
        """A fresh work folder beside the store, removed on exit whatever happens."""
        self.models_root.mkdir(parents=True, exist_ok=True)
        for folder in self.models_root.glob(".partial-*"):
            if _stale(folder):
                shutil.rmtree(folder, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".partial-{os.getpid()}-", dir=self.models_root))
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _published(self, list_url: str, name: str) -> tuple[int, str]:
        """The size and md5 of ``name`` in the publisher's model list."""
        try:
            listing = fetch_json(list_url, self.timeout)
        except DownloadError as error:
            raise ModelError(
                f"Could not fetch the model list {list_url} ({error.reason}) that verifies {name}, "
                "so nothing was installed; check your internet connection and try again."
            ) from error
        rows = listing if isinstance(listing, list) else []
        row = next((r for r in rows if isinstance(r, dict) and r.get("name") == name), {})
        size, md5 = row.get("size"), row.get("md5")
        if type(size) is not int or size <= 0 or not MD5_PATTERN.fullmatch(str(md5)):
            raise ModelError(
                f"The model list {list_url} gives no size and md5 for {name}, so it cannot be "
                "verified and was not installed; try again later."
            )
        return size, str(md5)

    def _unpack_into_store(
        self, archive: Path, work: Path, name: str, size: int, label: str
    ) -> None:
        cap = UNPACK_FACTOR * max(size, 1 << 20)
        unpacked = extract_archive(archive, work / "model", cap, label)
        fix = "it is not a Vosk model archive"
        self._check(unpacked, f"The archive {label} unpacks to a folder that", fix)
        self._move_into_store(unpacked, work, name, "vosk")

    def _move_into_store(self, folder: Path, work: Path, name: str, kind: str) -> None:
        """Rename a finished model folder into the store in one step: it is whole or absent."""
        root = self.whisper_dir if kind == "whisper" else self.vosk_dir
        root.mkdir(parents=True, exist_ok=True)
        target = root / name
        if target.exists():  # only with install --force or over a broken copy
            os.rename(target, work / "old")
        os.rename(folder, target)
        if any(name in folders for folders in self._registry().values()):
            self._register(name, None)

    def _registry(self) -> dict[str, dict[str, str]]:
        """The added folders by kind: {"vosk": {name: folder}, "whisper": {name: folder}}."""
        try:
            data = json.loads(self.registry_path.read_text("utf-8"))
        except FileNotFoundError:
            return {"vosk": {}, "whisper": {}}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = None
        data = data if isinstance(data, dict) else {}
        # Whisper folders have a key of their own: a version of voice-coach from before Whisper
        # models ignores it rather than trying them as Vosk models.
        kinds = {"vosk": data.get("folders"), "whisper": data.get("whisper_folders", {})}
        for folders in kinds.values():
            if not isinstance(folders, dict) or not all(
                isinstance(v, str) for v in folders.values()
            ):
                raise ModelError(
                    f"The list of added models {self.registry_path} is damaged; delete it and add "
                    "your model folders again with `voice-coach models add PATH`."
                )
        return kinds

    def _register(self, name: str, folder: Path | None, kind: str = "vosk") -> None:
        """Record (or, with None, forget) an added folder; written whole, then renamed."""
        kinds = self._registry()
        for folders in kinds.values():
            folders.pop(name, None)
        if folder is not None:
            kinds[kind][name] = str(folder)
        self.models_root.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "folders": kinds["vosk"], "whisper_folders": kinds["whisper"]}
        text = json.dumps(document, indent=2, sort_keys=True)
        temporary = self.registry_path.with_name(f".added-{os.getpid()}.json")
        temporary.write_text(text + "\n", "utf-8")
        os.replace(temporary, self.registry_path)
