"""Text to intent: fuzzy matching against the catalog's phrases, aware of negation and pain.

Two scores per intent, the better one counts:
- *whole*: rapidfuzz similarity of the whole utterance to one of its phrases (typos, near-misses);
- *cover*: the intent's phrases found, each with its words in order, inside the utterance, scored
  by how much of the utterance they explain together; words from the catalog's ``neutral`` list
  cost nothing ("go a little bit harder on this one" is fully explained by "go harder", and
  "okay I'm back, continue" by "i'm back" and "continue": people say a command twice over).
A phrase preceded by a negator ("don't stop") never counts unless it contains the negation itself
("not so hard"). Intents marked ``anywhere`` (pain) win whenever their phrase occurs unnegated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rapidfuzz.distance import Indel

from intents.catalog import Catalog, default_catalog
from intents.normalize import words

DEFAULT_THRESHOLD = 0.8
# Under the threshold but at least this close, an intent is a near miss the coach may ask about
# ("Harder?"); a second one counts when it is within NEAR_MARGIN of the first ("Softer or next
# spot?"). On Whisper's transcripts of the TUNE halves (benchmarks/accuracy.py, "+asked" and
# "asked"): at 0.7 a question names the right command for 4.4% of the synthetic commands it
# missed outright, and 1.5% of synthetic and 1.0% of real non-commands get a question; at 0.65,
# 7.6% for 7.3% and 8.7%; at 0.6, 10% for 22%.
NEAR_FLOOR = 0.7
NEAR_MARGIN = 0.05
NEGATION_WINDOW = 3  # "do not go harder": "not" sits two words before the phrase
EXACT_WORD_LENGTH = 3  # fuzzy matching of very short words ("ow" ~ "how") is only noise
WORD_SIMILARITY = 0.85


@dataclass(frozen=True)
class IntentMatch:
    """The matcher's verdict on one utterance."""

    text: str
    intent: str | None
    confidence: float
    phrase: str | None = None
    # With no intent: the intents it nearly was, best first (at most two).
    near: tuple[str, ...] = ()
    # "yes" or "no" when the utterance is nothing but an answer from the catalog.
    answer: str | None = None
    # The kind of ball the utterance names (the catalog's [ball_answers]), whatever the intent.
    ball: str | None = None


@dataclass(frozen=True)
class _Phrase:
    intent: str
    text: str
    tokens: tuple[str, ...]
    negated: bool  # the phrase itself contains a negator
    negatable: bool  # interjections ("ouch") mean the same after "no"
    anywhere: bool


