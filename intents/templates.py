"""Expand hassil-style sentence templates: ``(a|b)`` alternatives and ``[x]`` optionals, nested."""

from __future__ import annotations

import itertools

MAX_EXPANSIONS = 2_000
"""A template that expands further than this is a mistake in the catalog, not a feature."""


class TemplateError(ValueError):
    """A template is malformed (unbalanced brackets, too many expansions)."""


def expand(template: str) -> list[str]:
    """Every sentence a template stands for, in a stable order, without repeats."""
    sequence, end = _parse_sequence(template, 0, closer=None)
    if end != len(template):
        raise TemplateError(f"unexpected {template[end]!r} at position {end} in {template!r}")
    out: dict[str, None] = {}
    for words in sequence:
        sentence = " ".join(words.split())
        if sentence:
            out[sentence] = None
    return list(out)


def _parse_sequence(text: str, pos: int, closer: str | None) -> tuple[list[str], int]:
    """Parse until ``closer`` or a ``|`` (inside a group) and return the alternatives of the run."""
    parts: list[list[str]] = []
    literal: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char in "([":
            if literal:
                parts.append(["".join(literal)])
                literal = []
            alternatives, pos = _parse_group(text, pos + 1, ")" if char == "(" else "]")
            if char == "[":
                alternatives = [*alternatives, ""]
            parts.append(alternatives)
            continue
        if char in ")]|":
            if closer is None:
                raise TemplateError(f"unexpected {char!r} at position {pos} in {text!r}")
            break
        literal.append(char)
        pos += 1
    else:
        if closer is not None:
            raise TemplateError(f"missing {closer!r} in {text!r}")
    if literal:
        parts.append(["".join(literal)])
    combos = []
    for count, combo in enumerate(itertools.product(*parts)):
        if count >= MAX_EXPANSIONS:
            raise TemplateError(f"{text!r} expands to more than {MAX_EXPANSIONS} sentences")
        combos.append(" ".join(combo))
    return combos, pos


def _parse_group(text: str, pos: int, closer: str) -> tuple[list[str], int]:
    """Parse ``a|b|c`` up to ``closer``; return all alternatives and the position after it."""
    alternatives: list[str] = []
    while True:
        sequence, pos = _parse_sequence(text, pos, closer)
        alternatives.extend(sequence)
        if pos >= len(text):
            raise TemplateError(f"missing {closer!r} in {text!r}")
        if text[pos] == "|":
            pos += 1
            continue
        if text[pos] != closer:
            raise TemplateError(f"expected {closer!r} at position {pos} in {text!r}")
        return alternatives, pos + 1
