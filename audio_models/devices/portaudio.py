"""The machine's audio devices, through sounddevice (PortAudio), and the errors naming the fix."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from audio_models.errors import DeviceUnavailable

TEXT_MODE_HINT = "or run `voice-coach session --text`"


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device."""

    index: int
    name: str
    host_api: str
    inputs: int
    outputs: int
    default_rate: float
    is_default_input: bool
    is_default_output: bool


class Stream(Protocol):
    """What the devices use of a sounddevice stream (sounddevice ships no type hints)."""

    def start(self) -> None: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


def portaudio() -> ModuleType:
    """The sounddevice module; it fails to import when the PortAudio library is missing."""
    from audio_models.devices.alsa_errors import silence_alsa_errors

    # Before PortAudio initialises (on import), which is when ALSA starts printing.
    silence_alsa_errors()
    try:
        import sounddevice
    except OSError as error:
        raise DeviceUnavailable(
            "The audio library PortAudio is missing; install it with "
            "`apt-get install libportaudio2`."
        ) from error
    return sounddevice


def list_devices() -> list[DeviceInfo]:
    """Every input and output device PortAudio can see."""
    sd = portaudio()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as error:
        raise DeviceUnavailable(f"Audio devices cannot be listed ({error}).") from error
    return [
        DeviceInfo(
            index=d["index"],
            name=d["name"],
            host_api=apis[d["hostapi"]]["name"],
            inputs=d["max_input_channels"],
            outputs=d["max_output_channels"],
            default_rate=d["default_samplerate"],
            is_default_input=d["index"] == default_in,
            is_default_output=d["index"] == default_out,
        )
        for d in devices
    ]


def close_stream(stream: Stream | None) -> None:
    """Stop and release a stream, at once (queued audio is dropped)."""
    if stream is None:
        return
    try:
        stream.abort()
        stream.close()
    except Exception:  # the device may already be gone; nothing left to release
        pass


def open_stream_error(kind: str, device: int | str | None, error: Exception) -> DeviceUnavailable:
    """The one sentence for a microphone or speaker that cannot be opened."""
    which = "the default one" if device is None else repr(device)
    noun = "microphone" if kind == "microphone" else "speaker"
    return DeviceUnavailable(
        f"No usable {noun} ({which}: {error}); plug one in and choose it in your sound settings, "
        f"{TEXT_MODE_HINT}."
    )
