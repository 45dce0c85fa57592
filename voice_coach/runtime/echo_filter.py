"""Tells the user's voice from the coach's own, heard back through the microphone.

The microphone is open while the coach speaks, and the coach says things like "say harder for
more pressure". A transcript that overlaps the coach's speech (plus a tail for room echo and the
recognizer's endpointing) is the coach's echo when its words are words the coach was saying at that
moment. Only the urgent intents (stop, pain, numbness) are trusted over the coach's voice when they
are not explained by it: a recognizer fed the coach's speech can still force it onto some other
command, and a missed "harder" costs far less than an obeyed phantom one.

When the canceller has lost the echo path, the whole of the coach's sentence reaches the
recognizer with the user's "ouch" inside it ("to the wall ah ouch"). Words the coach said then
explain most of such a transcript; what is left, if it is only urgent words and holds a stop or
pain word that the coach did not say (nor a word that sounds like it), is the user's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz.distance import Levenshtein

from intents.normalize import words

ECHO_TAIL = 0.6  # seconds after the coach's last sample that the microphone may still carry it
URGENT_INTENTS = frozenset({"stop", "pain", "numbness"})
PAIN_SOUNDS = frozenset({"ouch", "ow", "owie", "ah", "aah", "argh"})
# Over the coach's voice only short phrases made of these words make an urgent command
# believable ("stop", "ah ouch", "that hurts"): the recognizer, fed the coach's own sentences,
# also produces "all done", "end the workout" and "stop the routine" (from "spot three: the
# right rhomboids"). Numbness is said as briefly: "numb", "arm is tingling", "pins and needles".
NUMB_WORDS = frozenset({"numb", "numbness", "tingling", "tingly", "needles"})
URGENT_WORDS = (
    PAIN_SOUNDS
    | NUMB_WORDS
    | {"stop", "now", "please", "that", "it", "hurts", "pain"}
    | {"is", "my", "arm", "hand", "fingers", "pins", "and"}
)
# ...and at least one of these. A bare "ah" is what a recognizer makes of a breath, and "ow" what
# it makes of the coach's own vowels until the echo canceller has learned them; "ouch" and "stop"
# are neither. Once the coach's voice is cancelled, a bare "ow" is the user.
URGENT_CORE = frozenset({"stop", "ouch", "owie", "hurts", "pain", "argh"}) | NUMB_WORDS
URGENT_CORE_CANCELLED = URGENT_CORE | {"ow"}
# Words once spelled out: "it's ah ouch" (PocketSphinx's transcript of a user's "ouch" over
# the coach in a fresh-clone test run, all five tries lost at 3) is four.
URGENT_MAX_WORDS = 4
# What an urgent core word found inside the coach's echo means.
URGENT_INTENT = (
    {"stop": "stop"}
    | {w: "pain" for w in URGENT_CORE - NUMB_WORDS if w != "stop"}
    | dict.fromkeys(NUMB_WORDS, "numbness")
)
SAME_SOUND = 0.05  # seconds: a playback's times as the gate saw them and as reported later
EXPLAINED_SHARE = 0.5  # this share of the heard words found in the coach's line makes it an echo
# Seconds either side of a transcript in which the coach must have said a word for it to explain
# the transcript: a synthesizer speaks at an even pace, so a word's place in the line puts it in
# time to within this. The coach's "Stop on the tightest point" does not explain a "stop now"
# said three seconds later.
WORD_SLACK = 1.0


class Spoken(Protocol):
    """A stretch of the coach's speech: its text and when it left the speaker (monotonic s)."""

    # Read-only, so that frozen records (``audio_models.types.Playback``) are Spoken too.
    @property
    def text(self) -> str: ...

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


@dataclass(frozen=True)
class Verdict:
    """Whether to act on a transcript, and why (for the session's debug line).

    ``intent`` is what to act on when accepted: the matcher's, or the urgent word's found
    inside the coach's echo.
    """

    accept: bool
    reason: str
    intent: str | None = None


