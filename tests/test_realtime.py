"""Real-time scheduling of the audio callback threads: granted where allowed, harmless where not."""

from __future__ import annotations

import os
import threading

import pytest

from audio_models.devices import realtime


def run_in_thread(target):
    out = []
    thread = threading.Thread(target=lambda: out.append(target()))
    thread.start()
    thread.join()
    return out[0]


@pytest.mark.skipif(not hasattr(os, "SCHED_FIFO"), reason="no POSIX real-time scheduling here")
def test_a_promoted_thread_runs_fifo_and_the_rest_of_the_process_does_not():
    def promote():
        return realtime.promote_current_thread(), os.sched_getscheduler(0)

    granted, policy = run_in_thread(promote)
    if not granted:
        pytest.skip("this user may not use real-time scheduling (no RLIMIT_RTPRIO)")
    assert policy == os.SCHED_FIFO
    assert os.sched_getscheduler(0) != os.SCHED_FIFO  # the calling thread only, not the process


def test_a_refused_promotion_is_reported_not_raised(monkeypatch):
    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refuse, raising=False)
    assert run_in_thread(realtime.promote_current_thread) is False
