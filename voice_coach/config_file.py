"""Writing one setting into the config file, leaving everything else in it as it was.

The config file is the user's: their comments, order and spacing stay byte for byte. Only a
top-level ``key = ...`` line (one before the first ``[table]`` header) is replaced, or, when
there is none, one is inserted just before that header (at the end of a file without tables).
The new file is written beside the old one and moved over it, so a crash leaves one or the other
whole, never half of each.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

_TABLE_HEADER = re.compile(rb"^\s*\[")


def set_top_level(path: Path, key: str, value: str) -> None:
    """Set ``key = "value"`` at the top level of the TOML file at ``path``, creating the file and
    its folder if missing. OSError when it cannot be read or written; ValueError when it is not
    UTF-8 text (it would not be a config file the coach can read either)."""
    # A TOML basic string and a JSON string agree for the plain words this is given.
    assignment = f"{key} = {json.dumps(value)}".encode()
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    try:
        old.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text") from error
    new = _with_assignment(old, key.encode(), assignment)
    if _parses(old) is not None and (_parses(new) or {}).get(key) != value:
        # A layout the line-by-line edit misreads (a multi-line value that starts a line with
        # "["): leave the user's file as it is rather than break it.
        raise ValueError(f"cannot find where {key} goes in {path}; add {key} = {value!r} by hand")
    _write_atomically(path, new)


def _parses(text: bytes) -> dict | None:
    """The TOML document in ``text``; None when it is not valid TOML."""
    try:
        return tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def _with_assignment(text: bytes, key: bytes, assignment: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    newline = b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"
    ours = re.compile(rb"^\s*" + re.escape(key) + rb"\s*=")
    header = next((i for i, line in enumerate(lines) if _TABLE_HEADER.match(line)), len(lines))
    for i in range(header):
        if ours.match(lines[i]):
            ending = lines[i][len(lines[i].rstrip(b"\r\n")) :] or newline
            lines[i] = assignment + ending
            return b"".join(lines)
    if header == len(lines) and lines and not lines[-1].endswith(b"\n"):
        lines[-1] += newline  # the last line gets the end it lacked, so ours starts a line
    lines.insert(header, assignment + newline)
    return b"".join(lines)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():  # keep the user's permissions on their file
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
