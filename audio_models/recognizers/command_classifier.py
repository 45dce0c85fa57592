"""Which command, if any, an utterance is, read straight off Whisper's encoder output.

Whisper's decoder writes English; the coach needs to know which of a dozen commands, if any, was
said. Its encoder has already heard the audio, so a linear model over the utterance's encoder
frames (their mean and their maximum, standardised) answers the second question for about a
millisecond. It is trained by ``scripts/train_command_classifier.py`` on real speakers and
synthetic voices of the catalog's phrases, in real room noise and real babble, and its weights
ship beside this file (``data/command_classifier.npz``, a few tens of kilobytes).

Its classes are phrases (one plainest phrase per command, and "" for none of them), so the
recognizer that uses it needs to know phrases, never intents. The weights fit one encoder only:
they name the model's width and the recognizer uses them only with the model they were trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from audio_models.errors import ModelError

NONE = ""  # the class "none of the commands"
PACKAGED = "command_classifier.npz"


SEGMENTS = 3  # the utterance's frames are also averaged in this many equal parts, in order


def pooled(encoded: np.ndarray, speech: tuple[int, int]) -> np.ndarray:
    """The features of one utterance: the mean and the maximum of its encoder frames, and the
    means of its first, middle and last thirds (the order of the sounds: "stop" is not "pots")."""
    start, end = speech
    frames = encoded[0, start : max(end, start + SEGMENTS)].astype(np.float32)
    parts = np.array_split(frames, SEGMENTS)
    return np.concatenate(
        [frames.mean(axis=0), frames.max(axis=0), *(p.mean(axis=0) for p in parts)]
    )


@dataclass(frozen=True)
class CommandClassifier:
    """A softmax over standardised pooled encoder features; ``labels`` are phrases, "" none."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    encoder: str  # the model whose encoder the weights were trained on ("whisper-tiny.en")

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Each label's probability for one utterance's ``pooled`` features."""
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def ranked(self, features: np.ndarray) -> list[tuple[str, float]]:
        """(label, probability) pairs, the likeliest first."""
        p = self.probabilities(features)
        return sorted(zip(self.labels, map(float, p), strict=True), key=lambda x: -x[1])

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            encoder=np.array(self.encoder),
        )


def load(path: str | Path | None = None) -> CommandClassifier:
    """The classifier in ``path``, by default the one shipped with the package."""
    try:
        if path is None:
            with resources.as_file(resources.files("audio_models") / "data" / PACKAGED) as file:
                data = dict(np.load(file))
        else:
            data = dict(np.load(path))
        return CommandClassifier(
            labels=tuple(str(label) for label in data["labels"]),
            weights=data["weights"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            mean=data["mean"].astype(np.float32),
            scale=data["scale"].astype(np.float32),
            encoder=str(data["encoder"]),
        )
    except (OSError, KeyError, ValueError) as error:
        raise ModelError(
            f"The command classifier's weights could not be read ({error}); reinstall "
            "voice-coach (`make run`), or rebuild them with scripts/train_command_classifier.py."
        ) from error
