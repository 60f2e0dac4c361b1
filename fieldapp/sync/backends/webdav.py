"""The WebDAV backend (Nutstore/坚果云, Nextcloud, ownCloud, Synology), on the ``webdav4`` client.

Uploads go to a temporary name in the destination collection and are then MOVEd over the final
name, so nobody ever lists a half-uploaded bundle; a failed upload's temporary file is deleted
(best effort -- it never looks like a bundle either way). Failures become :class:`StoreError`
with a reason: server unreachable, wrong user or password (401), permission (403), store full
(507), not found.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http import HTTPStatus
from typing import Any, BinaryIO, TypeVar

import httpx
from webdav4.client import (
    Client,
    ClientError,
    ForbiddenOperation,
    HTTPError,
    InsufficientStorage,
    ResourceAlreadyExists,
    ResourceNotFound,
)

from fieldapp.i18n import _
from fieldapp.sync.backends.base import (
    Entry,
    SharedStore,
    is_temp_name,
    iter_chunks,
    split_path,
    temp_name,
)
from fieldapp.sync.errors import Reason, StoreError

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


def _store_error(exc: Exception, url: str, path: str) -> StoreError:
    if isinstance(exc, httpx.TransportError):
        return StoreError(Reason.STORE_UNREACHABLE, _(
            "The WebDAV server {url} cannot be reached. Check the network and the address."
        ).format(url=url))
    status = getattr(exc, "status_code", None)
    if status == HTTPStatus.UNAUTHORIZED:
        return StoreError(Reason.STORE_AUTH, _(
            "The WebDAV server refused the user name or password (for Nutstore, use an "
            "application password)."))
    if isinstance(exc, InsufficientStorage) or status == HTTPStatus.INSUFFICIENT_STORAGE:
        return StoreError(Reason.STORE_FULL, _("The WebDAV store is full."))
    if isinstance(exc, ForbiddenOperation) or status == HTTPStatus.FORBIDDEN:
        return StoreError(Reason.STORE_DENIED, _(
            "The WebDAV server does not allow this ({path}).").format(path=path))
    if isinstance(exc, ResourceNotFound):
        return StoreError(Reason.STORE_NOT_FOUND,
                          _("{path} is not in the WebDAV store.").format(path=path))
    return StoreError(Reason.STORE_IO, _("The WebDAV server reported an error: {error}").format(
        error=str(exc)[:200]))


class WebDavStore(SharedStore):
    def __init__(self, url: str, *, user: str | None = None, password: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, client: Client | None = None) -> None:
        self.url = url.rstrip("/") + "/"
        auth = (user, password or "") if user else None
        # No automatic retries: the sync service decides when to try again and tells the user.
        self._client = client or Client(self.url, auth=auth, timeout=timeout, retry=False)

    def _call(self, path: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (httpx.HTTPError, ClientError) as exc:
            raise _store_error(exc, self.url, path) from exc

    def list(self, folder: str = "") -> list[Entry]:
        parts = split_path(folder, allow_root=True)
        try:
            items: list[Any] = self._call(folder, lambda: self._client.ls("/".join(parts)))
        except StoreError as exc:
            if exc.reason is Reason.STORE_NOT_FOUND:
                return []
            raise
        out = []
        for item in items:
            name = posixpath.basename(str(item.get("name", "")).rstrip("/"))
            if not name or is_temp_name(name):
                continue
            is_dir = item.get("type") == "directory"
            size = item.get("content_length")
            out.append(Entry(name, is_dir, None if is_dir or size is None else int(size)))
        return sorted(out, key=lambda e: e.name)

    @contextmanager
    def _open(self, path: str) -> Iterator[BinaryIO]:
        rel = "/".join(split_path(path))
        try:
            with self._client.open(rel, mode="rb") as stream:
                assert not isinstance(stream, str)
                yield stream
        except (httpx.HTTPError, ClientError) as exc:
            raise _store_error(exc, self.url, path) from exc

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        return self._open(path)

    def write_atomic(self, path: str, source: BinaryIO | bytes) -> None:
        parts = split_path(path)
        parent = "/".join(parts[:-1])
        if parent:
            self.makedirs(parent)
        final = "/".join(parts)
        tmp = posixpath.join(parent, temp_name()) if parent else temp_name()
        size = _known_size(source)
        headers = {"Content-Length": str(size)} if size is not None else {}

        def upload() -> None:
            resp = self._client.http.request(
                "PUT", self._client.join_url(tmp), content=iter_chunks(source), headers=headers)
            if resp.status_code == HTTPStatus.INSUFFICIENT_STORAGE:
                raise InsufficientStorage(tmp)
            if resp.status_code >= 400:
                raise HTTPError(resp)

        try:
            self._call(path, upload)
            self._call(path, lambda: self._client.move(tmp, final, overwrite=True))
        except BaseException:
            self._discard(tmp)
            raise

    def _discard(self, tmp: str) -> None:
        try:
            self._client.remove(tmp)
        except (httpx.HTTPError, ClientError):
            pass  # a leftover temp file is never listed and never looks like a bundle

    def delete(self, path: str) -> None:
        rel = "/".join(split_path(path))
        try:
            self._call(path, lambda: self._client.remove(rel))
        except StoreError as exc:
            if exc.reason is not Reason.STORE_NOT_FOUND:
                raise

    def remove_empty_folder(self, path: str) -> None:
        rel = "/".join(split_path(path))
        try:
            items: list[Any] = self._call(path, lambda: self._client.ls(rel))
        except StoreError as exc:
            if exc.reason is Reason.STORE_NOT_FOUND:
                return
            raise
        if any(posixpath.basename(str(i.get("name", "")).rstrip("/")) for i in items):
            return  # anything in it (a DELETE of a collection would take it all)
        self.delete(path)

    def exists(self, path: str) -> bool:
        rel = "/".join(split_path(path))
        return bool(self._call(path, lambda: self._client.exists(rel)))

    def makedirs(self, path: str) -> None:
        parts = split_path(path)
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            try:
                self._call(sub, lambda s=sub: self._client.mkdir(s))  # type: ignore[misc]
            except StoreError as exc:
                if not isinstance(exc.__cause__, ResourceAlreadyExists):
                    raise

    def close(self) -> None:
        self._client.http.close()

    def __enter__(self) -> WebDavStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _known_size(source: BinaryIO | bytes) -> int | None:
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    try:
        return os.fstat(source.fileno()).st_size - source.tell()
    except (OSError, AttributeError, ValueError):
        return None
