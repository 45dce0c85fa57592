"""Built language models are kept on disk and reused; an unwritable cache only costs time."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_models.recognizers import lm_cache


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(lm_cache.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    return tmp_path / "cache"


def load(key: list[str], text: str) -> tuple[list[str], list[str]]:
    built, read = [], []

    def build() -> str:
        built.append(text)
        return text

    lm_cache.language_model_file(key, build, lambda path: read.append(Path(path).read_text()))
    return built, read


def test_a_model_is_built_once_and_then_read_back(cache):
    assert load(["a", "b"], "model one") == (["model one"], ["model one"])
    assert load(["a", "b"], "never built") == ([], ["model one"])
    assert [p.suffix for p in (cache / "language-models").iterdir()] == [".arpa"]


def test_a_different_key_builds_a_different_model(cache):
    load(["a", "b"], "model one")
    assert load(["a", "c"], "model two") == (["model two"], ["model two"])
    assert load(["ab"], "model three")[0] == ["model three"]  # parts are not just joined


def test_an_unwritable_cache_builds_every_time(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(lm_cache.CACHE_DIR_VARIABLE, str(blocker))
    assert load(["a"], "model") == (["model"], ["model"])
    assert load(["a"], "model") == (["model"], ["model"])
