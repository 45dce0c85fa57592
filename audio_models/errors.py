"""Typed errors raised by audio_models; the CLI turns each into one sentence with the fix."""


class AudioModelsError(Exception):
    """Base class: the message is one user-facing sentence naming the problem and the fix."""


class EngineUnavailable(AudioModelsError):
    """A speech engine (recognizer or synthesizer) cannot be loaded or run."""


class ModelError(AudioModelsError):
    """A speech model is missing, corrupt, or cannot be installed."""


class AudioFormatError(AudioModelsError):
    """Audio data or an audio file cannot be read or converted."""


class DeviceUnavailable(AudioModelsError):
    """No usable microphone or speaker."""