class IntentMatcher:
    """Scores an utterance against every intent of a catalog and picks the best."""

    def __init__(self, catalog: Catalog | None = None, threshold: float = DEFAULT_THRESHOLD):
        self.catalog = catalog or default_catalog()
        self.threshold = threshold
        lang = self.catalog.language
        self._fillers = [tuple(f.split()) for f in lang.fillers]
        self._carriers = sorted((tuple(c.split()) for c in lang.carriers), key=len, reverse=True)
        # "can't" is "can not" once spelled out: the negating word is the last one.
        self._negators = {n.split()[-1] for n in lang.negators if n}
        self._neutral = {w for n in lang.neutral for w in n.split()}
        interjections = {w for n in lang.interjections for w in n.split()}
        phrases: dict[tuple[str, tuple[str, ...]], _Phrase] = {}
        for intent in self.catalog.intents:
            for text in intent.phrases:
                tokens = tuple(self.tokens(text))
                if tokens and (intent.name, tokens) not in phrases:
                    phrases[(intent.name, tokens)] = _Phrase(
                        intent=intent.name,
                        text=text,
                        tokens=tokens,
                        negated=any(t in self._negators for t in tokens),
                        negatable=not set(tokens) <= interjections,
                        anywhere=intent.anywhere,
                    )
        self._phrases = list(phrases.values())
        self._answers = {
            phrase: answer
            for answer, phrases_of in self.catalog.answers.items()
            for phrase in phrases_of
        }
        self._ball_phrases = [
            (kind, tuple(phrase.split()))
            for kind, phrases_of in self.catalog.ball_answers.items()
            for phrase in phrases_of
        ]

    def tokens(self, text: str) -> list[str]:
        """The words of ``text`` that matter: normalised, no fillers, no polite opening."""
        tokens = words(text)
        # A stutter or an insistence ("wait wait", "ow ow ow") says the word once.
        tokens = [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]
        for filler in self._fillers:
            tokens = _remove_run(tokens, filler)
        stripped = True
        while stripped and tokens:
            stripped = False
            for carrier in self._carriers:
                if tuple(tokens[: len(carrier)]) == carrier and len(tokens) > len(carrier):
                    tokens = tokens[len(carrier) :]
                    stripped = True
                    break
        return tokens

    def scores(self, text: str) -> dict[str, float]:
        """Each intent's best score (0..1) for ``text``."""
        return {
            name: score for name, (score, _, _) in self._intent_scores(self.tokens(text)).items()
        }

    def match(self, text: str) -> IntentMatch:
        """The best intent for ``text``, or no intent when nothing scores above the threshold;
        and the kind of ball it names, if any."""
        answer = self._answers.get(" ".join(words(text)))
        if answer is not None:
            return IntentMatch(text, None, 1.0, answer=answer)
        tokens = self.tokens(text)
        if not tokens:
            return IntentMatch(text, None, 0.0)
        return replace(self._match_intent(text, tokens), ball=self.ball(tokens))

    def ball(self, tokens: list[str]) -> str | None:
        """The first kind of ball (in catalog order) one of whose phrases occurs, unnegated,
        in ``tokens``."""
        for kind, phrase in self._ball_phrases:
            aligned = _align(tokens, phrase, contiguous=True)
            if aligned is not None and not self._negated_before(tokens, aligned[0][0]):
                return kind
        return None

    def _match_intent(self, text: str, tokens: list[str]) -> IntentMatch:
        urgent: tuple[float, _Phrase] | None = None
        for candidate in self._phrases:
            if candidate.anywhere:
                found = self._find_unnegated(tokens, candidate)
                if found and (urgent is None or found > urgent[0]):
                    urgent = (found, candidate)
        scored = self._intent_scores(tokens)
        # On equal scores the longer phrase explains more: "go on" is resume, not "go".
        score, _, phrase = max(scored.values(), key=lambda s: s[:2])
        if urgent is not None:
            confidence = max(urgent[0], score if phrase and phrase.anywhere else 0.0)
            return IntentMatch(text, urgent[1].intent, round(confidence, 3), urgent[1].text)
        if phrase is None or score < self.threshold:
            return IntentMatch(text, None, round(score, 3), near=_near(scored))
        return IntentMatch(text, phrase.intent, round(score, 3), phrase.text)

    def _intent_scores(self, tokens: list[str]) -> dict[str, tuple[float, int, _Phrase | None]]:
        """Per intent: its score, the length of its best phrase, and that phrase."""
        out: dict[str, tuple[float, int, _Phrase | None]] = {
            name: (0.0, 0, None) for name in self.catalog.names()
        }
        covered: dict[str, dict[int, float]] = {}  # intent -> token position -> similarity
        for phrase in self._phrases:
            whole, cover = self._whole(tokens, phrase), self._cover(tokens, phrase)
            found = covered.setdefault(phrase.intent, {})
            for position, similarity in cover.items():
                found[position] = max(similarity, found.get(position, 0.0))
            score = (max(whole, self._explained(tokens, cover)), len(phrase.tokens))
            if score > out[phrase.intent][:2]:
                out[phrase.intent] = (*score, phrase)
        for intent, found in covered.items():
            together = self._explained(tokens, found)
            if together > out[intent][0]:
                out[intent] = (together, *out[intent][1:])
        return out

    def _whole(self, tokens: list[str], phrase: _Phrase) -> float:
        # Whole-string similarity cannot see which words a negator governs, so a negated
        # utterance must match word by word.
        if phrase.negated or any(t in self._negators for t in tokens):
            return 0.0
        heard, expected = " ".join(tokens), " ".join(phrase.tokens)
        # As for single words: between very short strings a letter is all the difference
        # ("wow" is not "ow": 7 of 10 real "wow" clips were taken for pain).
        if heard != expected and min(len(heard), len(expected)) <= EXACT_WORD_LENGTH:
            return 0.0
        return Indel.normalized_similarity(heard, expected)

    def _cover(self, tokens: list[str], phrase: _Phrase) -> dict[int, float]:
        """The positions of ``tokens`` the phrase explains, each with its similarity."""
        aligned = _align(tokens, phrase.tokens)
        if aligned is None:
            return {}
        positions, similarity = aligned
        if not phrase.negated and (
            self._negated_before(tokens, positions[0])
            # A negator between the phrase's words ("my arm is not numb") reverses it too.
            or any(tokens[i] in self._negators for i in range(positions[0], positions[-1]))
        ):
            return {}
        return dict.fromkeys(positions, similarity)

    def _explained(self, tokens: list[str], covered: dict[int, float]) -> float:
        """The share of the utterance's letters that ``covered`` and the neutral words explain."""
        if not covered:
            return 0.0
        explained = sum(len(tokens[i]) * similarity for i, similarity in covered.items())
        explained += sum(
            len(t) for i, t in enumerate(tokens) if i not in covered and t in self._neutral
        )
        return explained / sum(len(t) for t in tokens)

    def _find_unnegated(self, tokens: list[str], phrase: _Phrase) -> float:
        aligned = _align(tokens, phrase.tokens, contiguous=True)
        if aligned is None:
            return 0.0
        positions, similarity = aligned
        if phrase.negatable and not phrase.negated and self._negated_before(tokens, positions[0]):
            return 0.0
        return similarity

    def _negated_before(self, tokens: list[str], start: int) -> bool:
        window = tokens[max(0, start - NEGATION_WINDOW) : start]
        return any(t in self._negators for t in window)


