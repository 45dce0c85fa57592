"""WAV files of any common flavour in, recognizer PCM out; and a plain 16-bit writer.

The chunks are parsed here rather than with the stdlib ``wave`` module, which (in 3.11) refuses
WAVE_FORMAT_EXTENSIBLE and IEEE float, the two things audio editors and browsers write most.
Read: integer PCM of 8/16/24/32 bits, float of 32/64 bits, plain or extensible, any channel
count. Streamed recordings whose data size was never filled in (0 or 0xFFFFFFFF) and files cut
off inside the data chunk are read to the end of the file. Anything else is an AudioFormatError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_models.errors import AudioFormatError
from audio_models.pcm import S16_PEAK, to_recognizer_pcm

PCM = 0x0001
IEEE_FLOAT = 0x0003
EXTENSIBLE = 0xFFFE
# Every KSDATAFORMAT_SUBTYPE_* GUID is the format tag followed by these 14 bytes.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # what streaming writers leave in a size they cannot know
# espeak-ng --stdout (and others) write this just-under-2-GiB placeholder instead.
_PLACEHOLDER_FROM = 0x7FFFF000
# Rates outside these are header damage, not recordings (and 1 Hz would resample to gigabytes).
MIN_RATE, MAX_RATE = 1000, 768_000
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "µ-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0055: "MP3",
}
_FIX = "save it as a PCM or floating-point WAV file"


@dataclass(frozen=True)
class Wav:
    """A WAV file's samples (frames x channels) and what a listener should know about it."""

    samples: np.ndarray
    rate: int
    missing_seconds: float = 0.0  # audio the header promises but the file does not hold


@dataclass(frozen=True)
class _Format:
    tag: int  # PCM or IEEE_FLOAT once an extensible header is resolved
    channels: int
    rate: int
    width: int  # bytes per sample in the file


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """The samples (frames x channels) and sample rate of a WAV file's bytes.

    Integer samples keep their width (uint8, int16, int32 for 24- and 32-bit, the 24-bit ones
    scaled to full int32 range); float samples come back as float32 or float64.
    """
    wav = parse_wav_file(data)
    return wav.samples, wav.rate


def parse_wav_file(data: bytes) -> Wav:
    """Like ``parse_wav``, and how much of the promised audio a cut-off file lacks."""
    if len(data) < 12:
        raise AudioFormatError(f"it is too short to be a WAV file; {_FIX}")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError(f"it is not a RIFF/WAVE file; {_FIX}")
    fmt: _Format | None = None
    samples: bytes | None = None
    missing = 0  # bytes of the data chunk past the end of the file
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body_start = pos + 8
        if chunk_id == b"data":
            if size in _UNKNOWN_SIZES or size >= _PLACEHOLDER_FROM:
                size = len(data) - body_start
            samples = data[body_start : body_start + size]  # a cut-off file: what is there
            missing = size - len(samples)
            if fmt is not None:
                break  # nothing after the samples matters
        elif chunk_id == b"fmt ":
            if body_start + size > len(data):
                raise AudioFormatError(f"its format header is cut off; {_FIX}")
            fmt = _parse_fmt(data[body_start : body_start + size])
        pos = body_start + size + (size & 1)  # chunks are padded to an even length
    if fmt is None:
        raise AudioFormatError(f"it has no format header (fmt chunk); {_FIX}")
    if samples is None:
        raise AudioFormatError(f"it has no audio (data chunk); {_FIX}")
    frame = fmt.width * fmt.channels
    return Wav(_decode(samples, fmt), fmt.rate, missing / frame / fmt.rate)


