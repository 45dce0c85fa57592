"""The Vosk adapter: grammar, Vosk's real JSON, streaming (on a fake recognizer), model errors.

No Vosk model can be downloaded here, so the decoding test needs one installed and is skipped
otherwise; everything else runs: the JSON fixtures are copied from what vosk-api's
recognizer.cc emits (json.h's pretty printing included), and model errors use the real
``vosk.Model`` on folders that are not models.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import audio_models.recognizers.vosk_recognizer as vosk_recognizer
from audio_models.errors import EngineUnavailable, ModelError
from audio_models.recognizers.vosk_recognizer import (
    VoskRecognizer,
    captured_stderr,
    kaldi_reason,
    load_model,
)
from audio_models.recognizers.vosk_results import (
    build_grammar,
    grammar_json,
    parse_partial,
    parse_result,
)
from audio_models.types import Transcript
from intents.catalog import default_catalog
from intents.matcher import IntentMatcher
from tests.audio import recognizer_pcm, silence, speech

# Result()/FinalResult() with SetWords(True): MbrResult's dump.
RESULT_WORDS = """{
  "result" : [{
      "conf" : 1.000000,
      "end" : 2.340000,
      "start" : 1.980000,
      "word" : "a"
    }, {
      "conf" : 0.873421,
      "end" : 2.610000,
      "start" : 2.340000,
      "word" : "bit"
    }, {
      "conf" : 0.964512,
      "end" : 3.030000,
      "start" : 2.610000,
      "word" : "harder"
    }],
  "text" : "a bit harder"
}"""
# Speech that is none of the phrases, with [unk] in the grammar.
RESULT_UNKNOWN = """{
  "result" : [{
      "conf" : 0.781223,
      "end" : 1.200000,
      "start" : 0.630000,
      "word" : "[unk]"
    }, {
      "conf" : 0.652109,
      "end" : 1.680000,
      "start" : 1.200000,
      "word" : "[unk]"
    }],
  "text" : "[unk] [unk]"
}"""
RESULT_UNKNOWN_THEN_COMMAND = """{
  "result" : [{
      "conf" : 0.412000,
      "end" : 0.900000,
      "start" : 0.450000,
      "word" : "[unk]"
    }, {
      "conf" : 0.990000,
      "end" : 1.380000,
      "start" : 0.960000,
      "word" : "stop"
    }],
  "text" : "[unk] stop"
}"""
RESULT_NO_WORDS = """{
  "text" : ""
}"""
EMPTY_RETURN = '{"text": ""}'  # StoreEmptyReturn(): nothing decoded since the last result
RESULT_WORDS_OFF = """{
  "text" : "pause"
}"""
ALTERNATIVES = """{
  "alternatives" : [{
      "confidence" : 242.382858,
      "result" : [{
          "end" : 1.020000,
          "start" : 0.360000,
          "word" : "stop"
        }],
      "text" : "stop"
    }, {
      "confidence" : 237.015839,
      "text" : "pause"
    }]
}"""
EMPTY_ALTERNATIVES = '{"alternatives" : [{"text": "", "confidence" : 1.0}] }'
PARTIAL = """{
  "partial" : "a bit"
}"""
PARTIAL_LONGER = """{
  "partial" : "a bit harder"
}"""
PARTIAL_UNKNOWN = """{
  "partial" : "[unk]"
}"""
PARTIAL_EMPTY = """{
  "partial" : ""
}"""


# ---------------------------------------------------------------------- grammar


def test_grammar_is_lower_cased_deduplicated_and_drops_phrases_with_unknown_words_whole():
    vocabulary = {"a", "bit", "harder", "stop", "go", "on"}
    usable, dropped = build_grammar(
        ["A bit harder", "stop", "a  bit harder", "unpause now", "go on", "", "stop"],
        vocabulary.__contains__,
    )
    assert usable == ["a bit harder", "stop", "go on"]
    assert dropped == ["unpause now"]  # never "now", which Vosk would have kept


def test_grammar_json_ends_with_unk_unless_the_model_lacks_it():
    assert json.loads(grammar_json(["stop", "go on"])) == ["stop", "go on", "[unk]"]
    assert json.loads(grammar_json(["stop"], unknown=False)) == ["stop"]


def test_every_catalog_phrase_survives_a_vocabulary_with_every_catalog_word():
    phrases = default_catalog().phrases()
    words = {w for p in phrases for w in p.lower().split()}
    usable, dropped = build_grammar(phrases, words.__contains__)
    assert dropped == [] and set(usable) == {" ".join(p.lower().split()) for p in phrases}


# ---------------------------------------------------------------------- results


def test_result_with_words_gives_text_mean_confidence_and_word_times():
    assert parse_result(RESULT_WORDS, 0.0, 9.0) == Transcript(
        "a bit harder", round((1.0 + 0.873421 + 0.964512) / 3, 3), 1.98, 3.03
    )


def test_result_of_only_unk_is_heard_but_not_a_command():
    assert parse_result(RESULT_UNKNOWN, 0.0, 9.0) == Transcript("", 0.0, 0.63, 1.68)


def test_unk_words_are_dropped_from_the_text_and_the_confidence():
    assert parse_result(RESULT_UNKNOWN_THEN_COMMAND, 0.0, 9.0) == Transcript(
        "stop", 0.99, 0.45, 1.38
    )


@pytest.mark.parametrize("raw", [RESULT_NO_WORDS, EMPTY_RETURN, EMPTY_ALTERNATIVES])
def test_result_without_words_is_silence_not_an_utterance(raw):
    assert parse_result(raw, 0.0, 9.0) is None


def test_result_without_word_list_uses_the_stream_times_given():
    assert parse_result(RESULT_WORDS_OFF, 4.0, 5.5) == Transcript("pause", 1.0, 4.0, 5.5)
    assert parse_result('{"text" : "[unk]"}', 4.0, 5.5) == Transcript("", 0.0, 4.0, 5.5)


def test_alternatives_take_the_first_one():
    assert parse_result(ALTERNATIVES, 0.0, 9.0) == Transcript("stop", 1.0, 0.36, 1.02)


@pytest.mark.parametrize(
    "raw", ["", "not json", "[]", "null", '{"result": 5}', '{"result": ["x"]}', "[" * 5000]
)
def test_malformed_results_are_ignored_not_raised(raw):
    assert parse_result(raw, 0.0, 1.0) is None
    assert parse_partial(raw) == ""


def test_partial_text_without_unk():
    assert parse_partial(PARTIAL) == "a bit"
    assert parse_partial(PARTIAL_UNKNOWN) == ""
    assert parse_partial('{"partial" : "[unk] stop"}') == "stop"
    assert parse_partial(PARTIAL_EMPTY) == ""


# ---------------------------------------------------------------------- streaming


class FakeKaldiRecognizer:
    """Stands in for vosk.KaldiRecognizer: replays real Vosk JSON at scripted stream positions.

    ``script`` lists (byte position, kind, JSON): a "partial" becomes PartialResult() once that
    much audio has been fed, a "result" makes AcceptWaveform() report an endpoint there.
    """

    def __init__(self, grammar: str, script, final: str = EMPTY_RETURN) -> None:
        self.grammar = json.loads(grammar)
        self.script = list(script)
        self.final = final
        self.chunks: list[bytes] = []
        self._partial = PARTIAL_EMPTY
        self._result = EMPTY_RETURN

    @property
    def fed(self) -> int:
        return sum(len(c) for c in self.chunks)

    def AcceptWaveform(self, data: bytes) -> int:
        assert isinstance(data, bytes) and len(data) % 2 == 0
        self.chunks.append(data)
        while self.script and self.script[0][0] <= self.fed:
            _, kind, raw = self.script.pop(0)
            if kind == "result":
                self._result, self._partial = raw, PARTIAL_EMPTY
                return 1
            self._partial = raw
        return 0

    def Result(self) -> str:
        return self._result

    def PartialResult(self) -> str:
        return self._partial

    def FinalResult(self) -> str:
        return self.final


def fake_engine(script, final=EMPTY_RETURN, vocabulary=None, phrases=("a bit harder", "stop")):
    made: list[FakeKaldiRecognizer] = []

    def new_recognizer(grammar: str) -> FakeKaldiRecognizer:
        made.append(FakeKaldiRecognizer(grammar, script, final))
        return made[-1]

    words = vocabulary if vocabulary is not None else {"a", "bit", "harder", "stop", "[unk]"}
    recognizer = VoskRecognizer.with_engine(list(phrases), words.__contains__, new_recognizer)
    return recognizer, made


def feed(recognizer, pcm: bytes, chunk: int) -> list[Transcript]:
    out: list[Transcript] = []
    for i in range(0, len(pcm), chunk):
        out += recognizer.accept(pcm[i : i + chunk])
    return out + recognizer.flush()


SECOND = 32_000  # bytes of 16 kHz s16 audio


def test_partials_when_they_change_then_the_final_with_fake_vosk_recognizer():
    script = [
        (SECOND // 2, "partial", PARTIAL_UNKNOWN),
        (SECOND, "partial", PARTIAL),
        (SECOND + 3200, "partial", PARTIAL),
        (SECOND * 3 // 2, "partial", PARTIAL_LONGER),
        (SECOND * 2, "result", RESULT_WORDS),
        (SECOND * 5 // 2, "partial", '{"partial" : "stop"}'),
    ]
    recognizer, made = fake_engine(script, final=RESULT_UNKNOWN_THEN_COMMAND)
    out = feed(recognizer, b"\0" * SECOND * 3, 3200)
    assert [(t.text, t.final) for t in out] == [
        ("a bit", False),
        ("a bit harder", False),
        ("a bit harder", True),
        ("stop", False),
        ("stop", True),
    ]
    assert out[0].start == 0.0 and out[0].end == 1.0 and out[0].confidence == 0.0
    assert out[2] == parse_result(RESULT_WORDS, 0, 0)
    assert (out[3].start, out[3].end) == (2.0, 2.5)  # the next utterance starts at the endpoint
    assert len(made) == 1 and made[0].fed == SECOND * 3


def test_odd_sized_chunks_reach_vosk_whole_samples_only_with_fake_vosk_recognizer():
    recognizer, made = fake_engine([])
    pcm = bytes(range(256)) * 100
    assert feed(recognizer, pcm, 777) == []
    assert b"".join(made[0].chunks) == pcm  # no byte lost or shifted between chunks
    assert recognizer.accept(b"\1") == [] and made[0].fed == len(pcm)


def test_grammar_given_to_vosk_leaves_out_phrases_with_unknown_words_with_fake_vosk_recognizer():
    recognizer, made = fake_engine([], phrases=("Stop", "a bit harder", "unpause now", "stop"))
    assert made[0].grammar == ["stop", "a bit harder", "[unk]"]
    assert recognizer.dropped == ["unpause now"] and recognizer.rejects_unknown


def test_model_without_unk_gets_a_grammar_without_it_with_fake_vosk_recognizer():
    recognizer, made = fake_engine([], vocabulary={"stop"})
    assert made[0].grammar == ["stop"] and not recognizer.rejects_unknown


def test_no_usable_phrase_is_a_model_error_with_fake_vosk_recognizer():
    with pytest.raises(ModelError, match=r"knows none of the command words.*models install"):
        fake_engine([], vocabulary={"bonjour"})


def test_flush_of_silence_gives_nothing_and_reset_restarts_the_clock_with_fake_vosk_recognizer():
    recognizer, made = fake_engine([(SECOND, "partial", PARTIAL)])
    assert feed(recognizer, b"\0" * SECOND * 2, 3200) == [
        Transcript("a bit", 0.0, 0.0, 1.0, final=False)
    ]
    recognizer.reset()
    assert len(made) == 2  # a fresh decoder: Vosk's own Reset() keeps its clock running
    out = recognizer.accept(b"\0" * SECOND)
    assert out == [Transcript("a bit", 0.0, 0.0, 1.0, final=False)]


def word_result(word: str, start: float, end: float) -> str:
    """Result() for one word, its times on the Kaldi recognizer's own clock."""
    found = [{"conf": 0.9, "end": end, "start": start, "word": word}]
    return json.dumps({"result": found, "text": word})


