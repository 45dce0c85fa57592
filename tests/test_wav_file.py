"""The WAV reader on every flavour it claims, written byte by byte at test time."""

from __future__ import annotations

import contextlib
import struct
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_models.errors import AudioFormatError
from audio_models.recognizers.protocol import SAMPLE_RATE
from audio_models.wav_file import (
    Wav,
    load_for_recognizer,
    parse_wav,
    parse_wav_file,
    read_wav,
    write_wav,
)
from voice_coach.commands.recognize import wav_notes

RATE = 8000
TONE = 0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE // 10) / RATE)  # 0.1 s of A440
SUBTYPE_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def fmt_chunk(tag: int, channels: int, rate: int, bits: int, extensible_tag: int | None = None):
    width = (bits + 7) // 8
    common = struct.pack(
        "<HHIIHH", tag, channels, rate, rate * channels * width, channels * width, bits
    )
    if extensible_tag is None:
        return chunk(b"fmt ", common)
    extension = struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", extensible_tag)
    return chunk(b"fmt ", common + extension + SUBTYPE_TAIL)


def chunk(kind: bytes, body: bytes, size: int | None = None) -> bytes:
    size = len(body) if size is None else size
    return kind + struct.pack("<I", size) + body + b"\0" * (len(body) & 1)


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def encode(samples: np.ndarray, kind: str) -> tuple[bytes, int, int]:
    """Float samples in [-1, 1] as raw little-endian bytes: (bytes, format tag, bits)."""
    if kind == "u8":
        return np.round(samples * 127 + 128).astype(np.uint8).tobytes(), 1, 8
    if kind == "s16":
        return np.round(samples * 32767).astype("<i2").tobytes(), 1, 16
    if kind == "s24":
        ints = np.round(samples * 8388607).astype("<i4")
        return b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.ravel()), 1, 24
    if kind == "s32":
        return np.round(samples * 2147483647).astype("<i4").tobytes(), 1, 32
    if kind == "f32":
        return samples.astype("<f4").tobytes(), 3, 32
    return samples.astype("<f8").tobytes(), 3, 64


def as_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind == "f":
        return samples.astype(np.float64)
    if samples.dtype == np.uint8:
        return (samples.astype(np.float64) - 128) / 128
    return samples.astype(np.float64) / (np.iinfo(samples.dtype).max + 1.0)


KINDS = ["u8", "s16", "s24", "s32", "f32", "f64"]
TOLERANCE = {"u8": 1 / 100, "s16": 1e-4, "s24": 1e-6, "s32": 1e-8, "f32": 1e-7, "f64": 0}


@pytest.mark.parametrize("extensible", [False, True], ids=["plain", "extensible"])
@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_format_reads_back_what_was_written(kind, channels, extensible):
    signal = np.stack([TONE * (c + 1) / channels for c in range(channels)], axis=1)
    raw, tag, bits = encode(signal, kind)
    fmt = (
        fmt_chunk(0xFFFE, channels, RATE, bits, tag)
        if extensible
        else fmt_chunk(tag, channels, RATE, bits)
    )
    samples, rate = parse_wav(riff(fmt, chunk(b"data", raw)))
    assert rate == RATE
    assert samples.shape == (len(TONE), channels)
    np.testing.assert_allclose(as_float(samples), signal, atol=TOLERANCE[kind] + 1e-9)


def test_odd_sized_chunks_are_skipped_with_their_pad_byte():
    raw, tag, bits = encode(TONE, "s16")
    data = riff(
        chunk(b"LIST", b"INFOabc"),  # 7 bytes + pad
        fmt_chunk(tag, 1, RATE, bits),
        chunk(b"junk", b"x"),
        chunk(b"data", raw),
        chunk(b"smpl", b"odd"),
    )
    samples, _ = parse_wav(data)
    np.testing.assert_allclose(as_float(samples[:, 0]), TONE, atol=1e-4)


def test_odd_sized_8_bit_data_chunk_keeps_every_sample():
    raw, tag, bits = encode(TONE[:101], "u8")
    samples, _ = parse_wav(riff(fmt_chunk(tag, 1, RATE, bits), chunk(b"data", raw)))
    assert samples.shape == (101, 1)


