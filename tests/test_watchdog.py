"""The device watchdog: a stream that stops calling back is lost, reopened with back-off, back."""

from __future__ import annotations

from voice_coach.runtime.watchdog import STALL_AFTER, START_GRACE, DeviceWatchdog


class Stream:
    """A fake device stream: callbacks happen when the test says so."""

    def __init__(self) -> None:
        self.last_callback_at = 0.0
        self.reopens: list[float] = []
        self.fail = False

    def reopen(self) -> None:
        self.reopens.append(self.last_callback_at)
        if self.fail:
            raise OSError("device gone")


def test_a_stall_is_noticed_within_two_seconds_and_recovery_reported():
    mic = Stream()
    errors = []
    dog = DeviceWatchdog({"microphone": mic}, on_error=lambda n, e: errors.append((n, str(e))))
    assert dog.check(0.0) == []
    assert dog.check(START_GRACE - 0.1) == []  # the sound server may be slow to start
    mic.last_callback_at = t = START_GRACE
    assert dog.check(t + STALL_AFTER - 0.01) == []
    changes = dog.check(t + STALL_AFTER + 0.05)
    assert changes == [("lost", "microphone")]
    assert STALL_AFTER + 0.05 < 2.0
    assert dog.lost == ["microphone"]
    mic.last_callback_at = t + 3.0  # callbacks flow again after the reopen
    assert dog.check(t + 3.1) == [("back", "microphone")]
    assert dog.lost == []


def test_reopen_backs_off_while_the_device_stays_gone():
    mic = Stream()
    mic.fail = True
    errors = []
    dog = DeviceWatchdog({"microphone": mic}, on_error=lambda n, e: errors.append(n))
    times = [x / 10 for x in range(20, 300)]
    for now in times:
        dog.check(now)
    attempts = len(errors)
    # 28 s of absence with back-off 0.5, 1, 2, 4, 8, 8...: a handful of tries, not one per check
    assert 4 <= attempts <= 8
    assert dog.lost == ["microphone"]
