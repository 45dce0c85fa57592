"""Hand-made records and sessions for the history tests (the coach emits them once hist-e is in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from voice_coach.core.events import Say, SessionFinished
from voice_coach.core.records import Exchange, ExchangeRecord, SpotRecord, StretchRecord
from voice_coach.runtime.history_recorder import HistoryRecorder
from voice_coach.runtime.history_store import HistoryStore

DAY0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def spot(
    spot_id: str = "rhomboid-left",
    final: str = "moderate",
    held: float = 20.0,
    pain: tuple[str, ...] = (),
    numb: bool = False,
    skipped: bool = False,
    at: float = 60.0,
    levels: tuple[str, ...] | None = None,
    completed: bool | None = None,
) -> SpotRecord:
    return SpotRecord(
        spot_id=spot_id,
        spot_name=spot_id.replace("-", " ").title(),
        levels=levels if levels is not None else (final,),
        final_level=final,
        held_seconds=held,
        pain_levels=pain,
        numbness=numb,
        skipped=skipped,
        at=at,
        completed=completed if completed is not None else not skipped and held > 0,
    )


def record_session(
    store: HistoryStore,
    started: datetime,
    spots: list[SpotRecord],
    routine: str = "upper-back",
    finished: bool = True,
) -> int:
    """One session through a recorder, as a text session would feed it."""
    recorder = HistoryRecorder(store, note=_fail)
    recorder.started(routine, ball=None, wall_clock=lambda: started)
    recorder.observe([Say("Welcome.", 0.0), ExchangeRecord(Exchange.COMMAND, "start", 1.0)])
    for record in spots:
        recorder.observe([record])
    recorder.observe([StretchRecord("arm-circles", 30.0, True, 400.0)])
    if finished:
        recorder.observe([Say("Done.", 500.0), SessionFinished("Done.", 500.0)])
    session = recorder.session
    assert session is not None
    recorder.close()
    return session


def days(n: float) -> timedelta:
    return timedelta(days=n)


def _fail(text: str) -> None:
    raise AssertionError(f"unexpected note: {text}")
