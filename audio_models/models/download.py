"""Streaming HTTP(S) downloads that check what arrived: size, checksum, and the whole body.

Only ``http`` and ``https`` addresses are accepted. A body that ends early (a dropped
connection, a server that closes before its Content-Length) is an error, never a shorter
file: ``http.client`` returns short reads silently, so the bytes are counted here. The checksum
is computed while the bytes stream in: md5 for Vosk's model list, sha256 and git's blob sha1 for
the files Hugging Face lists.
Library code: no printing; progress is reported through a callback.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audio_models.errors import ModelError

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done_bytes, total_bytes)``; ``total_bytes`` is 0 when unknown."""

CHUNK = 1 << 16
TIMEOUT = 30.0
USER_AGENT = "voice-coach (model download)"


@dataclass(frozen=True)
class Checksum:
    """What a download must hash to: ``algorithm`` is a hashlib name, ``expected`` its hex digest.

    ``prefix`` is hashed before the body: git names a file by the sha1 of ``blob <size>\\0``
    followed by the content, and Hugging Face lists small files by that name only.
    """

    algorithm: str
    expected: str
    prefix: bytes = b""

    @classmethod
    def git_blob(cls, sha1: str, size: int) -> Checksum:
        """The checksum of a file git (and Hugging Face's listing) names by ``sha1``."""
        return cls("sha1", sha1, b"blob %d\0" % size)

    def name(self) -> str:
        """How messages call it: "md5", "sha256", "git blob sha1"."""
        return f"git blob {self.algorithm}" if self.prefix else self.algorithm


class DownloadError(ModelError):
    """A download failed; ``reason`` is the short cause, for callers that add their own context."""

    def __init__(self, message: str, reason: object) -> None:
        super().__init__(message)
        self.reason = str(reason) or type(reason).__name__


def _open(url: str, timeout: float) -> Any:
    """An open HTTP response for ``url``, or ModelError naming the address and the reason."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ModelError(f"Cannot download {url}: only http:// and https:// addresses are used.")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        reason = f"HTTP {error.code} {error.reason}"
        raise DownloadError(
            f"The server refused {url} ({reason}); check the address or try again later.", reason
        ) from error
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as error:
        cause: object = getattr(error, "reason", None) or error
        raise DownloadError(
            f"Could not reach {url} ({cause}); check your internet connection and try again.",
            cause,
        ) from error


def _dropped(url: str, error: BaseException) -> DownloadError:
    reason = str(error) or type(error).__name__
    return DownloadError(f"The download of {url} broke off ({reason}); try again.", reason)


def _content_length(response: Any) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def download(
    url: str,
    folder: Path,
    expected_size: int,
    checksum: Checksum | str | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = TIMEOUT,
) -> Path:
    """Download ``url`` into a new file in ``folder``; returns its path.

    The body must be exactly ``expected_size`` bytes and, when given, match ``checksum`` (a
    plain string is an md5, as Vosk's model list gives); otherwise ModelError. Any failure (or
    an exception from ``progress``, such as KeyboardInterrupt) removes the partly written file
    before propagating.
    """
    name = Path(urlsplit(url).path).name or "download"
    path = Path(folder) / name
    if isinstance(checksum, str):
        checksum = Checksum("md5", checksum)
    # md5 detects damage, not tampering; saying so keeps FIPS builds of Python from refusing it.
    weak = checksum is None or checksum.algorithm == "md5"
    digest = hashlib.new(checksum.algorithm if checksum else "md5", usedforsecurity=not weak)
    if checksum is not None:
        digest.update(checksum.prefix)
    done = 0
    try:
        with _open(url, timeout) as response, open(path, "xb") as out:
            declared = _content_length(response)
            if declared is not None and declared != expected_size:
                raise ModelError(
                    f"The server offers {declared} bytes for {url} but {expected_size} were "
                    "expected; the file has changed or the address is wrong, so it was not used."
                )
            if progress:
                progress(0, expected_size)
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (HTTPException, OSError) as error:
                    raise _dropped(url, error) from error
                if not chunk:
                    break
                done += len(chunk)
                if done > expected_size:
                    raise ModelError(
                        f"The server sent more than the expected {expected_size} bytes for "
                        f"{url}; the file has changed or the address is wrong."
                    )
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, expected_size)
        if done < expected_size:
            raise ModelError(
                f"The download of {url} stopped after {done} of {expected_size} bytes; try again."
            )
        if checksum is not None and digest.hexdigest() != checksum.expected.lower():
            raise ModelError(
                f"The file downloaded from {url} has the wrong checksum ({checksum.name()} "
                f"{digest.hexdigest()}, expected {checksum.expected}); it is damaged, try again "
                "later."
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def fetch_json(url: str, timeout: float = TIMEOUT, max_bytes: int = 8 << 20) -> Any:
    """The JSON document at ``url`` (at most ``max_bytes``), or ModelError saying why not."""
    with _open(url, timeout) as response:
        try:
            body = response.read(max_bytes + 1)
        except (HTTPException, OSError) as error:
            raise _dropped(url, error) from error
        declared = _content_length(response)
    if len(body) > max_bytes:
        reason = f"larger than {max_bytes} bytes"
        raise DownloadError(f"{url} is {reason}; check the address.", reason)
    if declared is not None and len(body) != declared:
        raise _dropped(url, EOFError(f"{len(body)} of {declared} bytes"))
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = f"not valid JSON: {error}"
        raise DownloadError(f"{url} is {reason}; check the address.", reason) from error
