"""A real WebDAV server (wsgidav on cheroot) on loopback, for the WebDAV backend's tests."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "coordinator", "correct horse 电池"


@dataclass
class DavServer:
    url: str
    root: Path
    server: object


@contextmanager
def run_server(root: Path) -> Iterator[DavServer]:
    from cheroot import wsgi
    from wsgidav.wsgidav_app import WsgiDAVApp

    app = WsgiDAVApp({
        "provider_mapping": {"/": str(root)},
        "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD, "roles": []}}}},
        "http_authenticator": {"domain_controller": None, "accept_basic": True,
                               "accept_digest": False, "default_to_digest": False,
                               "trusted_auth_header": None},
        "verbose": 0,
        "logging": {"enable": False, "enable_loggers": []},
        "property_manager": True,
        "lock_storage": True,
    })
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=4, shutdown_timeout=2)
    server.prepare()
    port = server.bind_addr[1]
    thread = threading.Thread(target=server.serve, name="webdav-test-server", daemon=True)
    thread.start()
    try:
        yield DavServer(f"http://127.0.0.1:{port}/", root, server)
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test WebDAV server did not stop"
        gc.collect()  # let anything the server leaked be reported within this test
