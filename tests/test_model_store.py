"""ModelStore against a real HTTP server on 127.0.0.1 serving archives built at test time.

No real Vosk model exists here, so every "model" is a fake layout: the files Vosk's loader looks
for (am/final.mdl, conf/model.conf, ...) holding placeholder bytes. The download, checksum,
extraction and rename code under test is the real code, over real sockets.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import stat
import struct
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from audio_models.errors import ModelError
from audio_models.models.store import BASE_URL_VARIABLE, MODEL_VARIABLE, ModelStore

SMALL = "vosk-model-small-en-us-0.15"
LGRAPH = "vosk-model-en-us-0.22-lgraph"
# A fake of the vosk-model-small-en-us-0.15 layout: right file names, placeholder contents.
FAKE_VOSK_MODEL_LAYOUT = {
    "README": b"fake Vosk model layout for tests; not a real model\n",
    "am/final.mdl": b"fake acoustic model " * 64,
    "conf/model.conf": b"--min-active=200\n--max-active=3000\n",
    "conf/mfcc.conf": b"--sample-frequency=16000\n--use-energy=false\n",
    "graph/HCLr.fst": b"fake HCLr graph " * 64,
    "graph/Gr.fst": b"fake Gr graph " * 64,
    "graph/disambig_tid.int": b"1\n2\n",
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.ie": b"fake ivector extractor",
}


def fake_vosk_model_layout(folder: Path) -> Path:
    """Write the fake model layout into ``folder`` and return it."""
    for name, data in FAKE_VOSK_MODEL_LAYOUT.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def zip_of_fake_vosk_model_layout(top: str = SMALL, extra: dict[str, bytes] | None = None) -> bytes:
    """A .zip of the fake layout below ``top/``, as the publisher's archives are, plus ``extra``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/", b"")
        for name, data in FAKE_VOSK_MODEL_LAYOUT.items():
            zf.writestr(f"{top}/{name}", data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def zip_of_files(files: dict[str, bytes]) -> bytes:
    """A .zip holding exactly ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def zip_with_symlink(top: str = SMALL) -> bytes:
    """The fake layout plus a zip entry flagged as a symlink (Unix mode in external_attr)."""
    buffer = io.BytesIO(zip_of_fake_vosk_model_layout(top))
    with zipfile.ZipFile(buffer, "a") as zf:
        info = zipfile.ZipInfo(f"{top}/am/link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def tar_of_fake_vosk_model_layout(top: str = SMALL, links: bool = False) -> bytes:
    """A .tar.gz of the fake layout, optionally with a symlink entry."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in FAKE_VOSK_MODEL_LAYOUT.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if links:
            info = tarfile.TarInfo(f"{top}/am/link")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return buffer.getvalue()


@dataclass
class Route:
    """What the server answers for one path: ``mode`` is ok, truncate, drop or stall."""

    body: bytes
    mode: str = "ok"
    status: int = 200


class ModelServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) serving ``routes``; records request paths."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                route = outer.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                self.send_response(route.status)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                half = len(route.body) // 2
                if route.mode == "ok":
                    self.wfile.write(route.body)
                elif route.mode == "truncate":  # promised more than it sends, then a clean close
                    self.wfile.write(route.body[:half])
                    self.close_connection = True
                elif route.mode == "drop":  # half the body, then a reset (RST), not a close
                    self.wfile.write(route.body[:half])
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.connection.close()
                    self.close_connection = True
                elif route.mode == "stall":
                    self.wfile.write(route.body[:half])
                    time.sleep(1.5)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        # A short poll interval so that shutdown() at teardown returns at once.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def publish(
        self,
        archive: bytes,
        name: str = SMALL,
        mode: str = "ok",
        md5: str | None = None,
        size: int | None = None,
    ) -> None:
        """Serve ``archive`` as ``<name>.zip`` and a model-list.json entry describing it."""
        entry = {
            "lang": "en-us",
            "lang_text": "US English",
            "md5": md5 or hashlib.md5(archive).hexdigest(),
            "name": name,
            "obsolete": "false",
            "size": len(archive) if size is None else size,
            "size_text": "fake",
            "type": "small",
            "url": f"{self.base_url}{name}.zip",
            "version": "0.15",
        }
        self.routes["/model-list.json"] = Route(json.dumps([entry]).encode())
        self.routes[f"/{name}.zip"] = Route(archive, mode)


