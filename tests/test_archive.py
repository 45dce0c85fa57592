"""Safe extraction of model archives built at test time (fake Vosk model layouts, bad entries)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_models.errors import ModelError
from audio_models.models import archive as archive_module
from audio_models.models.archive import extract_archive
from tests.test_model_store import (
    FAKE_VOSK_MODEL_LAYOUT,
    SMALL,
    tar_of_fake_vosk_model_layout,
    zip_of_fake_vosk_model_layout,
    zip_of_files,
    zip_with_symlink,
)

CAP = 1 << 20


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def tar_of(members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz of ``members``; regular files get their bytes from ``data``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            body = (data or {}).get(member.name)
            if body is not None:
                member.size = len(body)
            tar.addfile(member, io.BytesIO(body) if body is not None else None)
    return buffer.getvalue()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def zip_entry_with_mode(name: str, mode: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{SMALL}/README", b"fake")
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        zf.writestr(info, b"")
    return buffer.getvalue()


def files_below(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("model.zip", zip_of_fake_vosk_model_layout()),
        ("model.tar.gz", tar_of_fake_vosk_model_layout()),
        ("named-like-a-zip.zip", tar_of_fake_vosk_model_layout()),  # the content decides
    ],
)
def test_a_fake_vosk_model_layout_unpacks_with_its_top_folder_stripped(tmp_path, filename, data):
    target = extract_archive(write(tmp_path, filename, data), tmp_path / "out", CAP)
    assert files_below(target) == FAKE_VOSK_MODEL_LAYOUT


def test_an_archive_without_a_single_top_folder_is_kept_as_is(tmp_path):
    flat = zip_of_files({"am/final.mdl": b"a", "conf/model.conf": b"b", "__MACOSX/._am": b"x"})
    target = extract_archive(write(tmp_path, "flat.zip", flat), tmp_path / "out", CAP)
    assert files_below(target) == {"am/final.mdl": b"a", "conf/model.conf": b"b"}
    single_file = zip_of_files({"README": b"just a file"})
    target = extract_archive(write(tmp_path, "one.zip", single_file), tmp_path / "one", CAP)
    assert files_below(target) == {"README": b"just a file"}


UNSAFE = {
    "zip ../evil": (zip_of_fake_vosk_model_layout(extra={"../evil": b"x"}), "leaves its folder"),
    "zip a/../../evil": (zip_of_files({"a/../../evil": b"x"}), "leaves its folder"),
    "zip ..\\evil": (zip_of_files({"..\\evil": b"x"}), "leaves its folder"),
    "zip /absolute": (zip_of_files({"/tmp/evil-absolute": b"x"}), "absolute path"),
    "zip C:/drive": (zip_of_files({"C:/evil": b"x"}), "absolute path"),
    "zip symlink": (zip_with_symlink(), "symbolic link"),
    "zip device": (zip_entry_with_mode(f"{SMALL}/dev", stat.S_IFCHR | 0o600), "special file"),
    "tar ../evil": (tar_of([tar_member("../evil")], {"../evil": b"x"}), "leaves its folder"),
    "tar /absolute": (
        tar_of([tar_member("/tmp/evil-absolute")], {"/tmp/evil-absolute": b"x"}),
        "absolute path",
    ),
    "tar symlink": (tar_of_fake_vosk_model_layout(links=True), "a link"),
    "tar hard link": (
        tar_of([tar_member(f"{SMALL}/am/hard", tarfile.LNKTYPE, "/etc/passwd")]),
        "a link",
    ),
    "tar device": (tar_of([tar_member(f"{SMALL}/dev", tarfile.CHRTYPE)]), "special file"),
    "tar fifo": (tar_of([tar_member(f"{SMALL}/fifo", tarfile.FIFOTYPE)]), "special file"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_entries_are_refused_and_nothing_is_written(tmp_path, case):
    data, says = UNSAFE[case]
    source = write(tmp_path, "bad.archive", data)
    with pytest.raises(ModelError, match=says) as error:
        extract_archive(source, tmp_path / "deep" / "out", CAP)
    assert "unsafe to unpack" in str(error.value)
    assert not (tmp_path / "deep" / "out").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bad.archive", "deep"]
    assert not Path("/tmp/evil-absolute").exists()


def test_an_archive_declaring_more_than_the_cap_is_refused_before_writing(tmp_path):
    bomb = zip_of_files({f"{SMALL}/zeros": bytes(CAP + 1)})
    assert len(bomb) < CAP // 100  # zeros compress well: that is what makes a bomb
    with pytest.raises(ModelError, match=r"more than 1\.0 MB"):
        extract_archive(write(tmp_path, "bomb.zip", bomb), tmp_path / "out", CAP)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_the_cap_counts_bytes_written_even_past_the_declared_sizes_check(
    tmp_path, monkeypatch, kind
):
    # Switch the early check off: the byte counter alone must still stop the bomb.
    monkeypatch.setattr(archive_module._Writer, "check_declared", lambda self, declared: None)
    files = {f"{SMALL}/part{i}": bytes(CAP // 3) for i in range(4)}
    if kind == "zip":
        data = zip_of_files(files)
    else:
        data = tar_of([tar_member(name) for name in files], files)
    with pytest.raises(ModelError, match="unpacks to more than"):
        extract_archive(write(tmp_path, "bomb", data), tmp_path / "out", CAP)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "data",
    [
        zip_of_fake_vosk_model_layout()[: len(zip_of_fake_vosk_model_layout()) * 3 // 4],
        tar_of_fake_vosk_model_layout()[: len(tar_of_fake_vosk_model_layout()) // 2],
        b"PK\x03\x04 but nothing like a zip after the magic",
        b"<html>not an archive</html>",
    ],
    ids=["truncated zip", "truncated tar.gz", "zip magic only", "html"],
)
def test_damaged_or_foreign_files_are_one_sentence(tmp_path, data):
    with pytest.raises(ModelError) as error:
        extract_archive(write(tmp_path, "broken", data), tmp_path / "out", CAP)
    assert any(word in str(error.value) for word in ("damaged", "not a .zip"))
    assert not (tmp_path / "out").exists()


def test_a_corrupted_member_fails_its_checksum(tmp_path):
    data = bytearray(zip_of_files({f"{SMALL}/am/final.mdl": b"model bytes " * 100}))
    start = data.index(b"final.mdl") + len(b"final.mdl")
    data[start + 4 : start + 12] = b"\xff" * 8  # inside the compressed body
    with pytest.raises(ModelError, match="damaged"):
        extract_archive(write(tmp_path, "bad.zip", bytes(data)), tmp_path / "out", CAP)
    assert not (tmp_path / "out").exists()


def test_a_duplicate_entry_does_not_replace_a_file(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("m/am/final.mdl", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("m/am/final.mdl", b"second")
    with pytest.raises(ModelError, match="same path twice"):
        extract_archive(write(tmp_path, "dup.zip", buffer.getvalue()), tmp_path / "out", CAP)


def test_an_existing_target_is_left_alone(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine").write_text("keep")
    source = write(tmp_path, "m.zip", zip_of_fake_vosk_model_layout())
    with pytest.raises(ModelError, match="already exists"):
        extract_archive(source, target, CAP)
    assert (target / "mine").read_text() == "keep"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.lists(
            st.sampled_from(["a", "b", "..", ".", "", "/", "\\", "C:"]), min_size=1, max_size=5
        )
        .map("/".join)
        .filter(lambda name: name != "" and not name.endswith(("/", "\\"))),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_whatever_the_entry_names_nothing_lands_outside_the_target(tmp_path_factory, names):
    root = tmp_path_factory.mktemp("prop")
    source = write(root, "any.zip", zip_of_files({name: b"x" for name in names}))
    target = root / "box" / "out"
    try:
        extract_archive(source, target, CAP)
    except ModelError:
        assert not target.exists()
    outside = [p for p in root.rglob("*") if target not in p.parents and p != target]
    assert sorted(os.path.relpath(p, root) for p in outside) == ["any.zip", "box"]


@pytest.mark.parametrize("cut", [2, 10, 100, 300, 511])
def test_a_tar_gz_cut_within_its_first_512_bytes_is_called_damaged(tmp_path, cut):
    data = tar_of_fake_vosk_model_layout()[:cut]
    with pytest.raises(ModelError, match="is damaged or incomplete"):
        extract_archive(write(tmp_path, "model.tar.gz", data), tmp_path / "out", CAP)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_a_cut_zip_is_called_damaged_not_foreign(tmp_path, fraction):
    whole = zip_of_fake_vosk_model_layout()
    data = whole[: int(len(whole) * fraction)]
    with pytest.raises(ModelError, match="is damaged or incomplete"):
        extract_archive(write(tmp_path, "model.zip", data), tmp_path / "out", CAP)


def test_a_file_that_is_no_archive_is_still_called_that(tmp_path):
    with pytest.raises(ModelError, match=r"not a \.zip or \.tar\.gz archive"):
        extract_archive(write(tmp_path, "notes.zip", b"just some notes\n"), tmp_path / "o", CAP)


@st.composite
def damaged_archives(draw) -> bytes:
    """A real model archive, cut short or with a few bytes overwritten, or random bytes."""
    kind = draw(st.sampled_from(["zip", "tar.gz", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=2048))
    data = bytearray(
        zip_of_fake_vosk_model_layout() if kind == "zip" else tar_of_fake_vosk_model_layout()
    )
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damaged_archives())
def test_any_damage_raises_nothing_but_model_error(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("damaged")
    target = root / "out"
    try:
        extract_archive(write(root, "model.tar.gz", data), target, CAP)
    except ModelError as error:
        assert "\n" not in str(error) and not target.exists()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damaged_archives(), st.sampled_from(["m.zip", "m.tar.gz", "m.tgz", "m"]))
def test_models_add_of_any_damaged_archive_raises_only_model_error(tmp_path_factory, data, name):
    from audio_models.models.store import ModelStore

    root = tmp_path_factory.mktemp("add")
    store = ModelStore(data_dir=root / "data")
    try:
        model = store.add(write(root, name, data))
    except ModelError as error:
        assert "\n" not in str(error)
        assert store.installed() == []
    else:
        assert model.valid  # only an intact model layout gets in
