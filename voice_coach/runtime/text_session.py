"""Text mode: typed lines in place of microphone and recognizer, printed lines in place of speech.

Every printed line starts with the session time: ``[MM:SS.s] coach: ...`` for the coach and
``[MM:SS.s] you: <text> -> <intent>`` for each input. A line ``@<seconds> <text>`` is delivered at
that session time. Under the virtual clock nothing waits, and at the end of input the routine runs
to its end.
"""

from __future__ import annotations

import queue
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from intents.matcher import IntentMatch, IntentMatcher
from voice_coach.core.coach import Coach
from voice_coach.core.countdown import CountdownLines
from voice_coach.core.events import Action, Heard, Interrupted, Say, SessionStarted, Tick
from voice_coach.runtime.clock import MockClock, MonotonicClock

if TYPE_CHECKING:
    from voice_coach.runtime.observers import ActionObserver

MAX_INPUT_CHARS = 300  # longer lines are cut: nobody speaks a paragraph to a massage coach
_STAMP = re.compile(r"^@\s*(\S+)\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class ScriptLine:
    """One input line: its text and, for ``@`` lines, the session time to deliver it at."""

    text: str
    at: float | None = None
    problem: str = ""


def parse_script_line(raw: str) -> ScriptLine:
    """Clean a raw input line: control characters out, length capped, ``@`` stamp read."""
    text = "".join(
        " " if unicodedata.category(ch)[0] == "C" else ch for ch in raw.rstrip("\r\n")
    ).strip()
    problem = ""
    if len(text) > MAX_INPUT_CHARS:
        text, problem = text[:MAX_INPUT_CHARS].rstrip() + "…", "line too long, cut short"
    match = _STAMP.match(text)
    if not match:
        return ScriptLine(text, None, problem)
    try:
        at = float(match.group(1))
    except ValueError:
        return ScriptLine(text, None, f"{match.group(1)!r} is not a time in seconds")
    if not at >= 0 or at == float("inf"):
        return ScriptLine(match.group(2).strip(), None, "time stamp must be 0 or more seconds")
    return ScriptLine(match.group(2).strip(), at, problem)


def format_time(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"[{int(minutes):02d}:{rest:04.1f}]"


class TextSession:
    """Drives a ``Coach`` from text lines and prints what it says."""

    def __init__(self, coach: Coach, out: TextIO, matcher: IntentMatcher | None = None,
                 err: TextIO | None = None,
                 observer: ActionObserver | None = None):  # fmt: skip
        self.coach = coach
        self.observer = observer  # sees every action: the history recorder, the ball keeper
        self.out = out
        self.err = err or out
        self.matcher = matcher or IntentMatcher()
        self.countdown = CountdownLines()

    def run_virtual(self, lines: Iterable[str]) -> None:
        """Deliver every line without waiting; then run the routine to its end."""
        clock = MockClock()
        self._show(self.coach.handle(SessionStarted(at=0.0)))
        for raw in lines:
            line = parse_script_line(raw)
            target = clock.now() if line.at is None else max(line.at, clock.now())
            self._run_until(clock, target)
            self._deliver(line, clock.now())
            if self.coach.finished:
                return
        self._run_until(clock, float("inf"))
        self._end_of_input(clock.now())

    def run_real(self, lines: Iterable[str]) -> None:
        """Deliver lines as they arrive (``@`` lines at their time) on the monotonic clock."""
        clock = MonotonicClock()
        inbox: queue.Queue[ScriptLine | None] = queue.Queue()
        threading.Thread(target=_read_into, args=(lines, inbox), daemon=True).start()
        self._show(self.coach.handle(SessionStarted(at=0.0)))
        held: ScriptLine | None = None  # an @ line waiting for its time; later lines queue behind
        ended = False
        nothing = object()  # what the inbox gave when it timed out
        while not self.coach.finished:
            deadline = _earliest(self.coach.next_deadline(), self.countdown.next_at())
            if held is not None and held.at is not None:
                deadline = held.at if deadline is None else min(deadline, held.at)
            if ended and held is None and deadline is None:
                self._end_of_input(clock.now())
                return
            if held is None and not ended:
                timeout = None if deadline is None else max(0.0, deadline - clock.now())
                try:
                    item: ScriptLine | object | None = inbox.get(timeout=timeout)
                except queue.Empty:
                    item = nothing
                if item is None:
                    ended = True
                elif isinstance(item, ScriptLine):
                    held = item
            elif deadline is not None:
                _sleep_until(clock, deadline)
            self._show(self.countdown.pop_due(clock.now()))
            self._show(self.coach.handle(Tick(at=clock.now())))
            if held is not None and (held.at is None or held.at <= clock.now()):
                self._deliver(held, clock.now())
                held = None

    def stop(self, at: float) -> None:
        """End the session (Ctrl-C): the coach says its summary."""
        if not self.coach.finished:
            self._show(self.coach.handle(Interrupted(at=at)))

    def _end_of_input(self, at: float) -> None:
        # The coach is waiting for an answer (start, resume, softer...) that can no longer come.
        if not self.coach.finished:
            self._note("input ended while the coach was waiting for you; ending the session")
            self.stop(at)

    def _run_until(self, clock: MockClock, target: float) -> None:
        # The coach's deadlines and the countdown's numbers, in the order they fall due; on a
        # tie the coach goes first (its items were on its timeline before the numbers were).
        while True:
            deadline, number = self.coach.next_deadline(), self.countdown.next_at()
            due = _earliest(deadline, number)
            if due is None or due > target:
                break
            clock.advance_to(due)
            if deadline is not None and deadline <= due:
                self._show(self.coach.handle(Tick(at=deadline)))
            else:
                self._show(self.countdown.pop_due(due))
        if target != float("inf"):
            clock.advance_to(target)

    def _deliver(self, line: ScriptLine, at: float) -> None:
        if line.problem:
            self._note(line.problem)
        if not line.text:
            return
        match = self.matcher.match(line.text)
        shown = heard_as(match, self.coach.takes_as_ball(match.intent, match.ball))
        print(f"{format_time(at)} you: {line.text} -> {shown}", file=self.out)
        heard = Heard(
            intent=match.intent,
            text=line.text,
            at=at,
            confidence=match.confidence,
            near=match.near,
            answer=match.answer,
            ball=match.ball,
        )
        self._show(self.coach.handle(heard))

    def _show(self, actions: list[Action] | list[Say]) -> None:
        if self.observer is not None:
            self.observer.observe(actions)
        self.countdown.follow(actions)
        for action in actions:
            if isinstance(action, Say):
                print(f"{format_time(action.at)} coach: {action.text}", file=self.out)
        self.out.flush()

    def _note(self, text: str) -> None:
        print(f"voice-coach: {text}", file=self.err, flush=True)


def heard_as(match: IntentMatch | None, as_ball: bool = False) -> str:
    """How a transcript's meaning is shown: the intent, an answer, or the near misses;
    ``as_ball`` when the coach takes it as the answer to "which ball?" ("firm" is not harder)."""
    if match is None:
        return "none"
    if as_ball and match.ball:
        return f"ball: {match.ball}" + (" and start" if match.intent == "start" else "")
    if match.intent:
        return match.intent
    if match.answer:
        return match.answer
    if match.ball:
        return f"ball: {match.ball}"
    return f"none (nearly {' or '.join(match.near)})" if match.near else "none"


def _earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _read_into(lines: Iterable[str], inbox: queue.Queue) -> None:
    for raw in lines:
        inbox.put(parse_script_line(raw))
    inbox.put(None)


def _sleep_until(clock: MonotonicClock, deadline: float) -> None:
    # An absolute deadline, re-checked after each wake-up, so waits never accumulate drift.
    event = threading.Event()
    while (left := deadline - clock.now()) > 0:
        event.wait(left)


def stdin_lines(stream: TextIO) -> Iterator[str]:
    """Lines of a text stream whose undecodable bytes become U+FFFD instead of an error."""
    binary = getattr(stream, "buffer", None)
    if binary is None:
        yield from stream
        return
    for raw in binary:
        yield raw.decode("utf-8", errors="replace")
