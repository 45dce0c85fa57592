"""The intent catalog: every command the coach understands, loaded from ``catalog.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from intents.normalize import words
from intents.templates import TemplateError, expand

OPENINGS = 6  # polite openings or fillers put before each phrase in Catalog.sentences


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the intent and the problem."""


@dataclass(frozen=True)
class Intent:
    """One command: its name and every phrasing the catalog spells out for it."""

    name: str
    description: str
    phrases: tuple[str, ...]
    anywhere: bool = False  # recognised anywhere in an utterance, and outranks the rest
    # What the coach calls the command when it lists or asks ("Say next spot"): one of its
    # phrases, so that every recognizer hears it said back.
    spoken: str = ""


@dataclass(frozen=True)
class Language:
    """Word lists the matcher uses to look past politeness, hesitation and negation."""

    fillers: tuple[str, ...]
    carriers: tuple[str, ...]
    negators: tuple[str, ...]
    neutral: tuple[str, ...]
    interjections: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """All intents, in catalog order, plus the language word lists."""

    intents: tuple[Intent, ...]
    language: Language
    # "yes" and "no" to the phrases that say them: answers to the coach's questions, no intents.
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A kind of ball to the phrases that name it (answers to "which ball?"), first kind first.
    ball_answers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Intent names in catalog order."""
        return [intent.name for intent in self.intents]

    def spoken_names(self) -> dict[str, str]:
        """Each intent's name as the coach says it ("next_spot": "next spot")."""
        return {intent.name: intent.spoken for intent in self.intents}

    def phrases(self) -> list[str]:
        """Every phrase of every intent, lower case, no punctuation but apostrophes; no repeats.

        This is the vocabulary recognizers build their grammars from.
        """
        seen: dict[str, None] = {}
        for intent in self.intents:
            for phrase in intent.phrases:
                seen[phrase] = None
        return list(seen)

    def sentences(self) -> list[str]:
        """Every phrase the way people wrap it: after polite openings ("could you ...") and
        one-word fillers ("okay ..."), before "please", and bare as often as wrapped.

        A recognizer's language model learns from these how commands start and end, and
        (from the repeats) that a bare command is as likely as a wrapped one; the matcher takes
        the same words off again. Each phrase gets a few openings, taken in turn, so that every
        opening meets every kind of phrase without multiplying the list by all of them.
        """
        openers = [*self.language.carriers, *(f for f in self.language.fillers if " " not in f)]
        out: list[str] = []
        for n, phrase in enumerate(self.phrases()):
            chosen = (openers[(n * OPENINGS + k) % len(openers)] for k in range(OPENINGS))
            wrapped = [f"{opener} {phrase}" for opener in chosen] + [f"{phrase} please"]
            out += wrapped + [phrase] * len(wrapped)
        return out

    def phrases_by_intent(self) -> dict[str, tuple[str, ...]]:
        """Intent name to its phrases."""
        return {intent.name: intent.phrases for intent in self.intents}


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog file; the packaged one when ``path`` is None."""
    if path is None:
        raw = resources.files("intents").joinpath("catalog.toml").read_text("utf-8")
        source = "intents/catalog.toml"
    else:
        raw = Path(path).read_text("utf-8")
        source = str(path)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{source}: not valid TOML ({error})") from error
    return _parse(data, source)


@cache
def default_catalog() -> Catalog:
    """The packaged catalog, loaded once."""
    return load_catalog()


def _parse(data: dict, source: str) -> Catalog:
    language = data.get("language", {})
    lists = {}
    for key in ("fillers", "carriers", "negators", "neutral", "interjections"):
        value = language.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CatalogError(f"{source}: [language] {key} must be a list of strings")
        lists[key] = tuple(" ".join(words(v)) for v in value)
    intents = []
    for name, body in data.get("intents", {}).items():
        templates = body.get("templates")
        if not isinstance(templates, list) or not templates:
            raise CatalogError(f"{source}: intent {name!r} needs a non-empty list of templates")
        phrases: dict[str, None] = {}
        for template in templates:
            if not isinstance(template, str):
                raise CatalogError(f"{source}: intent {name!r} has a template that is not text")
            try:
                for sentence in expand(template.lower()):
                    phrases[sentence] = None
            except TemplateError as error:
                raise CatalogError(f"{source}: intent {name!r}: {error}") from error
        spoken = body.get("spoken", next(iter(phrases)))
        if spoken not in phrases:
            raise CatalogError(
                f"{source}: intent {name!r}: spoken = {spoken!r} is not one of its phrases"
            )
        intents.append(
            Intent(
                name=name,
                description=str(body.get("description", "")),
                phrases=tuple(phrases),
                anywhere=bool(body.get("anywhere", False)),
                spoken=spoken,
            )
        )
    if not intents:
        raise CatalogError(f"{source}: no [intents.*] tables")
    return Catalog(
        intents=tuple(intents),
        language=Language(**lists),
        answers=_answers(data, source),
        ball_answers=_ball_answers(data, source),
    )


def _answers(data: dict, source: str) -> dict[str, tuple[str, ...]]:
    table = data.get("answers", {})
    if not isinstance(table, dict) or set(table) - {"yes", "no"}:
        raise CatalogError(f"{source}: [answers] may only hold the lists yes and no")
    return _phrase_lists(table, "answers", source)


def _ball_answers(data: dict, source: str) -> dict[str, tuple[str, ...]]:
    table = data.get("ball_answers", {})
    if not isinstance(table, dict):
        raise CatalogError(f"{source}: [ball_answers] must be a table of lists")
    for kind, templates in table.items():
        if not isinstance(templates, list) or not templates:
            raise CatalogError(f"{source}: [ball_answers] {kind} must be a non-empty list")
    return _phrase_lists(table, "ball_answers", source)


def _phrase_lists(table: dict, name: str, source: str) -> dict[str, tuple[str, ...]]:
    """Each list of templates in a ``[name]`` table, expanded into its normalized phrases."""
    lists = {}
    for key, templates in table.items():
        if not isinstance(templates, list) or not all(isinstance(t, str) for t in templates):
            raise CatalogError(f"{source}: [{name}] {key} must be a list of strings")
        try:
            phrases = [" ".join(words(s)) for t in templates for s in expand(t.lower())]
        except TemplateError as error:
            raise CatalogError(f"{source}: [{name}] {key}: {error}") from error
        lists[key] = tuple(dict.fromkeys(p for p in phrases if p))
    return lists