@pytest.fixture
def server():
    model_server = ModelServer()
    model_server.thread.start()
    yield model_server
    model_server.httpd.shutdown()
    model_server.httpd.server_close()


@pytest.fixture
def store(tmp_path, monkeypatch, server):
    monkeypatch.setenv(BASE_URL_VARIABLE, server.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv(MODEL_VARIABLE, raising=False)
    return ModelStore(tmp_path / "data", timeout=0.5)


def assert_nothing_left(store: ModelStore) -> None:
    """No partial folder, no model: a failed install leaves the data folder as it was."""
    leftovers = list(store.models_root.glob(".partial-*")) if store.models_root.exists() else []
    assert leftovers == []
    assert not store.vosk_dir.exists() or list(store.vosk_dir.iterdir()) == []
    assert store.installed() == []
    assert store.find_vosk_model() is None


def test_install_with_fake_vosk_model_then_list_path_and_remove(store, server):
    archive = zip_of_fake_vosk_model_layout()
    server.publish(archive)
    seen: list[tuple[int, int]] = []

    model = store.install(SMALL, progress=lambda done, total: seen.append((done, total)))

    assert model.path == store.vosk_dir / SMALL and model.valid and model.source == "store"
    # The archive's top-level folder is stripped: the model files sit directly in the folder.
    assert (model.path / "am" / "final.mdl").read_bytes() == FAKE_VOSK_MODEL_LAYOUT["am/final.mdl"]
    assert seen[0] == (0, len(archive)) and seen[-1] == (len(archive), len(archive))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert server.requests == ["/model-list.json", f"/{SMALL}.zip"]
    assert [m.name for m in store.installed()] == [SMALL]
    assert store.path(SMALL) == model.path
    assert store.find_vosk_model() == model.path.resolve()
    assert list(store.models_root.glob(".partial-*")) == []

    store.remove(SMALL)
    assert not model.path.exists()
    assert_nothing_left(store)


def test_install_twice_does_nothing_and_force_reinstalls(store, server):
    server.publish(zip_of_fake_vosk_model_layout())
    first = store.install(SMALL)
    (first.path / "marker").write_text("from the first install")
    requests = len(server.requests)

    assert store.install(SMALL).path == first.path
    assert len(server.requests) == requests and (first.path / "marker").exists()

    again = store.install(SMALL, force=True)
    assert again.valid and not (again.path / "marker").exists()
    assert list(store.models_root.glob(".partial-*")) == []


BAD_ARCHIVES = {  # case: (archive, what the error says)
    "path traversal": (
        zip_of_fake_vosk_model_layout(extra={"../evil": b"escaped"}),
        "leaves its folder",
    ),
    "absolute path": (
        zip_of_fake_vosk_model_layout(extra={"/tmp/evil-absolute": b"escaped"}),
        "absolute path",
    ),
    "zip symlink": (zip_with_symlink(), "symbolic link"),
    "oversized": (
        zip_of_fake_vosk_model_layout(extra={f"{SMALL}/zeros": bytes(11 << 20)}),
        "unpacks to more than",
    ),
    "not a model": (
        zip_of_files({f"{SMALL}/conf/model.conf": b"", f"{SMALL}/README": b"hi"}),
        "has no Vosk model files",
    ),
    "not an archive": (b"<html>a captive portal page, not a zip</html>", "not a .zip"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_install_of_a_bad_archive_leaves_nothing_behind(store, server, case):
    archive, says = BAD_ARCHIVES[case]
    server.publish(archive)
    with pytest.raises(ModelError, match=says) as error:
        store.install(SMALL)
    message = str(error.value)
    assert message.count(". ") == 0 and message.endswith(".") and server.base_url in message
    assert_nothing_left(store)
    assert not (store.models_root / "evil").exists() and not Path("/tmp/evil-absolute").exists()


@pytest.mark.parametrize(
    ("mode", "says"),
    [("truncate", "stopped after"), ("drop", "broke off"), ("stall", "broke off")],
)
def test_install_of_an_incomplete_download_leaves_nothing_behind(store, server, mode, says):
    server.publish(zip_of_fake_vosk_model_layout(), mode=mode)
    with pytest.raises(ModelError, match=says):
        store.install(SMALL)
    assert_nothing_left(store)


def test_install_with_the_wrong_checksum_leaves_nothing_behind(store, server):
    server.publish(zip_of_fake_vosk_model_layout(), md5="0" * 32)
    with pytest.raises(ModelError, match="wrong checksum"):
        store.install(SMALL)
    assert_nothing_left(store)


def test_install_when_the_list_gives_another_size_downloads_nothing(store, server):
    archive = zip_of_fake_vosk_model_layout()
    server.publish(archive, size=len(archive) + 1)
    with pytest.raises(ModelError, match="expected"):
        store.install(SMALL)
    assert_nothing_left(store)


def test_install_without_the_model_list_is_refused(store, server, monkeypatch):
    server.publish(zip_of_fake_vosk_model_layout())
    del server.routes["/model-list.json"]
    with pytest.raises(ModelError, match="HTTP 404") as error:
        store.install(SMALL)
    assert "nothing was installed" in str(error.value)
    assert f"/{SMALL}.zip" not in server.requests
    assert_nothing_left(store)

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens on this port any more
    monkeypatch.setenv(BASE_URL_VARIABLE, f"http://127.0.0.1:{port}/")
    with pytest.raises(ModelError, match="Could not fetch the model list"):
        store.install(SMALL)
    assert_nothing_left(store)


@pytest.mark.parametrize("listing", [b"not json", b"{}", b'[{"name": "other"}]'])
def test_install_with_a_useless_model_list_is_refused(store, server, listing):
    server.publish(zip_of_fake_vosk_model_layout())
    server.routes["/model-list.json"] = Route(listing)
    with pytest.raises(ModelError, match="model list"):
        store.install(SMALL)
    assert_nothing_left(store)


def test_install_of_an_unknown_name_asks_nothing_of_the_network(store, server):
    with pytest.raises(ModelError, match=r"not a known Vosk model.*vosk-model-small-en-us-0\.15"):
        store.install("vosk-model-imaginary")
    assert server.requests == []
    assert_nothing_left(store)


def test_interrupt_from_the_progress_callback_leaves_nothing_behind(store, server):
    server.publish(zip_of_fake_vosk_model_layout())

    def progress(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.install(SMALL, progress=progress)
    assert_nothing_left(store)


def test_stale_partial_folders_from_a_crash_are_cleaned(store, server):
    crashed = store.models_root / ".partial-999999999-crashed"
    (crashed / "model").mkdir(parents=True)
    server.publish(zip_of_fake_vosk_model_layout())
    store.install(SMALL)
    assert not crashed.exists()
    assert [p.name for p in store.models_root.iterdir() if p.name.startswith(".")] == []


def test_add_a_folder_uses_it_in_place_and_remove_keeps_it(store, tmp_path):
    mine = fake_vosk_model_layout(tmp_path / "my-model")
    model = store.add(mine)
    assert (model.name, model.source, model.path) == ("my-model", "folder", mine.resolve())
    assert store.find_vosk_model() == mine.resolve()
    assert not store.vosk_dir.exists()  # nothing copied

    with pytest.raises(ModelError, match="already installed"):
        store.add(mine)
    store.remove("my-model")
    assert (mine / "am" / "final.mdl").exists()
    assert store.installed() == []


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("mine.zip", zip_of_fake_vosk_model_layout()),
        ("mine.tar.gz", tar_of_fake_vosk_model_layout()),
    ],
)
def test_add_an_archive_unpacks_it_into_the_store(store, tmp_path, filename, data):
    archive = tmp_path / filename
    archive.write_bytes(data)
    model = store.add(archive)
    assert (model.name, model.source) == ("mine", "store")
    assert (store.vosk_dir / "mine" / "conf" / "model.conf").is_file()
    assert archive.exists()
    assert store.find_vosk_model() == (store.vosk_dir / "mine").resolve()


def test_add_an_archive_with_a_tar_symlink_leaves_nothing_behind(store, tmp_path):
    archive = tmp_path / "linked.tar.gz"
    archive.write_bytes(tar_of_fake_vosk_model_layout(links=True))
    with pytest.raises(ModelError, match="a link"):
        store.add(archive)
    assert_nothing_left(store)


def test_add_an_invalid_folder_names_it_and_the_fix(store, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError) as error:
        store.add(empty)
    message = str(error.value)
    assert str(empty) in message and "voice-coach models install" in message
    with pytest.raises(ModelError, match="does not exist"):
        store.add(tmp_path / "missing")
    assert_nothing_left(store)


def test_explicit_path_beats_the_variable_which_beats_installed_models(
    store, tmp_path, monkeypatch
):
    installed = store.add(fake_vosk_model_layout(tmp_path / "installed"))
    from_variable = fake_vosk_model_layout(tmp_path / "from-variable")
    explicit = fake_vosk_model_layout(tmp_path / "explicit")
    assert store.find_vosk_model() == installed.path

    monkeypatch.setenv(MODEL_VARIABLE, str(from_variable))
    assert store.find_vosk_model() == from_variable.resolve()
    assert store.find_vosk_model(explicit) == explicit.resolve()
    assert store.find_vosk_model(str(explicit)) == explicit.resolve()

    monkeypatch.setenv(MODEL_VARIABLE, "installed")  # a name works as well as a path
    assert store.find_vosk_model() == installed.path


def test_an_invalid_override_raises_naming_the_path_and_where_it_came_from(
    store, tmp_path, monkeypatch
):
    store.add(fake_vosk_model_layout(tmp_path / "good"))
    with pytest.raises(ModelError) as error:
        store.find_vosk_model(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(error.value) and "--model" in str(error.value)
    monkeypatch.setenv(MODEL_VARIABLE, str(tmp_path))
    with pytest.raises(ModelError, match=f"{MODEL_VARIABLE}.*has no Vosk model files"):
        store.find_vosk_model()


def test_known_models_are_preferred_in_table_order(store, tmp_path):
    for name in ("aaa-custom", LGRAPH, SMALL):
        store.add(fake_vosk_model_layout(tmp_path / name))
    assert [m.name for m in store.installed()] == [SMALL, LGRAPH, "aaa-custom"]
    assert store.find_vosk_model() == (tmp_path / SMALL).resolve()
    # An added folder that has since vanished is listed as unusable and skipped.
    shutil.rmtree(tmp_path / SMALL)
    assert [m.valid for m in store.installed()] == [False, True, True]
    assert store.find_vosk_model() == (tmp_path / LGRAPH).resolve()


def test_a_damaged_registry_is_one_sentence_with_the_fix(store):
    store.models_root.mkdir(parents=True)
    store.registry_path.write_text("{not json")
    with pytest.raises(ModelError, match="damaged; delete it"):
        store.installed()


def test_data_folder_comes_from_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_COACH_DATA_DIR", str(tmp_path / "elsewhere"))
    assert ModelStore().vosk_dir == tmp_path / "elsewhere" / "models" / "vosk"
    monkeypatch.delenv("VOICE_COACH_DATA_DIR")
    assert "voice-coach" in str(ModelStore().data_dir)
    assert os.path.isabs(ModelStore().data_dir)