def engine_with_scripts(*scripts, vocabulary=frozenset({"stop", "firm", "ball", "soft", "[unk]"})):
    """A recognizer whose n-th Kaldi recognizer made plays the n-th script."""
    made: list[FakeKaldiRecognizer] = []
    queue = list(scripts)

    def new_recognizer(grammar: str) -> FakeKaldiRecognizer:
        made.append(FakeKaldiRecognizer(grammar, queue.pop(0) if queue else []))
        return made[-1]

    recognizer = VoskRecognizer.with_engine(["stop"], vocabulary.__contains__, new_recognizer)
    return recognizer, made


BALL_ANSWERS = (("firm", "firm ball", "lacrosse"), ("soft", "tennis"))


def test_a_questions_answers_join_the_grammar_until_it_closes_with_fake_vosk_recognizer():
    recognizer, made = engine_with_scripts()
    recognizer.expect(BALL_ANSWERS)
    # Words the model lacks ("lacrosse", "tennis") are left out, as for commands.
    assert made[-1].grammar == ["stop", "firm", "firm ball", "soft", "[unk]"]
    recognizer.expect(BALL_ANSWERS)
    assert len(made) == 2  # the same answers again: the recognizer is kept
    recognizer.expect(())
    assert made[-1].grammar == ["stop", "[unk]"] and len(made) == 3
    assert recognizer.dropped == []  # the answers it cannot hear are no missing command