def judge(
    text: str,
    intent: str | None,
    start: float,
    end: float,
    spoken: Iterable[Spoken],
    echo_cancelled: bool = False,
) -> Verdict:
    """Decide whether a transcript heard between ``start`` and ``end`` is the user's.

    ``echo_cancelled``: the coach's voice was being taken out of the microphone signal then.
    """
    overlapping = [s for s in spoken if s.start < end and s.end + ECHO_TAIL > start]
    if not overlapping:
        return Verdict(True, "coach silent", intent)
    heard = [w for w in words(text) if len(w) > 1 or w in ("i", "a")]
    coach_words = _words_said_between(overlapping, start - WORD_SLACK, end + WORD_SLACK)
    unexplained = [w for w in heard if not _explained(w, coach_words)]
    if heard and len(unexplained) < len(heard):
        urgent = _urgent_inside_echo(unexplained, coach_words)
        if urgent is not None:
            return Verdict(True, "urgent word inside the coach's echo", urgent)
    if heard and 1 - len(unexplained) / len(heard) >= EXPLAINED_SHARE:
        return Verdict(False, "echo of the coach's line")
    core = URGENT_CORE_CANCELLED if echo_cancelled else URGENT_CORE
    if intent in URGENT_INTENTS and _urgent_only(heard, core):
        return Verdict(True, "urgent command over the coach", intent)
    return Verdict(False, "spoken over the coach")


def unblanked(spoken: Iterable[Spoken], blanked: Iterable[tuple[float, float]]) -> list[Spoken]:
    """The coach's speech minus what the listener blanked out before recognition."""
    cut = list(blanked)
    return [
        s
        for s in spoken
        if not any(
            abs(s.start - b0) < SAME_SOUND and abs(s.end - b1) < SAME_SOUND for b0, b1 in cut
        )
    ]


def _words_said_between(spoken: Iterable[Spoken], start: float, end: float) -> set[str]:
    said: set[str] = set()
    for line in spoken:
        line_words = words(line.text)
        total = sum(len(w) + 1 for w in line_words)
        position = 0
        for word in line_words:
            middle = (position + len(word) / 2) / max(total, 1)
            position += len(word) + 1
            if start <= line.start + middle * (line.end - line.start) <= end:
                said.add(word)
    return said


def _urgent_only(heard: list[str], core: frozenset[str]) -> bool:
    return (
        0 < len(heard) <= URGENT_MAX_WORDS
        and all(w in URGENT_WORDS for w in heard)
        and any(w in core for w in heard)
    )


def _urgent_inside_echo(unexplained: list[str], coach_words: set[str]) -> str | None:
    """The intent of an urgent word the coach did not say, when only urgent words are left."""
    if not unexplained or not all(w in URGENT_WORDS for w in unexplained):
        return None
    found = [
        URGENT_INTENT[word]
        for word in unexplained
        if word in URGENT_INTENT and not any(_sounds_like(word, c) for c in coach_words)
    ]
    # As in the matcher, numbness outranks pain and stop: it ends the session with advice.
    return "numbness" if "numbness" in found else next(iter(found), None)


def _sounds_like(word: str, said: str) -> bool:
    # What a recognizer makes of the coach's own words: "spot" comes back as "stop", "much"
    # or "touch" as "ouch". One letter changed, or the same letters in another order.
    return Levenshtein.distance(word, said) <= 1 or sorted(word) == sorted(said)


def _explained(word: str, coach_words: set[str]) -> bool:
    # Inside a word the coach said counts: the recognizer hears "stop" in "stopping" and "ow" in
    # "slowly"; a user shouting "stop" while the coach says "stopping" loses nothing.
    if word in PAIN_SOUNDS and PAIN_SOUNDS.intersection(coach_words):
        return True  # "say ouch if it hurts" comes back as "ow"
    return word in coach_words or any(word in said for said in coach_words)
