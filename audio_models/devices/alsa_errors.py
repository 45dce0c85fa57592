"""Keeps libasound's own error lines ("ALSA lib pcm.c:...: underrun occurred") off the terminal.

ALSA prints them to stderr from C, below PortAudio, so Python cannot catch them; during a
session they land in the middle of the coach's lines. libasound lets a program install its own
error handler: this one counts the messages instead of printing them. The speaker counts
underruns itself (``Speaker.underruns``), so nothing is lost. Without libasound (another OS,
or PortAudio built without ALSA) there is nothing to silence and nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
# The variadic tail is never read, so declaring the five fixed arguments is enough.
_HANDLER_TYPE = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_lock = threading.Lock()
_installed: object | None = None  # the callback must outlive every call libasound makes to it
messages = 0  # ALSA errors swallowed since the handler was installed


def _count(file: bytes, line: int, function: bytes, err: int, fmt: bytes) -> None:
    # Runs on PortAudio's audio thread at an underrun: do as little as possible.
    global messages
    messages += 1


def silence_alsa_errors() -> bool:
    """Install the counting handler once; True when libasound is there and now silenced."""
    global _installed
    with _lock:
        if _installed is not None:
            return True
        name = ctypes.util.find_library("asound") or "libasound.so.2"
        try:
            library = ctypes.CDLL(name)
            setter = library.snd_lib_error_set_handler
        except (OSError, AttributeError):
            return False
        handler = _HANDLER_TYPE(_count)
        setter.argtypes = [_HANDLER_TYPE]
        setter.restype = ctypes.c_int
        if setter(handler) != 0:
            return False
        _installed = handler
        return True
