"""IDX parsing and the fetch/cache of MNIST-like files, served from a loopback HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from playground.data import idx
from playground.data.idx import DataUnavailable, IdxError, Source, parse_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
         np.float32: 0x0D, np.float64: 0x0E}  # fmt: skip


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of array, written independently of the parser under test."""
    code = CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Server:
    """Serves a dict of path -> bytes on 127.0.0.1 and records every requested path."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.stop()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


def tiny_set(seed=0, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def publish(server, arrays, mirrors=None, bad_md5=()):
    """Put gzipped IDX files on the server; returns {"tiny": Source} describing them."""
    files = {}
    for role, array in arrays.items():
        name = f"{role}.gz"
        body = gzip.compress(idx_bytes(array))
        server.files[f"/{name}"] = body
        files[role] = (name, "0" * 32 if role in bad_md5 else md5(body))
    return {"tiny": Source(mirrors=tuple(mirrors or (server.base,)), files=files)}


# --- parse_idx ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("zipped", [False, True])
def test_round_trip_every_type(dtype, zipped):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    raw = idx_bytes(array)
    parsed = parse_idx(gzip.compress(raw) if zipped else raw)
    assert parsed.dtype == np.dtype(dtype) and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, array)


@settings(max_examples=40)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)))
def test_round_trip_any_uint8_shape(array):
    np.testing.assert_array_equal(parse_idx(idx_bytes(array)), array)
    assert parse_idx(idx_bytes(array)).shape == array.shape


def test_labels_are_one_dimensional():
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    assert parse_idx(idx_bytes(labels)).shape == (5,)


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "too short"),
        (b"\x00\x00\x08", "too short"),
        (b"\x01\x02" + GOOD[2:], "magic"),
        (b"\x00\x00\x42\x01" + GOOD[4:], "type code"),
        (GOOD[:-1], "truncated"),
        (GOOD[:6], "dimensions"),  # header cut inside the dimension list
        (GOOD + b"\x00", "unexpected bytes"),
        (b"\x1f\x8b" + b"not really gzip", "gzip"),
        (gzip.compress(GOOD)[:-6], "gzip"),  # cut-off gzip stream
    ],
)
def test_malformed_input_raises_idx_error(raw, words):
    with pytest.raises(IdxError, match=words):
        parse_idx(raw)


def test_idx_error_is_a_value_error():
    assert issubclass(IdxError, ValueError)


# --- fetch ---------------------------------------------------------------------------------


def test_download_then_cached_makes_no_request(server, tmp_path):
    arrays = tiny_set()
    sources = publish(server, arrays)
    assert not idx.is_cached("tiny", tmp_path, sources)
    got = idx.fetch("tiny", root=tmp_path, sources=sources)
    for role, array in arrays.items():
        np.testing.assert_array_equal(got[role], array)
    assert got["train_images"].shape == (6, 28, 28) and got["train_images"].dtype == np.uint8
    assert len(server.requests) == 4
    assert idx.is_cached("tiny", tmp_path, sources)

    again = idx.fetch("tiny", root=tmp_path, sources=sources)
    assert len(server.requests) == 4  # served from disk
    np.testing.assert_array_equal(again["test_labels"], arrays["test_labels"])
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == sorted(
        f"{role}.gz" for role in arrays
    )  # no temp files left behind


def test_progress_counts_grow_to_the_total(server, tmp_path):
    sources = publish(server, tiny_set())
    calls = []
    idx.fetch("tiny", root=tmp_path, sources=sources, progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    size = sum(len(body) for body in server.files.values())
    assert done == sorted(done) and done[-1] == size
    assert calls[-1][1] == size
    assert all(total in (0, size) for _, total in calls)


def test_checksum_mismatch_leaves_nothing_in_the_cache(server, tmp_path):
    sources = publish(server, tiny_set(), bad_md5={"train_labels"})
    with pytest.raises(DataUnavailable) as caught:
        idx.fetch("tiny", root=tmp_path, sources=sources)
    assert caught.value.reason == "checksum"
    assert not (tmp_path / "tiny" / "train_labels.gz").exists()
    assert not list((tmp_path / "tiny").glob("*.part"))


def test_offline_fails_fast(tmp_path):
    sources = {"tiny": Source((closed_port_url(),), {r: (f"{r}.gz", "0" * 32) for r in idx.ROLES})}
    start = time.monotonic()
    with pytest.raises(DataUnavailable) as caught:
        idx.fetch("tiny", root=tmp_path, sources=sources, timeout=5)
    assert caught.value.reason == "offline"
    assert time.monotonic() - start < 5
    assert not list((tmp_path / "tiny").iterdir())


def test_http_error(server, tmp_path):
    sources = publish(server, tiny_set())
    del server.files["/test_images.gz"]
    with pytest.raises(DataUnavailable) as caught:
        idx.fetch("tiny", root=tmp_path, sources=sources)
    assert caught.value.reason == "http"
    assert "404" in caught.value.detail


def test_next_mirror_is_tried(server, tmp_path):
    arrays = tiny_set()
    sources = publish(server, arrays, mirrors=(closed_port_url(), server.base))
    got = idx.fetch("tiny", root=tmp_path, sources=sources, timeout=5)
    np.testing.assert_array_equal(got["train_images"], arrays["train_images"])


def test_bad_file_on_one_mirror_good_on_the_next(server, tmp_path):
    arrays = tiny_set()
    sources = publish(server, arrays, mirrors=(server.base + "stale/", server.base))
    for role in arrays:
        server.files[f"/stale/{role}.gz"] = b"an old, different file"
    got = idx.fetch("tiny", root=tmp_path, sources=sources)
    np.testing.assert_array_equal(got["test_labels"], arrays["test_labels"])
    assert len(server.requests) == 8  # each file: stale mirror, then the good one


def test_corrupt_cached_file_is_downloaded_again(server, tmp_path):
    arrays = tiny_set()
    sources = publish(server, arrays)
    idx.fetch("tiny", root=tmp_path, sources=sources)
    (tmp_path / "tiny" / "test_images.gz").write_bytes(b"half a download")
    got = idx.fetch("tiny", root=tmp_path, sources=sources)
    assert server.requests[4:] == ["/test_images.gz"]
    np.testing.assert_array_equal(got["test_images"], arrays["test_images"])


def test_unparsable_file_is_corrupt_and_removed(server, tmp_path):
    sources = publish(server, tiny_set())
    bad = b"\x00\x00\x08\x03 not an idx body"
    server.files["/train_images.gz"] = bad
    name, _ = sources["tiny"].files["train_images"]
    sources["tiny"].files["train_images"] = (name, md5(bad))  # the checksum agrees
    with pytest.raises(DataUnavailable) as caught:
        idx.fetch("tiny", root=tmp_path, sources=sources)
    assert caught.value.reason == "corrupt"
    assert not (tmp_path / "tiny" / "train_images.gz").exists()


def test_images_and_labels_must_agree(server, tmp_path):
    arrays = tiny_set()
    arrays["test_labels"] = arrays["test_labels"][:-1]
    with pytest.raises(DataUnavailable) as caught:
        idx.fetch("tiny", root=tmp_path, sources=publish(server, arrays))
    assert caught.value.reason == "corrupt"


def test_swapped_sources_table_is_used(server, tmp_path, monkeypatch):
    monkeypatch.setattr(idx, "SOURCES", publish(server, tiny_set()))
    assert idx.fetch("tiny", root=tmp_path)["train_labels"].shape == (6,)
    assert idx.is_cached("tiny", tmp_path)


def test_data_dir_environment_variable(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "here"))
    assert idx.cache_dir() == tmp_path / "here"
    idx.fetch("tiny", sources=publish(server, tiny_set()))
    assert (tmp_path / "here" / "tiny" / "train_images.gz").is_file()


def test_cache_dir_falls_back_to_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert idx.cache_dir() == tmp_path / "nn-playground"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert idx.cache_dir() == tmp_path / "home" / ".cache" / "nn-playground"


def test_published_tables_are_complete():
    for source in idx.SOURCES.values():
        assert set(source.files) == set(idx.ROLES)
        assert all(len(digest) == 32 for _, digest in source.files.values())
        assert all(url.endswith("/") for url in source.mirrors)
    assert idx.SOURCES["mnist"].mirrors[0].startswith("https://ossci-datasets")