def _near(scored: dict[str, tuple[float, int, _Phrase | None]]) -> tuple[str, ...]:
    ranked = sorted(((score, intent) for intent, (score, *_) in scored.items()), reverse=True)
    near = [(score, intent) for score, intent in ranked[:2] if score >= NEAR_FLOOR]
    if len(near) == 2 and near[0][0] - near[1][0] > NEAR_MARGIN:
        near = near[:1]
    return tuple(intent for _, intent in near)


def _word_similarity(heard: str, expected: str) -> float:
    if heard == expected:
        return 1.0
    if min(len(heard), len(expected)) <= EXACT_WORD_LENGTH:
        return 0.0
    return Indel.normalized_similarity(heard, expected)


def _align(
    tokens: list[str], phrase: tuple[str, ...], contiguous: bool = False
) -> tuple[list[int], float] | None:
    """Positions of the phrase's words found in order in ``tokens``, and their mean similarity."""
    for start in range(len(tokens)):
        if _word_similarity(tokens[start], phrase[0]) < WORD_SIMILARITY:
            continue
        positions = [start]
        total = _word_similarity(tokens[start], phrase[0])
        cursor = start + 1
        for word in phrase[1:]:
            found = None
            end = min(len(tokens), cursor + 1) if contiguous else len(tokens)
            for i in range(cursor, end):
                similarity = _word_similarity(tokens[i], word)
                if similarity >= WORD_SIMILARITY:
                    found = (i, similarity)
                    break
            if found is None:
                break
            positions.append(found[0])
            total += found[1]
            cursor = found[0] + 1
        else:
            return positions, total / len(phrase)
    return None


def _remove_run(tokens: list[str], run: tuple[str, ...]) -> list[str]:
    if len(run) == 1:
        return [t for t in tokens if t != run[0]]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tuple(tokens[i : i + len(run)]) == run:
            i += len(run)
            continue
        out.append(tokens[i])
        i += 1
    return out
