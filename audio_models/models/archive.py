"""Safe extraction of model archives (.zip, .tar.gz/.tgz and other tar files).

A model archive comes from the network or from the user, so it is treated as hostile:
- every entry must be a plain file or folder: absolute paths, ``..`` components, symlinks,
  hard links and device files are refused, so nothing can land outside the target folder;
- the bytes actually written are counted against a cap (declared sizes can lie), so a
  "zip bomb" stops at the cap instead of filling the disk;
- a single top-level folder (``vosk-model-small-en-us-0.15/...``) is stripped, so the target
  folder itself becomes the model folder.
On any failure the target folder is removed and ModelError says what was wrong.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Literal, Protocol

from audio_models.errors import ModelError

CHUNK = 1 << 16
# Finder adds these to zips made on macOS; they are metadata, never model files.
IGNORED_TOP = "__MACOSX"
# What zipfile/tarfile raise on truncated or corrupt data (RuntimeError covers encrypted and
# NotImplementedError for unknown compression methods).
DAMAGED = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, RuntimeError, ValueError)
# How each kind starts: a file that starts like one is that kind, however damaged its middle
# or end (is_zipfile reads the end, is_tarfile needs a whole first 512-byte header).
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
TarMode = Literal["r:gz", "r:bz2", "r:xz", "r:*"]
TAR_MODES: dict[bytes, TarMode] = {b"\x1f\x8b": "r:gz", b"BZh": "r:bz2", b"\xfd7zXZ\x00": "r:xz"}


def extract_archive(archive: Path, target: Path, max_bytes: int, label: str = "") -> Path:
    """Unpack ``archive`` into the new folder ``target`` (which must not exist); returns it.

    Raises ModelError if the archive is unreadable, unsafe, or unpacks to more than
    ``max_bytes``; the target folder is then removed. Messages call the archive ``label``
    (say, the address it came from), else its path.
    """
    archive, target = Path(archive), Path(target)
    writer = _Writer(label or str(archive), target, max_bytes)
    if target.exists():
        raise ModelError(f"Cannot unpack into {target} because it already exists; remove it first.")
    target.mkdir(parents=True)
    try:
        kind = _kind(archive, writer.label)
        if kind == "zip":
            _extract_zip(archive, writer)
        elif kind is not None:
            _extract_tar(archive, writer, kind)
        else:
            raise ModelError(
                f"{writer.label} is not a .zip or .tar.gz archive; give a model archive or an "
                "unpacked model folder."
            )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _kind(archive: Path, label: str) -> Literal["zip"] | TarMode | None:
    """ "zip", "tar" (compressed or not), or None for a file that is neither."""
    try:
        with open(archive, "rb") as file:
            head = file.read(512)
    except OSError as error:
        raise ModelError(f"Could not read {label} ({error.strerror or error}).") from error
    if head.startswith(ZIP_MAGIC) or _quietly(zipfile.is_zipfile, archive):
        return "zip"
    mode: TarMode | None = next(
        (m for magic, m in TAR_MODES.items() if head.startswith(magic)), None
    )
    if mode is None and _quietly(tarfile.is_tarfile, archive):
        mode = "r:*"  # is_tarfile knows the formats without a magic number
    return mode


def _quietly(test: Callable[[Path], bool], archive: Path) -> bool:
    # Both tests read the file and can fail on damaged data in ways they do not catch.
    try:
        return bool(test(archive))
    except (OSError, *DAMAGED):
        return False


def entry_parts(label: str, name: str) -> tuple[str, ...]:
    """The path components of an archive entry name, or ModelError if it could escape."""
    # Backslashes count as separators too: zips made on Windows may use them.
    unified = name.replace("\\", "/")
    parts = tuple(p for p in PurePosixPath(unified).parts if p not in ("", "."))
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise _unsafe(label, f"an absolute path ({name})")
    if ".." in parts:
        raise _unsafe(label, f"a path that leaves its folder ({name})")
    return parts


def _unsafe(label: str, what: str) -> ModelError:
    return ModelError(
        f"{label} contains {what}, which is unsafe to unpack; use the publisher's original archive."
    )


def _strip_top(entries: list[tuple[tuple[str, ...], bool]]) -> int:
    """1 if every entry sits below one shared top-level folder, else 0."""
    tops = {parts[0] for parts, _ in entries if parts}
    if len(tops) != 1:
        return 0
    # A lone top-level *file* is content, not a wrapper folder.
    wrapped = all(len(parts) > 1 or is_dir for parts, is_dir in entries if parts)
    return 1 if wrapped else 0


class _Readable(Protocol):
    """An entry's stream or a tar file's own stream: all ``_Writer.read`` needs."""

    def read(self, size: int, /) -> bytes: ...


class _Writer:
    """Writes entries below ``target`` while counting every byte against the cap."""

    def __init__(self, label: str, target: Path, max_bytes: int) -> None:
        self.label, self.target, self.max_bytes = label, target, max_bytes
        self.written = 0

    def check_declared(self, declared: int) -> None:
        """Refuse early when the sizes the archive declares already exceed the cap."""
        if declared > self.max_bytes:
            self._too_big()

    def folder(self, parts: tuple[str, ...]) -> None:
        """Create the folder for an entry."""
        self.target.joinpath(*parts).mkdir(parents=True, exist_ok=True)

    def file(self, parts: tuple[str, ...], source: IO[bytes]) -> None:
        """Copy one entry's bytes into a new file, counting them."""
        path = self.target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        # "xb": a duplicate entry must not silently replace an earlier file.
        with open(path, "xb") as out:
            while chunk := self.read(source):
                self.written += len(chunk)
                if self.written > self.max_bytes:
                    self._too_big()
                out.write(chunk)

    def read(self, source: _Readable) -> bytes:
        """The next chunk of an entry; a read error is damage, not a disk problem."""
        try:
            return source.read(CHUNK)
        except OSError as error:  # bz2 and gzip raise OSError subclasses on bad data
            raise _damaged(self.label, error) from error

    def _too_big(self) -> None:
        raise ModelError(
            f"{self.label} unpacks to more than {self.max_bytes / 1e6:.1f} MB, far more than "
            "a model of its size should; the archive is damaged or not a Vosk model."
        )


