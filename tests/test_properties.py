"""Property tests: no input string makes the parser or a session raise."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.matcher import IntentMatcher
from voice_coach.core.coach import Coach
from voice_coach.core.routine import load_routine
from voice_coach.runtime.text_session import TextSession

MATCHER = IntentMatcher()
ROUTINE = load_routine("quick")
WORDS = st.sampled_from(
    ["start", "harder", "softer", "next", "spot", "stretch", "pause", "resume", "stop", "ouch",
     "don't", "not", "please", "um", "@", "@3", "@-1", "@nan", "\x00", "é", "ß", "'", "hurts"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=8).map(" ".join))


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_parser_never_raises(text):
    result = MATCHER.match(text)
    assert result.intent is None or result.intent in MATCHER.catalog.names()
    assert 0.0 <= result.confidence <= 1.0


@given(st.lists(TEXT, max_size=12), st.integers(min_value=0, max_value=2**31))
@settings(max_examples=60, deadline=None)
def test_session_never_raises(lines, seed):
    out = io.StringIO()
    session = TextSession(Coach(ROUTINE, seed=seed), out=out, err=io.StringIO())
    session.run_virtual(["start", *lines])
    assert session.coach.finished
