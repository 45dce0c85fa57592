"""Whisper (tiny.en by default) as a streaming recognizer that knows the caller's phrases.

- An energy endpointer (``endpointer.py``) cuts the stream into utterances; each one is
  transcribed whole, on its own samples only (``whisper_model.py``), so a result never
  depends on earlier audio and ``reset`` only restarts the clock.
- The endpointer waits ``ENDPOINT_WINDOW`` of quiet before it ends an utterance, but knows the
  audio the utterance will have ``TAIL`` after the voice stops. The utterance is decoded then,
  while the window still waits; when the window closes on that very utterance its transcript is
  ready (the same audio, so the same result), and the reply is not held up by the decode. If
  the voice comes back, that decode is simply dropped.
- Whisper writes what it hears in free English. The phrases (the intent catalog's commands) it is
  given are a guide, not a grammar: the phrases closest to its hypotheses are scored under the
  decoder for the same audio, and one that the audio supports about as well as the free text
  replaces it ("Next part." becomes "next spot" when "next spot" scores within ``SNAP_MARGIN``).
  A sentence with a command garbled inside it is scored with those words replaced by the phrase
  they resemble ("Let's send it here." becomes "let's end it here" when the audio agrees).
  Chatter stays chatter, and the caller's matcher decides what it means.
- A classifier on the encoder's output (``command_classifier.py``, trained on real speakers and
  synthetic voices in real noise) hears which command, if any, the audio sounds like; its
  likeliest commands are scored too, and what it heard counts toward the margin: in real room
  noise Whisper writes a "stop" as "Oh." or nothing at all, and the encoder still heard it.
- After a question (``expect``), its answers are a closed set: a short reply is scored against
  each one, and the answer the audio supports clearly better than the others replaces a free
  text that names none ("Home." for "firm" to "which ball?"). Commands still come first.
- Whisper writes something for any sound ("Thank you." for a breath or a fan). An utterance whose
  text the decoder itself found unlikely, or that its no-speech token calls silence, comes back
  rejected: text "", a confidence under 0.5.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence

import numpy as np

from audio_models.errors import EngineUnavailable
from audio_models.pcm import S16_FULL_SCALE
from audio_models.recognizers import command_classifier
from audio_models.recognizers.command_classifier import NONE, CommandClassifier, pooled
from audio_models.recognizers.endpointer import FRAME, EnergyEndpointer, Utterance
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.recognizers.whisper_model import PACKAGED, THREADS, Decoded, WhisperModel
from audio_models.types import Transcript

# Seconds of quiet that end an utterance: most of the wait between a command and its reply
# (benchmarks/latency.py: median 538 ms at 0.25). On the TUNE halves 0.2 heard the same real
# commands (97.7%) and synthetic ones (clean 73.0 against 73.3%, noise and babble unchanged).
ENDPOINT_WINDOW = 0.2
MAX_UTTERANCE = 5.0  # seconds: a command is a few words; sound that never pauses is cut
HYPOTHESES = 3  # free transcriptions per utterance, each looked up among the phrases
CANDIDATES = 3  # phrases scored under the decoder per utterance
CANDIDATE_SIMILARITY = 60.0  # rapidfuzz ratio (0..100) a phrase needs to a hypothesis
# A phrase replaces the free text when its mean token log-probability is at most this much below
# the free text's. On the TUNE halves (real speakers, synthetic voices): 0.3 heard 91% of real
# commands, 0.5 93%, 0.7 95% ("Stump." and "Stuck." became stop), synthetic clean 70 -> 76%,
# false accepts unchanged (real 3.1%, synthetic 0%).
SNAP_MARGIN = 0.7
# For the caller's urgent phrases (stop, pain) in a short utterance: a missed "ouch" costs far
# more than a pause the user did not ask for. Over the coach's sentence, after echo
# cancellation, Whisper wrote espeak's "ouch" as "Out." with "Ouch." 0.5 to 1.4 below it; a
# hypothesis this close in letters makes the urgent phrase a candidate.
URGENT_MARGIN = 1.5
URGENT_SIMILARITY = 50.0
SHORT_WORDS = 3  # words in a hypothesis short enough for the urgent rule
# Over the coach, espeak's "stop now" came out as "Stop the hell.", "Stop there.", "Stop the
# earth." and "stop" as "Stop and envy.": the urgent word heard, the rest lost in what is left of
# the coach's voice. A short hypothesis that opens with a one-word urgent phrase makes every
# urgent phrase opening with that word a candidate (still scored under the decoder).
# Rejection: the mean token log-probability at which the confidence is 0.5, and its slope. Real
# people's commands decode at -0.6 to -2.0 (espeak's at -0.3 to -1.0). On the real TUNE half
# -1.2 kept 77% of commands, -1.8 86%, -2.1 91% for 2.1 -> 3.1% non-commands accepted; off
# (-9) 91% for 3.6%.
REJECT_LOG_PROB = -2.1
LOG_PROB_SCALE = 0.25
# Whisper's own silence rule: its no-speech token likely and the text not convincing. At 0.6
# (Whisper's own value) real "stop"s with a no-speech probability of 0.6-0.7 were lost: the real
# TUNE half heard 84% of commands, 91% at 0.8, for the same false accepts.
NO_SPEECH = 0.8
NO_SPEECH_LOG_PROB = -0.7
# Answers to an open question (``expect``): one is taken when it scores at most ANSWER_MARGIN
# under the free text and ANSWER_GAP over every answer meaning something else; replies of up to
# ANSWER_WORDS words are tried (a longer one is a sentence, not an answer). "Which ball?" on the
# TUNE half of benchmarks/answers.py (espeak voices; 35.4% clean and 16.7% in pink noise heard
# with no question known): 2.0 heard 64.6 / 39.6%, 2.5 68.8 / 43.8%, 3.0 75.0 / 50.0% but took
# "help" for "hard" and a real "two" for two balls; no other words or commands at 2.5.
ANSWER_MARGIN = 2.5
ANSWER_GAP = 1.0
ANSWER_WORDS = 4

# A sentence Whisper wrote with a command inside it garbled ("Let's press up, please." for "less
# pressure please") is also scored with those words replaced by the phrase they resemble most:
# the SPAN_VARIANTS such rewrites whose replaced words are at least SPAN_SIMILARITY (rapidfuzz
# ratio, the words both share left out) like the phrase, for texts of 2 to SPAN_MAX_WORDS words.
# A rewrite then snaps like a phrase (SNAP_MARGIN). On the synthetic TUNE half it heard clean
# 73.6 -> 75.2%, pink noise 58.5 -> 58.8%, babble 19.7% both, false accepts 0% both, for 13%
# more decoding CPU on those sentences; the real TUNE half (single words) did not change. A
# ratio of 60 and 4 rewrites heard 2 more of 990 for more CPU.
SPAN_SIMILARITY = 70.0
SPAN_VARIANTS = 3
SPAN_MAX_WORDS = 8

# The command classifier (command_classifier.py) on the encoder's output proposes the commands
# it hears at CLASSIFIER_CANDIDATE or more (its CLASSIFIER_TOP likeliest) as candidates, and each
# candidate's decoder score gains CLASSIFIER_BONUS times its probability before the margins
# above are applied: in real room noise Whisper writes a "stop" as "Oh." and the decoder agrees,
# but the encoder heard a command. On the real TUNE half (benchmarks/accuracy.py), without it /
# bonus 1.0 / 2.0: quiet 97.7% of commands each, noise at 10 dB 75.0 / 84.1 / 84.1%, babble at
# 5 dB 15.9 / 18.2 / 22.7%, non-commands accepted unchanged (0.5, 5.6, 4.6%); synthetic TUNE at
# 1.0: clean 77.9 -> 78.5%, noise and babble unchanged, no false accepts; decode CPU unchanged.
CLASSIFIER_ENCODER = "whisper-tiny.en"  # the packaged classifier's; used with that model only
USE_CLASSIFIER = True  # benchmarks/accuracy.py --no-classifier measures the recognizer without it
CLASSIFIER_TOP = 2
CLASSIFIER_CANDIDATE = 0.2
CLASSIFIER_BONUS = 2.0
# A command phrase is rejected when the classifier gives "none of the commands" this much.
NONE_VETO = 0.9

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


class WhisperRecognizer:
    """Streaming recognizer over a CTranslate2 Whisper model, guided by ``phrases``."""

    def __init__(
        self,
        phrases: Sequence[str],
        model: str | os.PathLike[str] | None = None,
        sample_rate: int = SAMPLE_RATE,
        threads: int = THREADS,
        urgent: Sequence[str] = (),
        classifier: CommandClassifier | bool | None = True,
    ) -> None:
        if sample_rate != SAMPLE_RATE:
            raise EngineUnavailable(f"Whisper takes {SAMPLE_RATE} Hz audio, not {sample_rate}")
        self.whisper = WhisperModel(model, threads=threads)
        self.description = (
            PACKAGED if model is None else f"Whisper, the model in {self.whisper.path}"
        )
        self.phrases = list(dict.fromkeys(p for p in (plain(p) for p in phrases) if p))
        self._phrase_set = set(self.phrases)
        self._urgent = {plain(p) for p in urgent} & self._phrase_set
        self._phrase_lengths: dict[int, list[str]] = {}  # span length -> phrases to try
        for phrase in self.phrases:
            length = len(phrase.split())
            for n in range(max(1, length - 1), length + 2):
                self._phrase_lengths.setdefault(n, []).append(phrase)
        self._endpointer = EnergyEndpointer(ENDPOINT_WINDOW, MAX_UTTERANCE)
        self._early: tuple[Utterance, Transcript] | None = None  # decoded before it ended
        self._answers: tuple[tuple[str, ...], ...] = ()
        # The packaged classifier fits the packaged encoder only; False (or another model)
        # runs without it.
        if classifier is True:
            use = USE_CLASSIFIER and model is None
            classifier = command_classifier.load() if use else None
            if classifier is not None and classifier.encoder != CLASSIFIER_ENCODER:
                classifier = None  # weights made for another encoder: none beats wrong ones
        self._classifier = classifier or None
        self._classes: set[str] = set()  # the classifier's labels this recognizer can say
        if self._classifier is not None:
            self._classes = set(self._classifier.labels) & self._phrase_set

    def expect(self, answers: Sequence[Sequence[str]]) -> None:
        """The answers to the question just asked, one group per meaning, its plainest wording
        first (() once no question is open). Utterances decoded from now on may be one of them."""
        groups = (tuple(dict.fromkeys(p for p in map(plain, g) if p)) for g in answers)
        self._answers = tuple(g for g in groups if g)
        self._early = None  # decoded under the earlier question

    def reset(self) -> None:
        """Start a new stream: clock at zero, no utterance in progress."""
        self._endpointer.reset()
        self._early = None

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz mono s16le audio of any length; return utterances that ended in it."""
        out: list[Transcript] = []
        frame = 2 * FRAME
        for offset in range(0, len(pcm), frame):
            out += [
                self._recognize(u) for u in self._endpointer.accept(pcm[offset : offset + frame])
            ]
            tentative = self._endpointer.tentative()
            if tentative is not None:
                self._early = (tentative, self._decode(tentative))
        return out

    def flush(self) -> list[Transcript]:
        """End of stream: finish the utterance in progress, if any."""
        return [self._recognize(u) for u in self._endpointer.flush()]

    def _recognize(self, utterance: Utterance) -> Transcript:
        early, self._early = self._early, None
        if early is not None and early[0] == utterance:
            return early[1]
        return self._decode(utterance)

    def _decode(self, utterance: Utterance) -> Transcript:
        samples = np.frombuffer(utterance.pcm, dtype="<i2").astype(np.float32) / S16_FULL_SCALE
        decoded = self.whisper.transcribe(samples, HYPOTHESES)
        heard = self._heard(decoded)
        text, log_prob = self.choose(decoded, heard)
        confidence = self.confidence(text, log_prob, decoded.no_speech)
        if plain(text) in self._phrase_set and heard.get(NONE, 0.0) >= NONE_VETO:
            # A command's very words, from audio the classifier is sure holds none: in noise
            # Whisper writes "That's it." for a "cat" and snaps "Okay." to "i'm back".
            confidence = min(confidence, 0.49)
        return Transcript(
            text if confidence >= 0.5 else "",
            round(confidence, 3),
            utterance.start,
            utterance.end,
        )

    def choose(self, decoded: Decoded, heard: dict[str, float] | None = None) -> tuple[str, float]:
        """The text to report and its mean token log-probability: the free transcription, or a
        phrase (an answer to the open question) the audio supports about as well. ``heard``:
        the classifier's probabilities for the utterance (by default worked out here)."""
        heard = self._heard(decoded) if heard is None else heard
        best = decoded.hypotheses[0]
        if self._answers and self._names_answer(best.text):
            return best.text, best.log_prob  # "Firm." must not become "firmer"
        text, log_prob, command = self._command(decoded, heard)
        if self._answers and not command:
            # Commands first: an "ouch" said to "Harder?" is pain, not "no".
            answer = self._answer(decoded)
            if answer is not None:
                return answer
        return text, log_prob

    def _command(self, decoded: Decoded, heard: dict[str, float]) -> tuple[str, float, bool]:
        """The free transcription, or a command phrase the audio supports about as well; and
        whether a phrase fits the audio (then it is no answer, even when under the line)."""
        best = decoded.hypotheses[0]
        # A phrase among the hypotheses, close enough to the best, is taken as it is.
        for hypothesis in decoded.hypotheses:
            if hypothesis.log_prob < best.log_prob - SNAP_MARGIN:
                break
            if plain(hypothesis.text) in self._phrase_set:
                return plain(hypothesis.text), hypothesis.log_prob, True
        candidates = self._candidates([h.text for h in decoded.hypotheses])
        proposed = self._proposed(heard)
        candidates += [phrase for phrase in proposed if phrase not in candidates]
        words = plain(best.text).split()
        opens_urgent = 0 < len(words) <= SHORT_WORDS and words[0] in self._urgent
        if not opens_urgent:
            # (Not "Stop the hell.": the urgent rules below read that; rewritten as "stop the
            # help", it scored best and was no stop.)
            candidates += [r for r in self._rewritten(best.text) if r not in candidates]
        if not candidates or not math.isfinite(SNAP_MARGIN):
            return best.text, best.log_prob, False
        written = [best.text, *(whisper_style(c) for c in candidates)]
        free, *scores = self.whisper.score(decoded, written)
        # What the classifier heard widens its phrase's margin by up to CLASSIFIER_BONUS; the
        # audio's own score still ranks the phrases, so a rewrite the decoder prefers ("less
        # pressure please") is not outranked by a command the classifier half heard.
        bonus = {c: CLASSIFIER_BONUS * p for c, p in proposed.items()}
        supported = [
            (score, phrase)
            for score, phrase in zip(scores, candidates, strict=True)
            if score + bonus.get(phrase, 0.0)
            >= free - (URGENT_MARGIN if phrase in self._urgent else SNAP_MARGIN)
        ]
        if supported:
            phrase_score, phrase = max(supported)
            phrase_score += bonus.get(phrase, 0.0)
            if phrase in self._urgent and _first_word(phrase) == _first_word(best.text):
                # The urgent word itself was written down: rejection then asks only whether
                # there was speech, and the free text says so. "Stop the hell." at -0.7 made
                # "stop now" at -2.2, under the line, and a real "stop now" over the coach was
                # dropped. (A phrase only like the text, "that's it" for "Bed.", keeps the
                # penalty: without it real non-commands were accepted 3.1% of the time, not 1%.)
                return phrase, best.log_prob, True
            # The phrase's log-probability on the free text's scale (generate's scores and
            # align's differ: the end-of-text token is only in the former).
            log_prob = best.log_prob + min(0.0, phrase_score - free)
            if self.confidence(phrase, log_prob, decoded.no_speech) >= 0.5:
                return phrase, log_prob, True
            # Snapping decides which words, not whether there were any: a phrase scored under
            # the line leaves the free text ("Rehume please." is resume to the matcher; "Bed."
            # stays no command, as "that's it" rejected did). It is still no answer: the "You."
            # a real speaker breathed before "set a timer" was "sock" to "which ball?".
            return best.text, best.log_prob, True
        if opens_urgent:
            # A few words opening with "stop" that match no phrase: the urgent word was written
            # down and the rest lost in the coach's voice ("Stop the hell." for "stop now", whose
            # closest phrases by letters are "stop the ...", none of which the audio supports).
            return words[0], best.log_prob, True
        return best.text, best.log_prob, False

    def _heard(self, decoded: Decoded) -> dict[str, float]:
        """Each class's probability under the classifier ({} without one, or without the
        utterance's frames)."""
        start, end = decoded.speech
        if self._classifier is None or end <= start:
            return {}
        probabilities = self._classifier.probabilities(pooled(decoded.encoded, decoded.speech))
        return dict(zip(self._classifier.labels, map(float, probabilities), strict=True))

    def _proposed(self, heard: dict[str, float]) -> dict[str, float]:
        """The commands the classifier heard at CLASSIFIER_CANDIDATE or more (its
        CLASSIFIER_TOP likeliest), with their probabilities."""
        ranked = sorted(heard, key=heard.__getitem__, reverse=True)[:CLASSIFIER_TOP]
        return {
            label: heard[label]
            for label in ranked
            if label in self._classes and heard[label] >= CLASSIFIER_CANDIDATE
        }

    def _rewritten(self, text: str) -> list[str]:
        """``text`` with a few of its words replaced by a phrase they resemble, the closest
        first: "let's send it here" -> "let's end it here"."""
        words = plain(text).split()
        if not 2 <= len(words) <= SPAN_MAX_WORDS:
            return []
        found: dict[str, float] = {}
        for start in range(len(words)):
            for end in range(start + 1, len(words) + 1):
                if end - start == len(words):
                    continue  # the whole text: _candidates compares it with every phrase
                # Phrases of about as many words (one more or one fewer).
                for phrase in self._phrase_lengths.get(end - start, ()):
                    similarity = _core_similarity(words[start:end], phrase.split())
                    if similarity >= SPAN_SIMILARITY:
                        variant = " ".join([*words[:start], phrase, *words[end:]])
                        found[variant] = max(similarity, found.get(variant, 0.0))
        return sorted(found, key=found.__getitem__, reverse=True)[:SPAN_VARIANTS]

    def _answer(self, decoded: Decoded) -> tuple[str, float] | None:
        """An answer to the open question for a short reply that names none, or None."""
        best = decoded.hypotheses[0]
        if not 0 < len(plain(best.text).split()) <= ANSWER_WORDS:
            return None  # nothing, or a sentence: heard as usual
        from rapidfuzz import fuzz, process

        meaning = {a: n for n, group in enumerate(self._answers) for a in group}
        # Each meaning's plainest wording, and the wordings closest to what was written.
        candidates = dict.fromkeys(group[0] for group in self._answers)
        for hypothesis in decoded.hypotheses:
            for answer, _, _ in process.extract(
                plain(hypothesis.text), list(meaning), scorer=fuzz.ratio, limit=CANDIDATES
            ):
                candidates[answer] = None
        texts = list(candidates)
        free, *scores = self.whisper.score(decoded, [best.text, *map(whisper_style, texts)])
        ranked = sorted(zip(scores, texts, strict=True), reverse=True)
        top_score, top = ranked[0]
        rival = max((s for s, a in ranked if meaning[a] != meaning[top]), default=-math.inf)
        if top_score >= free - ANSWER_MARGIN and top_score - rival >= ANSWER_GAP:
            # Whether there was speech is the free text's to say; which answer it was, ours.
            return top, best.log_prob
        return None

    def _names_answer(self, text: str) -> bool:
        padded = f" {plain(text)} "
        if any(f" {u} " in padded for u in self._urgent):
            return False  # "No, stop." is for the commands' rules to read
        return any(f" {a} " in padded for group in self._answers for a in group)

    @staticmethod
    def confidence(text: str, log_prob: float, no_speech: float) -> float:
        """0..1; under 0.5 the utterance is rejected."""
        if not plain(text):
            return 0.0
        confidence = 1.0 / (1.0 + math.exp(-(log_prob - REJECT_LOG_PROB) / LOG_PROB_SCALE))
        if no_speech >= NO_SPEECH and log_prob < NO_SPEECH_LOG_PROB:
            confidence = min(confidence, 0.49)
        return confidence

    def _candidates(self, hypotheses: Sequence[str]) -> list[str]:
        """The phrases closest to any of the hypotheses, best first, then urgent ones."""
        from rapidfuzz import fuzz, process

        best: dict[str, float] = {}
        urgent: dict[str, None] = {}
        for hypothesis in hypotheses:
            heard = plain(hypothesis)
            if not heard:
                continue
            for phrase, similarity, _ in process.extract(
                heard, self.phrases, scorer=fuzz.ratio, limit=CANDIDATES
            ):
                if similarity >= CANDIDATE_SIMILARITY:
                    best[phrase] = max(similarity, best.get(phrase, 0.0))
            heard_words = heard.split()
            if len(heard_words) <= SHORT_WORDS:
                # "Out. Out." is "out" said twice: compared once with "ouch".
                once = " ".join(
                    w for i, w in enumerate(heard_words) if heard_words[i - 1 : i] != [w]
                )
                if heard_words[0] in self._urgent:
                    # The word itself and the closest of the phrases it opens, not all of them:
                    # each phrase scored costs about 60 ms, and "stop" opens twelve (a "stop
                    # now" over the coach took 1.4 s to decode, past the second it must take).
                    opened = [p for p in sorted(self._urgent) if p.split()[0] == heard_words[0]]
                    closest = process.extract(heard, opened, scorer=fuzz.ratio, limit=CANDIDATES)
                    urgent.update(dict.fromkeys([heard_words[0], *(p for p, _, _ in closest)]))
                for phrase, similarity, _ in process.extract(
                    once, sorted(self._urgent), scorer=fuzz.ratio, limit=CANDIDATES
                ):
                    if similarity >= URGENT_SIMILARITY:
                        urgent[phrase] = None
        chosen = sorted(best, key=best.__getitem__, reverse=True)[:CANDIDATES]
        return chosen + [phrase for phrase in urgent if phrase not in chosen]


def plain(text: str) -> str:
    """Lower-case words without punctuation, apostrophes kept: how phrases are compared."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def _core_similarity(span: list[str], phrase: list[str]) -> float:
    """Letter similarity of the words that differ (the shared first and last words left out)."""
    from rapidfuzz import fuzz

    while span and phrase and span[0] == phrase[0]:
        span, phrase = span[1:], phrase[1:]
    while span and phrase and span[-1] == phrase[-1]:
        span, phrase = span[:-1], phrase[:-1]
    if not span or not phrase:
        return 0.0
    return fuzz.ratio(" ".join(span), " ".join(phrase))


def _first_word(text: str) -> str:
    return next(iter(plain(text).split()), "")


def whisper_style(phrase: str) -> str:
    """A phrase the way Whisper writes a short sentence: capital first letter, a full stop."""
    return phrase[:1].upper() + phrase[1:] + "."
