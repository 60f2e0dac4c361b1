from __future__ import annotations

import errno
import io
import os
import threading
import time
from datetime import timedelta

import pytest

from fieldapp.sync.backends import FolderStore, is_temp_name
from fieldapp.sync.backends.base import TEMP_PREFIX, TEMP_SUFFIX
from fieldapp.sync.errors import Reason, StoreError
from fieldapp.sync.layout import parse_bundle_file_name


class Exploding(io.RawIOBase):
    """A source that fails after ``after`` bytes, like a file on a USB stick pulled out."""

    def __init__(self, after: int) -> None:
        self.left = after

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError(5, "Input/output error")
        k = min(n if n > 0 else 65536, self.left)
        self.left -= k
        return b"x" * k


def _all_files(root) -> list[str]:
    return [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs]


def test_round_trip_list_exists_delete(tmp_path) -> None:
    store = FolderStore(tmp_path)
    store.write_atomic("bundles/dev-1/000000000001-000000000002-0123456789abcdef.fab", b"abc")
    assert [e.name for e in store.list("bundles")] == ["dev-1"]
    entries = store.list("bundles/dev-1")
    assert entries[0].size == 3 and not entries[0].is_dir
    assert store.read_bytes(f"bundles/dev-1/{entries[0].name}", max_bytes=10) == b"abc"
    with store.open_read(f"bundles/dev-1/{entries[0].name}") as fh:
        assert fh.read() == b"abc"
    assert store.exists(f"bundles/dev-1/{entries[0].name}")
    store.delete(f"bundles/dev-1/{entries[0].name}")
    store.delete(f"bundles/dev-1/{entries[0].name}")  # missing is fine
    assert store.list("bundles/dev-1") == [] and store.list("nothing/here") == []


def test_replace_existing_and_stream_source(tmp_path) -> None:
    store = FolderStore(tmp_path)
    store.write_atomic("roster/roster.json", b"old")
    store.write_atomic("roster/roster.json", io.BytesIO(b"new" * 1_000_000))
    assert (tmp_path / "roster/roster.json").read_bytes() == b"new" * 1_000_000


def test_interrupted_write_leaves_no_bundle_looking_file(tmp_path) -> None:
    store = FolderStore(tmp_path)
    name = "bundles/dev/000000000001-000000000009-0123456789abcdef.fab"
    with pytest.raises(StoreError) as info:
        store.write_atomic(name, Exploding(3_000_000))
    assert info.value.reason is Reason.STORE_IO
    files = _all_files(tmp_path)
    assert files == []  # not the final name, and no temp file left either
    assert not any(parse_bundle_file_name(os.path.basename(f)) for f in files)


def test_interrupted_write_keeps_the_previous_version(tmp_path) -> None:
    store = FolderStore(tmp_path)
    store.write_atomic("roster/roster.json", b"version 1")
    with pytest.raises(StoreError):
        store.write_atomic("roster/roster.json", Exploding(10))
    assert (tmp_path / "roster/roster.json").read_bytes() == b"version 1"


def test_crash_leftover_temp_files_are_hidden_and_cleaned(tmp_path) -> None:
    store = FolderStore(tmp_path)
    (tmp_path / "bundles").mkdir()
    stale = tmp_path / "bundles" / f"{TEMP_PREFIX}dead{TEMP_SUFFIX}"
    fresh = tmp_path / "bundles" / f"{TEMP_PREFIX}busy{TEMP_SUFFIX}"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 3 * 86400
    os.utime(stale, (old, old))
    assert is_temp_name(stale.name) and parse_bundle_file_name(stale.name) is None
    assert store.list("bundles") == []
    assert store.cleanup_stale(timedelta(hours=6)) == 1
    assert not stale.exists() and fresh.exists()


def test_concurrent_writers_never_tear_a_file(tmp_path) -> None:
    store = FolderStore(tmp_path)
    payloads = [bytes([i]) * 300_000 for i in range(8)]
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for _ in range(5):
                store.write_atomic("acks/dev/c.ack", payloads[i])
                store.write_atomic(f"bundles/dev{i}/own.fab", payloads[i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert (tmp_path / "acks/dev/c.ack").read_bytes() in payloads  # one whole version
    for i in range(8):
        assert (tmp_path / f"bundles/dev{i}/own.fab").read_bytes() == payloads[i]
    assert not [f for f in _all_files(tmp_path) if is_temp_name(os.path.basename(f))]


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a//b", ".hidden", "a/./b", "a\\b", ""])
def test_paths_are_validated(tmp_path, bad) -> None:
    store = FolderStore(tmp_path)
    with pytest.raises(StoreError) as info:
        store.write_atomic(bad, b"x")
    assert info.value.reason is Reason.STORE_BAD_PATH


def test_symlink_out_of_the_store_is_refused(tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "store"
    root.mkdir()
    (root / "bundles").symlink_to(outside)
    store = FolderStore(root)
    with pytest.raises(StoreError) as info:
        store.write_atomic("bundles/x.fab", b"x")
    assert info.value.reason is Reason.STORE_BAD_PATH
    assert list(outside.iterdir()) == []


def test_missing_folder_is_unreachable(tmp_path) -> None:
    with pytest.raises(StoreError) as info:
        FolderStore(tmp_path / "usb-not-plugged-in")
    assert info.value.reason is Reason.STORE_UNREACHABLE


def test_read_bytes_is_bounded(tmp_path) -> None:
    store = FolderStore(tmp_path)
    store.write_atomic("roster/roster.json", b"x" * 100)
    with pytest.raises(StoreError):
        store.read_bytes("roster/roster.json", max_bytes=99)
    with pytest.raises(StoreError) as info:
        store.read_bytes("roster/none.json", max_bytes=99)
    assert info.value.reason is Reason.STORE_NOT_FOUND


@pytest.mark.parametrize(("err", "reason"), [(errno.EACCES, Reason.STORE_DENIED),
                                             (errno.EROFS, Reason.STORE_DENIED),
                                             (errno.ENOSPC, Reason.STORE_FULL)])
def test_os_errors_become_clear_reasons(tmp_path, monkeypatch, err, reason) -> None:
    store = FolderStore(tmp_path)

    def failing_replace(src, dst):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr("fieldapp.sync.backends.folder.os.replace", failing_replace)
    with pytest.raises(StoreError) as info:
        store.write_atomic("bundles/dev/x.fab", b"x" * 1000)
    assert info.value.reason is reason
    assert _all_files(tmp_path) == []  # the temp file is gone too


def test_an_empty_folder_is_removed_and_one_with_anything_in_it_kept(tmp_path) -> None:
    store = FolderStore(tmp_path)
    path = "relay/c-1/0123456789abcdef0123456789abcdef/000000000001-000000000009-0123456789abcdef.fab"
    store.write_atomic(path, b"x")
    (tmp_path / "relay/c-1/other (conflicted copy).fab").write_bytes(b"y")
    store.remove_empty_folder(path.rsplit("/", 1)[0])
    assert (tmp_path / path).read_bytes() == b"x"
    store.delete(path)
    store.remove_empty_folder(path.rsplit("/", 1)[0])
    store.remove_empty_folder("relay/c-1")  # a sync client's copy is in it: kept
    store.remove_empty_folder("relay/no-such-folder")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "relay", "relay/c-1", "relay/c-1/other (conflicted copy).fab"]
