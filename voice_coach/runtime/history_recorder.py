"""The history recorder: stores the records the coach emits, as they come.

A session hands it every action the coach returns; records are written at once (one short
transaction each), so a crash or a kill loses at most the spot in progress. A write that fails
(disk full, file gone) is said once and recording stops: the session itself goes on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime

from voice_coach.core.events import Action, BallChosen, SessionFinished
from voice_coach.core.records import ExchangeRecord, SpotRecord, StretchRecord
from voice_coach.runtime.history_store import HistoryStore, utc_now


class HistoryRecorder:
    """Records one session into a ``HistoryStore``."""

    def __init__(self, store: HistoryStore, note: Callable[[str], None] = print) -> None:
        self.store = store
        self._note = note
        self.session: int | None = None
        self._wall_clock: Callable[[], datetime] = utc_now
        self._spots = 0
        self._seconds = 0.0
        self._ended = False
        self._failed = False

    def started(
        self, routine: str, ball: str | None = None, wall_clock: Callable[[], datetime] = utc_now
    ) -> None:
        """The session begins now (by ``wall_clock``): its row is written at once."""
        self._wall_clock = wall_clock
        self._guard(lambda: self._start(routine, ball))

    def observe(self, actions: Iterable[Action]) -> None:
        """Store the records among ``actions``; ``SessionFinished`` completes the session."""
        if self.session is None or self._failed:
            return
        for action in actions:
            self._guard(lambda action=action: self._store(action))  # type: ignore[misc]

    def close(self) -> None:
        """The session is over (finished, interrupted or failed): end its row.

        The store stays open: whoever opened it closes it.
        """
        if self.session is not None and not self._ended and not self._failed:
            session = self.session
            self._guard(
                lambda: self.store.end_session(
                    session, self._wall_clock(), self._seconds, "", finished=False
                )
            )

    def _start(self, routine: str, ball: str | None) -> None:
        self.session = self.store.start_session(self._wall_clock(), routine, ball)

    def _store(self, action: Action) -> None:
        session = self.session
        assert session is not None
        at = getattr(action, "at", None)
        if isinstance(at, float | int):
            self._seconds = max(self._seconds, float(at))
        if isinstance(action, SpotRecord):
            self._spots += 1
            self.store.add_spot(session, self._spots, action)
        elif isinstance(action, StretchRecord):
            self.store.add_stretch(session, action)
        elif isinstance(action, ExchangeRecord):
            self.store.count_exchange(session, action.kind)
        elif isinstance(action, BallChosen):
            self.store.set_ball(session, action.kind_id)
        elif isinstance(action, SessionFinished) and not self._ended:
            self.store.end_session(
                session, self._wall_clock(), action.at, action.summary, finished=True
            )
            self._ended = True

    def _guard(self, write: Callable[[], None]) -> None:
        if self._failed:
            return
        try:
            write()
        except (sqlite3.Error, OSError) as error:
            self._failed = True
            self._note(f"cannot write the session history ({error}); the rest of this "
                       "session is not recorded.")  # fmt: skip
