"""The per-app state every blueprint reaches through ``endpoint_state()``: settings, the query
worker pool, the writable store (only when updates are enabled) and what was served when."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from twinrdf.endpoint.executor import QueryPool

from twinrdf.store import TripleStore


@dataclass
class EndpointState:
    settings: dict[str, Any]
    pool: QueryPool  # or an inline.InlineExecutor (same interface)
    writable: TripleStore | None = None
    update_lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.time)
    data_info: dict[str, Any] = field(default_factory=dict)

    @property
    def updates_enabled(self) -> bool:
        return bool(self.settings["enable_updates"])

    def update_token(self) -> str | None:
        token = os.environ.get(self.settings["update_token_env"] or "")
        return token or None


def endpoint_state() -> EndpointState:
    return current_app.extensions["twinrdf"]


def data_fingerprint(store_path: str) -> dict[str, Any]:
    """Load time and a hash of the store's manifest files: changes whenever the data does."""
    info: dict[str, Any] = {}
    try:
        names = sorted(n for n in os.listdir(store_path) if n.startswith(("MANIFEST", "CURRENT", "OPTIONS")))
        h = hashlib.sha256()
        latest = 0.0
        for n in names:
            p = os.path.join(store_path, n)
            h.update(n.encode())
            latest = max(latest, os.path.getmtime(p))
            with open(p, "rb") as f:
                h.update(f.read())
        info["hash"] = "sha256:" + h.hexdigest()[:16]
        info["modified"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(latest)) if latest else None
    except OSError:
        pass
    return info
