"""Turn raw text (typed or transcribed) into lower-case word tokens the matcher compares."""

from __future__ import annotations

import re
import unicodedata

# Spelled-out forms, so "don't", "dont" and "do not" are one thing to the matcher.
CONTRACTIONS: dict[str, str] = {
    "don't": "do not", "dont": "do not", "doesn't": "does not", "doesnt": "does not",
    "didn't": "did not", "didnt": "did not", "isn't": "is not", "isnt": "is not",
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not",
    "wont": "will not", "aren't": "are not", "wasn't": "was not", "shouldn't": "should not",
    "let's": "let us", "lets": "let us", "i'm": "i am", "im": "i am", "we're": "we are",
    "you're": "you are", "it's": "it is", "that's": "that is", "thats": "that is",
    "what's": "what is", "whats": "what is", "i'd": "i would", "i've": "i have",
    "i'll": "i will", "there's": "there is", "wanna": "want to", "gonna": "going to",
    "gimme": "give me",
}  # fmt: skip

# Recognizers such as Whisper write numbers as digits ("Give me 1 minute.", "15."); the catalog
# and the matcher's word lists spell them out.
_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER = re.compile(r"\d+")

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-case words with punctuation removed and contractions spelled out."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _NUMBER.sub(lambda m: f" {number_words(int(m.group()))} ", text)
    out: list[str] = []
    for raw in _NOT_WORD.sub(" ", text).split():
        word = raw.strip("'")
        if not word:
            continue
        out.extend(CONTRACTIONS.get(word, word).split())
    return out


def number_words(number: int) -> str:
    """A whole number in words ("15" -> "fifteen", "240" -> "two hundred forty"); numbers of a
    thousand or more are read digit by digit."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    return " ".join(_ONES[int(digit)] for digit in str(number))
