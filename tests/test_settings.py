"""Voice settings: config file, flags over the file, bad values reported and skipped."""

from __future__ import annotations

from voice_coach.settings import Settings, apply, load_settings


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "none.toml", warn=lambda s: None) == Settings()


def test_file_values_apply_and_bad_ones_are_reported(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('voice = "en-us"\nrate = 9000\nvolume = 0.5\ncolour = "blue"\n')
    warnings: list[str] = []
    settings = load_settings(path, warn=warnings.append)
    assert settings.voice == "en-us"
    assert settings.volume == 0.5
    assert settings.rate == Settings().rate
    assert any("rate = 9000 ignored" in w for w in warnings)
    assert any("unknown setting 'colour'" in w for w in warnings)


def test_broken_toml_is_one_sentence_and_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"voice = \xff\n[[")
    warnings: list[str] = []
    assert load_settings(path, warn=warnings.append) == Settings()
    assert len(warnings) == 1 and str(path) in warnings[0]


def test_flags_override_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('rate = 120\nengine = "vosk"\n')
    settings = load_settings(path, warn=lambda s: None)
    settings = apply(settings, {"rate": 200, "engine": None}, "command line", print)
    assert settings.rate == 200 and settings.engine == "vosk"
