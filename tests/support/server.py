"""Start the twinrdf endpoint on a free port on 127.0.0.1 for tests (real HTTP, real store).

``running_server(store_path, config)`` is a context manager yielding the base URL
(``http://127.0.0.1:PORT``); the app runs in a thread of the test process (Werkzeug's threaded
server), its query workers are real processes. ``make_store(path, files)`` loads files into a
fresh on-disk store. Reused by other areas' endpoint tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from twinrdf.endpoint import create_app
from werkzeug.serving import make_server

from twinrdf.store import OxigraphStore, load_files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_store(path: Path, files: Iterable[Path | str] = (), *, graph: str | None = None) -> Path:
    """Create an on-disk store at ``path`` holding ``files`` (raises if any fails to load)."""
    store = OxigraphStore(path)
    report = load_files(store, files, graph=graph)
    store.close()
    if report.failed:
        raise RuntimeError(f"could not load test data: {report.failed}")
    return path


@contextlib.contextmanager
def running_server(store_path: Path | str, config: Mapping[str, Any] | None = None) -> Iterator[str]:
    """Serve ``store_path`` with ``config`` (settings as in endpoint/settings.py); yield the base URL."""
    settings: dict[str, Any] = {"store": str(store_path), "query_workers": 2, "query_timeout": 20.0}
    settings.update(config or {})
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name=f"twinrdf-test-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["twinrdf_close"]()
