"""Assembles a voice session from real devices and engines, degrading one clear step at a time.

No microphone, speaker or recognizer: one sentence, and the caller runs text mode instead. No
speech engine: one sentence, and the coach's lines are printed while the microphone still works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from audio_models.errors import AudioModelsError
from intents.catalog import default_catalog
from voice_coach.core.coach import Coach
from voice_coach.core.lines import NUMBER_WORDS
from voice_coach.runtime.clock import MonotonicClock
from voice_coach.runtime.listener import Listener
from voice_coach.runtime.speech_forecast import lines_ahead
from voice_coach.runtime.speech_output import SpeechOutput
from voice_coach.runtime.voice_session import Closeable, VoiceSession
from voice_coach.runtime.voices import make_synthesizer
from voice_coach.runtime.watchdog import DeviceWatchdog
from voice_coach.settings import Settings

if TYPE_CHECKING:  # the speech stack is imported only when a session is built
    from audio_models.tts import Synthesizer
    from voice_coach.runtime.observers import ActionObserver

TEXT_MODE = "This session runs in text mode instead: type start, harder, pause or stop."


def build_voice_session(
    coach: Coach,
    settings: Settings,
    print_line: Callable[[str], None],
    note: Callable[[str], None],
    observer: ActionObserver | None = None,
) -> VoiceSession | None:
    """A ready voice session, or None (after one sentence saying why) when text mode must do."""
    from audio_models.devices.microphone import Microphone
    from audio_models.devices.speaker import Speaker
    from audio_models.recognizers.recognizer_process import ProcessRecognizer
    from voice_coach.runtime.engines import make_recognizer

    try:
        microphone = Microphone(device=settings.input_device)
    except AudioModelsError as error:
        note(f"{error} {TEXT_MODE}")
        return None
    try:
        speaker = Speaker(device=settings.output_device, record=True)
    except AudioModelsError as error:
        microphone.close()
        note(f"{error} {TEXT_MODE}")
        return None
    # Its own process: a decode holds the GIL and would starve the audio callbacks. The voice
    # loads here while the child loads the recognizer, on the other core.
    recognizer = ProcessRecognizer(
        make_recognizer,
        settings.engine,
        default_catalog(),
        settings.model,
        True,
        coach.routine,
        wait=False,
    )
    synthesizer = _synthesizer(settings, note)
    try:
        recognizer.wait_ready()
    except AudioModelsError as error:
        microphone.close()
        speaker.close()
        for closeable in _closeable(synthesizer):
            closeable.close()
        note(f"{error} {TEXT_MODE}")
        return None
    # Said once, so that a user (or a bug report) knows which ears the coach has: under
    # --engine auto that depends on what is installed.
    note(f"Listening with {recognizer.description}.")
    clock = MonotonicClock()
    output = SpeechOutput(clock, print_line, note, synthesizer, speaker)
    output.prepare(lambda: lines_ahead(coach, default_catalog().names()))
    listener = Listener(
        microphone,
        recognizer,
        on_error=lambda e: note(f"recognizer: {e}"),
        playback=output,
        blank=NUMBER_WORDS,
        clock=clock,
    )
    watchdog = DeviceWatchdog(
        {"microphone": microphone, "speaker": speaker},
        on_error=lambda name, error: None,  # retried with back-off; the loss was already said
    )
    return VoiceSession(
        coach,
        output,
        listener,
        print_line,
        note,
        clock,
        watchdog=watchdog,
        devices=(microphone, speaker, recognizer, *_closeable(synthesizer)),
        observer=observer,
    )


def _synthesizer(settings: Settings, note: Callable[[str], None]) -> Synthesizer | None:
    try:
        synthesizer = make_synthesizer(settings.voice, settings.rate, settings.volume, note)
    except AudioModelsError as error:
        note(f"{error} The coach's lines are printed instead of spoken.")
        return None
    note(f"Speaking with {synthesizer.description}.")
    return synthesizer


def _closeable(synthesizer: Synthesizer | None) -> list[Closeable]:
    # The neural voice's render-ahead thread stops with the session.
    close = getattr(synthesizer, "close", None)
    return [synthesizer] if close is not None else []  # type: ignore[list-item]