def test_an_answer_begun_before_the_question_arrived_is_heard_with_fake_vosk_recognizer():
    # The first Kaldi recognizer ends an utterance at 1 s; the user starts answering at 1.2 s,
    # before the answers arrive at 1.5 s; the second recognizer, fed the audio from 1 s again,
    # hears "firm" 0.3-0.7 s into what it was given: 1.3-1.7 s into the stream.
    first = [(SECOND, "result", word_result("stop", 0.4, 0.8))]
    second = [(SECOND, "result", word_result("firm", 0.3, 0.7))]
    recognizer, made = engine_with_scripts(first, second)
    pcm = bytes(range(256)) * (3 * SECOND // 256)
    out = [t for i in range(0, SECOND * 3 // 2, 3200) for t in recognizer.accept(pcm[i : i + 3200])]
    assert [(t.text, t.start, t.end) for t in out] == [("stop", 0.4, 0.8)]
    recognizer.expect(BALL_ANSWERS)
    assert b"".join(made[1].chunks) == pcm[SECOND : SECOND * 3 // 2]  # the answer's start
    out = recognizer.accept(pcm[SECOND * 3 // 2 : SECOND * 5 // 2])
    assert [(t.text, t.final) for t in out] == [("firm", True)]
    assert (out[0].start, out[0].end) == pytest.approx((1.3, 1.7))
    # The next utterance's times go on from that endpoint, on the stream's clock.
    assert recognizer.flush() == []
    assert recognizer._now() == pytest.approx(2.5)


def test_what_the_replayed_audio_yields_comes_out_next_with_fake_vosk_recognizer():
    # The whole answer was said before the answers arrived: the replay alone ends it.
    second = [(SECOND // 2, "result", word_result("soft", 0.1, 0.4))]
    recognizer, _ = engine_with_scripts([], second)
    assert recognizer.accept(b"\0" * SECOND) == []
    recognizer.expect(BALL_ANSWERS)
    assert [t.text for t in recognizer.accept(b"")] == ["soft"]
    assert recognizer.accept(b"\0" * 2) == []


def test_a_grammar_the_model_refuses_leaves_the_commands_heard_with_fake_vosk_recognizer():
    script = [(SECOND, "result", word_result("stop", 0.2, 0.5))]
    recognizer, made = engine_with_scripts(script)
    refusing = recognizer._new_recognizer

    def new_recognizer(grammar: str) -> FakeKaldiRecognizer:
        if "firm" in grammar:
            raise ModelError("The Vosk model cannot take a phrase grammar")
        return refusing(grammar)

    recognizer._new_recognizer = new_recognizer
    with pytest.raises(ModelError):
        recognizer.expect(BALL_ANSWERS)
    out = recognizer.accept(b"\0" * SECOND)
    assert [t.text for t in out] == ["stop"] and len(made) == 1
    recognizer.expect(())  # nothing to undo: still the commands' grammar
    assert len(made) == 1


def test_decoding_failure_is_engine_unavailable_with_fake_vosk_recognizer():
    recognizer, made = fake_engine([])

    def fail(data):
        raise Exception("Failed to process waveform")

    made[0].AcceptWaveform = fail
    with pytest.raises(EngineUnavailable, match="Failed to process waveform"):
        recognizer.accept(b"\0\0")


# ---------------------------------------------------------------------- loading (real vosk)


def test_kaldi_error_lines_written_by_c_code_are_captured_and_cleaned(capfd):
    with captured_stderr() as lines:
        os.write(2, b"LOG (VoskAPI:ReadDataFiles():model.cc:213) Decoding params\n")
        os.write(2, b"ERROR (VoskAPI:Model():model.cc:122) Folder 'x' is bad\xff.\n")
    assert capfd.readouterr().err == ""
    assert len(lines) == 2
    assert kaldi_reason(lines) == "Folder 'x' is bad?"
    assert kaldi_reason([]) == "no reason given"


def test_missing_model_folder_is_a_model_error_without_touching_vosk(tmp_path, monkeypatch):
    monkeypatch.setattr(vosk_recognizer, "_vosk", lambda: pytest.fail("vosk was loaded"))
    with pytest.raises(ModelError, match=r"does not exist.*models install vosk-model-small"):
        VoskRecognizer(tmp_path / "nowhere", ["stop"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match=r"is not a folder.*--model PATH"):
        load_model(tmp_path / "file")


def test_real_vosk_on_an_empty_folder_gives_kaldis_reason_in_one_sentence(tmp_path, capfd):
    with pytest.raises(ModelError) as caught:
        VoskRecognizer(tmp_path, ["stop"])
    message = str(caught.value)
    assert "does not contain model files" in message  # Kaldi's words, not "Failed to create"
    assert "voice-coach models install vosk-model-small-en-us-0.15" in message
    assert "\n" not in message and message.endswith(".")
    assert "VoskAPI" not in capfd.readouterr().err  # captured, not leaked to the terminal


def test_real_vosk_on_a_corrupt_model_gives_kaldis_reason(tmp_path, capfd):
    for name, content in {
        "am/final.mdl": bytes(range(128, 256)) * 32,  # not even a token
        "conf/model.conf": b"--beam=10.0\n",
        "conf/mfcc.conf": b"--use-energy=false\n",
        "graph/HCLr.fst": b"\0" * 1024,
        "graph/Gr.fst": b"\0" * 1024,
    }.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ModelError) as caught:
        VoskRecognizer(tmp_path, ["stop"])
    message = str(caught.value)
    assert "<TransitionModel>" in message  # what Kaldi expected to find first in final.mdl
    assert "Failed to create a model" not in message
    assert message.isprintable() and "--model PATH" in message
    assert "VoskAPI" not in capfd.readouterr().err


# ---------------------------------------------------------------------- a real model


@pytest.fixture
def installed_vosk_model():
    """The folder of an installed Vosk model; the test is skipped without one."""
    from audio_models.models.store import ModelStore

    path = ModelStore().find_vosk_model()
    if path is None:
        pytest.skip(
            "no Vosk model installed: run `voice-coach models install "
            "vosk-model-small-en-us-0.15` to run this test"
        )
    return path


def test_real_vosk_model_decodes_command(installed_vosk_model):
    recognizer = VoskRecognizer(installed_vosk_model, default_catalog().phrases())
    matcher = IntentMatcher()
    for text, intent in [("a bit harder", "harder"), ("stop", "stop"), ("ouch", "pain")]:
        recognizer.reset()
        pcm = recognizer_pcm(silence(0.5), speech(text), silence(0.8))
        finals = [t for t in feed(recognizer, pcm, 3200) if t.final and t.text]
        assert [matcher.match(t.text).intent for t in finals] == [intent]
        assert 0.3 < finals[0].start < finals[0].end < len(pcm) / 32000
    recognizer.reset()
    noise = np.random.default_rng(1).normal(0, 6000, 13_000).astype(np.int16)
    finals = [t for t in feed(recognizer, recognizer_pcm(silence(0.5), noise), 3200) if t.final]
    assert all(matcher.match(t.text).intent is None for t in finals)


def test_real_vosk_model_hears_a_ball_answer_while_asked(installed_vosk_model):
    catalog = default_catalog()
    recognizer = VoskRecognizer(installed_vosk_model, catalog.phrases())
    recognizer.expect(tuple(catalog.ball_answers.values()))
    pcm = recognizer_pcm(silence(0.5), speech("a tennis ball"), silence(0.8))
    finals = [t for t in feed(recognizer, pcm, 3200) if t.final and t.text]
    assert [IntentMatcher().match(t.text).ball for t in finals] == ["soft"]