def _damaged(label: str, error: BaseException) -> ModelError:
    text = str(error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    return ModelError(f"{label} is damaged or incomplete ({reason}); download or copy it again.")


@contextmanager
def _reading(label: str) -> Iterator[None]:
    """Turn the many ways a damaged archive fails into one ModelError."""
    try:
        yield
    except ModelError:
        raise
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
        raise ModelError(f"{label} contains the same path twice; it is damaged.") from error
    except DAMAGED as error:
        raise _damaged(label, error) from error
    except OSError as error:
        raise ModelError(f"Could not unpack {label} ({error}); check the disk space.") from error


def _extract_zip(archive: Path, writer: _Writer) -> None:
    label = writer.label
    with _reading(label), zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        entries = []
        for info in infos:
            parts = entry_parts(label, info.filename)
            mode = info.external_attr >> 16
            # Unix zips keep the file type in the high 16 bits; 0 means "not recorded".
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
                raise _unsafe(label, f"{kind} ({info.filename})")
            if info.flag_bits & 0x1:
                raise ModelError(f"{label} is encrypted; give an archive without a password.")
            entries.append((parts, info.is_dir()))
        writer.check_declared(sum(info.file_size for info in infos))
        skip = _strip_top(entries)
        for info, (parts, is_dir) in zip(infos, entries, strict=True):
            rel = parts[skip:]
            if not rel or rel[0] == IGNORED_TOP:
                continue
            if is_dir:
                writer.folder(rel)
            else:
                with zf.open(info) as source:
                    writer.file(rel, source)


def _extract_tar(archive: Path, writer: _Writer, mode: TarMode) -> None:
    label = writer.label
    with _reading(label), tarfile.open(archive, mode) as tar:
        members = tar.getmembers()
        entries = []
        for member in members:
            parts = entry_parts(label, member.name)
            if member.issym() or member.islnk():
                raise _unsafe(label, f"a link ({member.name})")
            if not (member.isfile() or member.isdir()):
                raise _unsafe(label, f"a special file ({member.name})")
            entries.append((parts, member.isdir()))
        writer.check_declared(sum(m.size for m in members if m.isfile()))
        skip = _strip_top(entries)
        # Members come in archive order, so reading them in turn only ever seeks forward.
        for member, (parts, is_dir) in zip(members, entries, strict=True):
            rel = parts[skip:]
            if not rel or rel[0] == IGNORED_TOP:
                continue
            if is_dir:
                writer.folder(rel)
                continue
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                raise ModelError(f"{label} entry {member.name} has no data; it is damaged.")
            with source:
                writer.file(rel, source)
        # Read on to the end: a compressed stream cut after the last member still fails its
        # length and checksum there, and a model missing its tail is not one to install.
        while writer.read(tar.fileobj):
            pass
