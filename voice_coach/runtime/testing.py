"""A stand-in for the recognition side of a voice session, beside the seam it fills.

``ScriptedUser`` is an ``UtteranceSource`` (what ``runtime.listener.Listener`` is to a session)
driven by a script of conditions on a ``MockClock``: a test runs the real session loop, coach,
speech output and echo filter against it, a minute of session in milliseconds. The audio-side
fakes (speaker, microphone, recognizer) are in ``audio_models.testing``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voice_coach.runtime.clock import MockClock
from voice_coach.runtime.listener import Utterance

DECODE_DELAY = 0.4  # end of the user's speech -> transcript, as PocketSphinx takes live


@dataclass
class Step:
    when: Callable[[], bool]
    do: str | Callable[[], None]  # words the user says, or something that happens
    length: float = 0.5  # seconds the words take to say


class ScriptedUser:
    """The recognizer side: says each step's words once its condition holds.

    The transcript arrives ``decode_delay`` after the words end, as it would from a recognizer,
    and time only moves forward through ``next``'s waiting, like the real listener's queue.
    """

    def __init__(
        self, clock: MockClock, steps: list[Step], decode_delay: float = DECODE_DELAY
    ) -> None:
        self.clock = clock
        self.steps = list(steps)
        self.decode_delay = decode_delay
        self.pending: list[Utterance] = []
        self.said: list[Utterance] = []
        self.expected: list[tuple[tuple[str, ...], ...]] = []  # what the session told it, in turn

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        self.expected.append(tuple(tuple(group) for group in answers))

    def next(self, timeout: float) -> Utterance | None:
        now = self.clock.monotonic()
        while self.steps and self.steps[0].when():
            step = self.steps.pop(0)
            if callable(step.do):
                step.do()
            else:
                end = now + step.length
                self.pending.append(Utterance(step.do, 0.9, now, end, end + self.decode_delay))
        if self.pending and self.pending[0].decoded_at <= now + timeout:
            utterance = self.pending.pop(0)
            self.clock.advance_to(utterance.decoded_at)
            self.said.append(utterance)
            return utterance
        self.clock.sleep(timeout)
        return None