def _parse_fmt(body: bytes) -> _Format:
    if len(body) < 16:
        raise AudioFormatError(f"its format header is too short; {_FIX}")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == EXTENSIBLE:
        if len(body) < 40:
            raise AudioFormatError(f"its extensible format header is too short; {_FIX}")
        guid = body[24:40]
        (tag,) = struct.unpack_from("<H", guid)
        if guid[2:] != _GUID_TAIL:
            raise AudioFormatError(f"its extensible format has an unknown sub-format; {_FIX}")
    if tag not in (PCM, IEEE_FLOAT):
        name = _FORMAT_NAMES.get(tag, f"format code 0x{tag:04x}")
        raise AudioFormatError(f"its samples are {name}, which is not supported; {_FIX}")
    if channels == 0 or rate == 0 or bits == 0:
        raise AudioFormatError(f"its format header says 0 channels, rate or bits; {_FIX}")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioFormatError(f"its format header gives an impossible rate of {rate} Hz; {_FIX}")
    # The container width comes from the block alignment: 20-bit audio sits in 3-byte slots.
    width = block_align // channels if block_align % channels == 0 else 0
    if width == 0 or width * 8 < bits:
        width = (bits + 7) // 8
    allowed = (1, 2, 3, 4) if tag == PCM else (4, 8)
    if width not in allowed:
        kind = "integer" if tag == PCM else "floating-point"
        raise AudioFormatError(f"its {width * 8}-bit {kind} samples are not supported; {_FIX}")
    return _Format(tag, channels, rate, width)


def _decode(raw: bytes, fmt: _Format) -> np.ndarray:
    frame = fmt.width * fmt.channels
    raw = raw[: len(raw) - len(raw) % frame]  # a cut-off last frame is dropped
    if fmt.tag == IEEE_FLOAT:
        flat = np.frombuffer(raw, dtype="<f4" if fmt.width == 4 else "<f8")
    elif fmt.width == 1:
        flat = np.frombuffer(raw, dtype=np.uint8)  # 8-bit WAV is unsigned
    elif fmt.width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
        # Little-endian bytes in the top three bytes of an int32: sign and scale come for free.
        joined = (triples[:, 0] << 8) | (triples[:, 1] << 16) | (triples[:, 2] << 24)
        flat = joined.view(np.int32)
    else:
        flat = np.frombuffer(raw, dtype="<i2" if fmt.width == 2 else "<i4")
    native = flat.astype(flat.dtype.newbyteorder("="), copy=False)
    return native.reshape(-1, fmt.channels)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """The samples (frames x channels) and sample rate of a WAV file; see ``parse_wav``."""
    wav = read_wav_file(path)
    return wav.samples, wav.rate


def read_wav_file(path: str | Path) -> Wav:
    """A WAV file with what ``parse_wav_file`` says of it; AudioFormatError names the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise AudioFormatError(f"{path} cannot be opened ({reason}); check the path.") from error
    try:
        return parse_wav_file(data)
    except AudioFormatError as error:
        raise AudioFormatError(f"{path} cannot be read: {error}.") from error


def load_for_recognizer(path: str | Path) -> bytes:
    """A WAV file as the 16 kHz mono s16le bytes every recognizer takes."""
    return recognizer_pcm(read_wav_file(path))


def recognizer_pcm(wav: Wav) -> bytes:
    """The 16 kHz mono s16le bytes every recognizer takes, from a WAV file read."""
    samples, rate = wav.samples, wav.rate
    if samples.dtype.kind == "f":
        # NaN or infinity in a float file would turn into arbitrary integers.
        samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    return to_recognizer_pcm(samples, rate)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Write float ([-1, 1]) or int16 samples, 1-D or frames x channels, as 16-bit PCM WAV."""
    array = np.asarray(samples)
    if array.dtype.kind == "f":
        array = np.clip(np.round(array * S16_PEAK), -32768, 32767)
    array = array.astype("<i2")
    channels = 1 if array.ndim == 1 else array.shape[1]
    body = array.tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(body) + (len(body) & 1),
        b"WAVE",
        b"fmt ",
        16,
        PCM,
        channels,
        rate,
        rate * channels * 2,
        channels * 2,
        16,
        b"data",
        len(body),
    )
    Path(path).write_bytes(header + body + b"\0" * (len(body) & 1))