@pytest.mark.parametrize("size", [0, 0xFFFFFFFF], ids=["zero", "all-ones"])
def test_streamed_file_with_unknown_data_size_reads_to_end_of_file(size):
    raw, tag, bits = encode(TONE, "s16")
    samples, _ = parse_wav(riff(fmt_chunk(tag, 1, RATE, bits), chunk(b"data", raw, size=size)))
    assert samples.shape == (len(TONE), 1)


def test_file_cut_off_inside_the_data_keeps_the_whole_frames_there():
    raw, tag, bits = encode(np.stack([TONE, TONE], axis=1), "s16")
    cut = riff(fmt_chunk(tag, 2, RATE, bits), chunk(b"data", raw))[: -len(raw) // 2 - 1]
    samples, _ = parse_wav(cut)
    assert samples.shape == ((len(raw) // 2 - 1) // 4, 2)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"ID3\x04" + b"\0" * 40, "not a RIFF/WAVE"),
        (b"RIFF\0\0\0\0AVI LIST", "not a RIFF/WAVE"),
        (riff(chunk(b"data", b"\0\0")), "no format header"),
        (riff(fmt_chunk(1, 1, RATE, 16)), "no audio"),
        (riff(fmt_chunk(6, 1, RATE, 8), chunk(b"data", b"\0")), "A-law"),
        (riff(fmt_chunk(0x55, 1, RATE, 0), chunk(b"data", b"\0")), "MP3"),
        (riff(fmt_chunk(0xFFFE, 1, RATE, 8, 7), chunk(b"data", b"\0")), "µ-law"),
        (riff(fmt_chunk(3, 1, RATE, 16), chunk(b"data", b"\0\0")), "16-bit floating-point"),
        (riff(fmt_chunk(1, 0, RATE, 16), chunk(b"data", b"\0\0")), "0 channels"),
        (riff(b"fmt " + struct.pack("<I", 16) + b"\1\0\1\0"), "cut off"),
        (riff(chunk(b"fmt ", b"\1\0\1\0")), "too short"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unreadable_data_is_an_audio_format_error_saying_why(data, reason):
    with pytest.raises(AudioFormatError, match=reason):
        parse_wav(data)


def test_read_wav_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all")
    with pytest.raises(AudioFormatError) as caught:
        read_wav(path)
    message = str(caught.value)
    assert str(path) in message and "not a RIFF/WAVE" in message and "WAV file" in message
    with pytest.raises(AudioFormatError, match="No such file"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(AudioFormatError, match="cannot be opened"):
        read_wav(tmp_path)


@pytest.mark.parametrize("channels", [1, 2])
def test_write_wav_is_standard_16_bit_pcm_that_the_stdlib_reads(tmp_path, channels):
    path = tmp_path / "out.wav"
    signal = np.stack([TONE] * channels, axis=1) if channels > 1 else TONE
    write_wav(path, signal, RATE)
    with wave.open(str(path)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (
            channels,
            2,
            RATE,
        )
        assert reader.getnframes() == len(TONE)
    samples, rate = read_wav(path)
    assert rate == RATE
    np.testing.assert_allclose(as_float(samples[:, 0]), TONE, atol=1e-4)


def test_load_for_recognizer_gives_16k_mono_s16_from_stereo_44k_float(tmp_path):
    seconds = 0.5
    t = np.arange(int(44_100 * seconds)) / 44_100
    left = 0.5 * np.sin(2 * np.pi * 300 * t)
    raw, tag, bits = encode(np.stack([left, left], axis=1), "f32")
    path = tmp_path / "stereo.wav"
    path.write_bytes(riff(fmt_chunk(0xFFFE, 2, 44_100, bits, tag), chunk(b"data", raw)))
    pcm = np.frombuffer(load_for_recognizer(path), dtype="<i2")
    assert len(pcm) == int(SAMPLE_RATE * seconds)
    assert 0.45 < np.abs(pcm[1000:-1000]).max() / 32768 < 0.55


def test_load_for_recognizer_survives_nan_and_infinity_in_a_float_file(tmp_path):
    signal = np.array([0.1, np.nan, np.inf, -np.inf, 5.0, -0.2] * 100)
    raw, tag, bits = encode(signal, "f32")
    path = tmp_path / "wild.wav"
    path.write_bytes(riff(fmt_chunk(tag, 1, SAMPLE_RATE, bits), chunk(b"data", raw)))
    pcm = np.frombuffer(load_for_recognizer(path), dtype="<i2")
    assert list(pcm[:6]) == [3277, 0, 32767, -32767, 32767, -6553]


VALID = riff(fmt_chunk(1, 2, RATE, 16), chunk(b"LIST", b"odd"), chunk(b"data", b"\1\2" * 50))


@st.composite
def damaged_files(draw) -> bytes:
    """A valid file with some bytes overwritten and maybe the end cut off."""
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda body: b"RIFF\0\0\0\0WAVE" + body),
        damaged_files(),
    )
)
def test_random_bytes_raise_nothing_but_audio_format_error(data):
    with contextlib.suppress(AudioFormatError):
        samples, rate = parse_wav(data)
        assert samples.ndim == 2 and rate > 0


@settings(max_examples=400, deadline=None)
@given(
    tag=st.sampled_from([1, 3, 6, 0xFFFE, 0x55]),
    channels=st.integers(0, 70),
    rate=st.integers(0, 200_000),
    bits=st.integers(0, 70),
    block_align=st.integers(0, 600),
    tail=st.binary(max_size=200),
)
def test_random_headers_raise_nothing_but_audio_format_error(
    tag, channels, rate, bits, block_align, tail
):
    fmt = struct.pack("<HHIIHH", tag, channels, rate, 0, block_align, bits) + tail[:24]
    data = riff(chunk(b"fmt ", fmt), chunk(b"data", tail))
    try:
        samples, _ = parse_wav(data)
    except AudioFormatError:
        return
    assert samples.ndim == 2 and samples.shape[1] == channels


def test_a_cut_off_file_says_how_much_audio_it_lacks():
    raw = (np.full(RATE, 1000)).astype("<i2").tobytes()  # 1 s
    whole = riff(fmt_chunk(1, 1, RATE, 16), chunk(b"data", raw))
    assert parse_wav_file(whole).missing_seconds == 0
    cut = parse_wav_file(whole[: len(whole) - len(raw) // 4])
    assert cut.samples.shape == (RATE * 3 // 4, 1)
    assert cut.missing_seconds == pytest.approx(0.25)


def test_a_streamed_placeholder_size_is_not_a_cut():
    raw = b"\1\0" * 100
    for size in (0, 0xFFFFFFFF, 0x7FFFF000):
        data = riff(fmt_chunk(1, 1, RATE, 16), chunk(b"data", raw, size=size))
        assert parse_wav_file(data).missing_seconds == 0


@pytest.mark.parametrize("rate", [0, 1, 999, 768_001, 0x7FFFFFFF])
def test_impossible_rates_are_a_format_error(rate):
    with pytest.raises(AudioFormatError, match=r"rate|0 channels"):
        parse_wav(riff(fmt_chunk(1, 1, rate, 16), chunk(b"data", b"\0\0" * 10)))


@pytest.mark.parametrize(
    ("rate", "channels", "says"),
    [
        (16_000, 1, None),
        (8_000, 1, "8000 Hz mono; it was converted to 16 kHz mono, but audio recorded below"),
        (44_100, 2, "44100 Hz stereo; it was converted to 16 kHz mono."),
        (48_000, 6, "48000 Hz 6 channels;"),
    ],
)
def test_recognize_notes_a_file_that_is_not_16k_mono(rate, channels, says):
    notes = wav_notes("x.wav", Wav(np.zeros((10, channels), np.int16), rate))
    assert notes == ([] if says is None else [notes[0]])
    assert says is None or (says in notes[0] and notes[0].startswith("x.wav is "))
    assert says is None or ("poor" in notes[0]) == (rate < 16_000)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=64), st.integers(0, 0xFFFFFFFF), st.integers(0, 80), st.binary(max_size=400)
)
def test_reading_any_file_for_the_recognizer_raises_only_audio_format_error(
    fmt_tail, rate, channels, body
):
    fmt = struct.pack("<HHIIHH", 1, channels, rate, 0, 2 * channels, 16) + fmt_tail
    data = riff(chunk(b"fmt ", fmt), chunk(b"data", body))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.wav"
        for content in (data, data[: len(data) // 2], body):
            path.write_bytes(content)
            try:
                pcm = load_for_recognizer(path)
            except AudioFormatError as error:
                assert str(path) in str(error)
            else:
                assert len(pcm) % 2 == 0
