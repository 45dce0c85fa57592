"""Runs a recognizer in a child process, behind the same ``Recognizer`` protocol.

PocketSphinx holds Python's GIL for the whole of a decode (measured: a 5 s utterance blocked
every other thread for 1.7 s). In a live session that starves the audio callbacks: the speaker
underruns and the countdown stutters. In its own process the decoder can take the time it needs
while the parent's speech, timing and device threads run on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from audio_models.errors import AudioModelsError, EngineUnavailable
from audio_models.recognizers.protocol import Recognizer
from audio_models.types import Transcript

START_TIMEOUT = 30.0  # seconds for the child to import and load its engine
FLUSH_TIMEOUT = 30.0


class ProcessRecognizer:
    """``factory(*args)`` builds the recognizer in a child; results come back as they are ready."""

    def __init__(self, factory: Callable[..., Recognizer], *args: Any, wait: bool = True) -> None:
        """With ``wait`` false it returns once the child is started: call ``wait_ready`` before
        using it (the caller can load something else while the child loads its engine)."""
        context = multiprocessing.get_context("spawn")  # no fork of a process with audio threads
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, factory, args), name="voice-coach-recognizer", daemon=True
        )
        self._process.start()
        child.close()
        self.description = ""
        self._ready: list[Transcript] = []
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Until the child has loaded its engine; raises its error (after closing) if it failed."""
        if self.description:
            return
        if not self._conn.poll(START_TIMEOUT):
            self.close()
            raise EngineUnavailable("The speech recognizer did not start within 30 seconds.")
        kind, value = self._conn.recv()
        if kind == "error":
            self.close()
            raise value
        self.description = str(value)

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Send audio; return whatever transcripts the child has finished so far."""
        self._send(("audio", pcm))
        return self._collect()

    def flush(self) -> list[Transcript]:
        """Finish the stream and wait for its last transcripts."""
        self._send(("flush", None))
        while True:
            if not self._conn.poll(FLUSH_TIMEOUT):
                raise EngineUnavailable("The speech recognizer stopped answering.")
            kind, value = self._conn.recv()
            if kind == "flushed":
                out, self._ready = [*self._ready, *value], []
                return out
            self._take(kind, value)

    def reset(self) -> None:
        self._send(("reset", None))

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """Pass the open question's answers on; audio sent after this is heard with them."""
        self._send(("expect", [list(group) for group in answers]))

    def close(self) -> None:
        """Stop the child process."""
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("close", None))
        self._process.join(timeout=2.0)
        if self._process.is_alive():
            self._process.kill()
        self._conn.close()

    def _send(self, message: tuple[str, Any]) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as error:
            reason = (
                f"The speech recognizer process has ended ({error}); voice commands are off "
                "until voice-coach is restarted."
            )
            raise EngineUnavailable(reason) from error

    def _collect(self) -> list[Transcript]:
        while self._conn.poll():
            self._take(*self._conn.recv())
        out, self._ready = self._ready, []
        return out

    def _take(self, kind: str, value: Any) -> None:
        if kind == "results":
            self._ready.extend(value)
        elif kind == "error":
            raise value


def _serve(conn: Connection, factory: Callable[..., Recognizer], args: tuple[Any, ...]) -> None:
    # Ctrl-C reaches the whole process group; the parent ends the session and then closes this
    # child, which must keep decoding until then rather than die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        recognizer = factory(*args)
    except AudioModelsError as error:
        conn.send(("error", error))
        return
    except Exception as error:  # anything else still reaches the parent as one sentence
        conn.send(("error", EngineUnavailable(f"The speech recognizer failed to load ({error}).")))
        return
    conn.send(("ready", recognizer.description))
    while True:
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "audio":
                results = recognizer.accept(value)
                if results:
                    conn.send(("results", results))
            elif kind == "flush":
                conn.send(("flushed", recognizer.flush()))
            elif kind == "reset":
                recognizer.reset()
            elif kind == "expect":
                recognizer.expect(value)
            elif kind == "close":
                return
        except Exception as error:  # report, keep serving: one bad chunk must not end a session
            conn.send(("error", EngineUnavailable(f"The speech recognizer failed ({error}).")))
