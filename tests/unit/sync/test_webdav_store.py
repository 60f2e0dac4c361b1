"""The WebDAV backend against a real server (wsgidav + cheroot) on 127.0.0.1."""

from __future__ import annotations

import io
import os
import socket

import pytest

from fieldapp.sync.backends import WebDavStore, is_temp_name
from fieldapp.sync.errors import Reason, StoreError
from fieldapp.sync.layout import parse_bundle_file_name
from tests.unit.sync.test_folder_store import Exploding
from tests.unit.sync.webdav_server import PASSWORD, USER, run_server

BUNDLE = "bundles/dev-1/000000000001-000000000009-0123456789abcdef.fab"


@pytest.fixture
def dav(tmp_path):
    root = tmp_path / "dav-root"
    root.mkdir()
    with run_server(root) as server:
        yield server


@pytest.fixture
def store(dav):
    with WebDavStore(dav.url, user=USER, password=PASSWORD, timeout=10) as s:
        yield s


def _files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def test_upload_list_read_delete(store, dav) -> None:
    payload = os.urandom(2_500_000)
    store.write_atomic(BUNDLE, payload)
    store.write_atomic("roster/roster.json", io.BytesIO(b'{"v":1}'))
    assert [e.name for e in store.list("")] == ["bundles", "roster"]
    [entry] = store.list("bundles/dev-1")
    assert entry.name == BUNDLE.rsplit("/", 1)[1] and entry.size == len(payload)
    with store.open_read(BUNDLE) as fh:
        assert fh.read() == payload
    assert store.read_bytes("roster/roster.json", max_bytes=100) == b'{"v":1}'
    assert store.exists(BUNDLE) and not store.exists("bundles/dev-1/other.fab")
    assert _files(dav.root) == ["bundles/dev-1/" + entry.name, "roster/roster.json"]
    store.delete(BUNDLE)
    store.delete(BUNDLE)
    assert store.list("bundles/dev-1") == [] and store.list("no/such/folder") == []


def test_upload_replaces_atomically(store, dav) -> None:
    store.write_atomic("roster/roster.json", b"version 1")
    store.write_atomic("roster/roster.json", b"version 2")
    assert (dav.root / "roster/roster.json").read_bytes() == b"version 2"


def test_interrupted_upload_leaves_nothing_under_the_final_name(store, dav) -> None:
    with pytest.raises(OSError):
        store.write_atomic(BUNDLE, Exploding(1_500_000))
    assert not (dav.root / BUNDLE).exists()
    assert not store.exists(BUNDLE)
    names = [os.path.basename(f) for f in _files(dav.root)]
    assert not any(parse_bundle_file_name(n) for n in names)
    assert all(is_temp_name(n) for n in names)  # at most a temp file the server kept
    assert store.list("bundles/dev-1") == []


def test_interrupted_replacement_keeps_the_previous_version(store, dav) -> None:
    store.write_atomic("roster/roster.json", b"version 1")
    with pytest.raises(OSError):
        store.write_atomic("roster/roster.json", Exploding(200_000))
    assert store.read_bytes("roster/roster.json", max_bytes=100) == b"version 1"


def test_wrong_password_is_a_clear_error(dav) -> None:
    with WebDavStore(dav.url, user=USER, password="wrong", timeout=10) as bad:
        with pytest.raises(StoreError) as info:
            bad.list("")
        assert info.value.reason is Reason.STORE_AUTH
        with pytest.raises(StoreError) as info:
            bad.write_atomic(BUNDLE, b"x")
        assert info.value.reason is Reason.STORE_AUTH
    assert _files(dav.root) == []


def test_server_gone_is_a_clear_error(tmp_path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    with run_server(root) as server:
        url = server.url
    with WebDavStore(url, user=USER, password=PASSWORD, timeout=5) as gone:
        with pytest.raises(StoreError) as info:
            gone.list("")
        assert info.value.reason is Reason.STORE_UNREACHABLE
        assert "127.0.0.1" in info.value.message
        with pytest.raises(StoreError) as info:
            gone.write_atomic(BUNDLE, b"x")
        assert info.value.reason is Reason.STORE_UNREACHABLE


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:  # a port that is free now and nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with WebDavStore(f"http://127.0.0.1:{port}/", timeout=5) as nobody:
        with pytest.raises(StoreError) as info:
            nobody.exists("roster/roster.json")
        assert info.value.reason is Reason.STORE_UNREACHABLE


def test_missing_file_is_not_found(store) -> None:
    with pytest.raises(StoreError) as info:
        store.read_bytes("roster/roster.json", max_bytes=10)
    assert info.value.reason is Reason.STORE_NOT_FOUND


def test_bad_paths_never_reach_the_server(store) -> None:
    with pytest.raises(StoreError) as info:
        store.write_atomic("../escape", b"x")
    assert info.value.reason is Reason.STORE_BAD_PATH


def test_an_empty_folder_is_removed_and_one_with_anything_in_it_kept(store, dav) -> None:
    """A relay folder's name is all that would be left of it: empty ones go, on a real server."""
    store.write_atomic(BUNDLE, b"x")
    store.remove_empty_folder("bundles/dev-1")
    store.remove_empty_folder("bundles")
    assert _files(dav.root) == [BUNDLE]
    store.delete(BUNDLE)
    store.remove_empty_folder("bundles/dev-1")
    assert (dav.root / "bundles").is_dir() and not (dav.root / "bundles/dev-1").exists()
    store.remove_empty_folder("bundles")
    store.remove_empty_folder("bundles")  # gone already: not an error
    assert not (dav.root / "bundles").exists()
