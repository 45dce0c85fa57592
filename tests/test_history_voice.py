"""A voice session records itself through the same recorder as a text session."""

from __future__ import annotations

from tests.history_records import DAY0
from tests.test_voice_session import Rig
from voice_coach.runtime.history_read import read_sessions
from voice_coach.runtime.history_recorder import HistoryRecorder
from voice_coach.runtime.history_store import HistoryStore
from voice_coach.runtime.testing import Step


def test_a_voice_session_completes_its_history_row(tmp_path):
    store = HistoryStore.open(tmp_path / "history.db", note=print)
    recorder = HistoryRecorder(store, note=print)
    rig = Rig()
    rig.session.observer = recorder
    rig.user.steps = [Step(rig.quiet, "start")]
    recorder.started(rig.coach.routine.name, wall_clock=lambda: DAY0)
    rig.run()
    recorder.close()
    (session,) = read_sessions(store.connection)
    store.close()
    assert session.finished and session.routine == "upper-back"
    assert "7 of 7 spots" in session.summary and session.seconds > 600
