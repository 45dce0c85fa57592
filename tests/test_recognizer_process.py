"""A recognizer in a child process behaves like the same recognizer in-process."""

from __future__ import annotations

import os
import signal
import time

import pytest

from audio_models.errors import EngineUnavailable
from audio_models.recognizers.pocketsphinx_recognizer import PocketSphinxRecognizer
from audio_models.recognizers.recognizer_process import ProcessRecognizer
from intents.catalog import default_catalog
from tests.audio import recognizer_pcm, silence, speech


def test_decodes_in_a_child_process_like_in_process():
    pcm = recognizer_pcm(silence(0.5), speech("stop"), silence(1.0), speech("pause"), silence(0.6))
    local = PocketSphinxRecognizer(default_catalog().phrases())
    expected = [t.text for t in local.accept(pcm) + local.flush()]
    remote = ProcessRecognizer(PocketSphinxRecognizer, default_catalog().phrases())
    try:
        got = []
        for i in range(0, len(pcm), 640):
            got += remote.accept(pcm[i : i + 640])
        got += remote.flush()
        assert [t.text for t in got] == expected == ["stop", "pause"]
        remote.reset()
        assert remote.flush() == []
    finally:
        remote.close()


def test_a_load_error_in_the_child_reaches_the_caller_as_its_sentence():
    with pytest.raises(EngineUnavailable, match="16000 Hz"):
        ProcessRecognizer(PocketSphinxRecognizer, ["stop"], None, 8000)


def test_ctrl_c_leaves_the_child_decoding_until_the_parent_closes_it():
    # Ctrl-C signals the whole process group; the session still has its summary to say.
    pcm = recognizer_pcm(silence(0.5), speech("stop"), silence(1.0))
    remote = ProcessRecognizer(PocketSphinxRecognizer, default_catalog().phrases())
    try:
        os.kill(remote._process.pid, signal.SIGINT)
        time.sleep(0.3)
        assert remote._process.is_alive()
        assert [t.text for t in remote.accept(pcm) + remote.flush()] == ["stop"]
    finally:
        remote.close()


def test_a_dead_child_is_one_clear_error():
    remote = ProcessRecognizer(PocketSphinxRecognizer, default_catalog().phrases())
    remote._process.kill()
    remote._process.join()
    with pytest.raises(EngineUnavailable, match="restarted"):
        for _ in range(50):  # the pipe may take a write or two to notice
            remote.accept(b"\0\0" * 320)
            time.sleep(0.01)
    remote.close()


def test_the_child_says_what_is_listening():
    remote = ProcessRecognizer(PocketSphinxRecognizer, default_catalog().phrases())
    try:
        assert remote.description == "PocketSphinx, its own US English model"
    finally:
        remote.close()


def test_the_answers_expected_reach_the_recognizer_in_the_child():
    # tiny.en writes espeak's "two balls" as "Two miles." unless told "which ball?" is open
    # (test_whisper_recognizer.py); here the telling crosses the process boundary.
    from audio_models.recognizers.whisper_recognizer import WhisperRecognizer

    catalog = default_catalog()
    pcm = recognizer_pcm(silence(0.5), speech("two balls"), silence(0.6))
    remote = ProcessRecognizer(WhisperRecognizer, catalog.phrases())
    try:
        remote.expect(tuple(catalog.ball_answers.values()))
        got = []
        for i in range(0, len(pcm), 640):
            got += remote.accept(pcm[i : i + 640])
        got += remote.flush()
        assert [t.text for t in got if t.final] == ["two balls"]
    finally:
        remote.close()
