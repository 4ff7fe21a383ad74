"""A whole-response cache for ``/sparql`` queries, in front of Flask.

Why: a public endpoint answers the same queries again and again (a portal page embeds a
query and runs it on every visit; the Wikidata Query Service caches results for the same
reason). A repeated small query then costs a dictionary lookup instead of routing, query
evaluation and serialisation.

Why it cannot serve a wrong answer: the key is everything in the request that can change the
answer (method, query string, body, Content-Type, Accept, Host, scheme) plus the store
generation, which every update made through this server bumps (``pool.store_changed``); a
request is only replayed byte for byte when it is the same request against the same data.
Only complete small answers are kept (sent in one message, with a Content-Length) of queries
the ``/sparql`` view marked cacheable (not ``SERVICE``, ``NOW()``, ``RAND()``, ``UUID()``,
``BNODE()``); errors, streamed results and requests carrying ``Authorization`` never are.
The cache lives in each server process (LRU, bounded by ``response_cache_bytes``; 0 turns it
off); a hit is marked ``X-Twinrdf-Cache: hit`` and honours ``If-None-Match`` with a 304.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

_FLAG = "twinrdf.cacheable"
_304_HEADERS = {
    "etag",
    "vary",
    "cache-control",
    "access-control-allow-origin",
    "access-control-expose-headers",
}


def etag_for(body: bytes, fmt: str) -> str:
    """A strong validator of one representation: the same bytes in the same format."""
    h = hashlib.blake2b(body, digest_size=12)
    h.update(fmt.encode("utf-8"))
    return f'"{h.hexdigest()}"'


def mark_cacheable(environ: MutableMapping[str, Any]) -> None:
    """Called by the view: this request's response may be kept."""
    environ[_FLAG] = True


@dataclass
class _Entry:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 256


class ResponseCache:
    """WSGI middleware; ``generation()`` returns the store generation of this process."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        generation: Callable[[], Any],
        max_bytes: int,
        max_request_body: int,
    ):
        self.app = app
        self._generation = generation
        self.max_bytes = max_bytes
        self.max_request_body = max_request_body
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def stats(self) -> dict[str, int]:
        """Figures for /-/versions.json (this process only)."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._size,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (
            environ.get("PATH_INFO") != "/sparql"
            or method not in ("GET", "POST")
            or "HTTP_AUTHORIZATION" in environ
            or (method == "GET" and not environ.get("QUERY_STRING"))
        ):
            return self.app(environ, start_response)
        body = b""
        if method == "POST":
            body_or_none = self._read_body(environ)
            if body_or_none is None:
                return self.app(environ, start_response)
            body = body_or_none
        key = (
            self._generation(),
            method,
            environ.get("SCRIPT_NAME", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("CONTENT_TYPE", ""),
            body,
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", ""),
        )
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            return self._replay(entry, environ, start_response)
        return self._miss(key, environ, start_response)

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """Read a POST body of declared length (then put it back for Flask); None: do not cache."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if length < 0 or length > self.max_request_body:
            return None
        stream = environ["wsgi.input"]
        parts, got = [], 0
        while got < length:
            chunk = stream.read(length - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        body = b"".join(parts)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _replay(entry: _Entry, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        inm = environ.get("HTTP_IF_NONE_MATCH")
        if inm and entry.etag and environ.get("REQUEST_METHOD") == "GET":
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            if entry.etag in tags or "*" in tags:
                start_response(
                    "304 Not Modified", [(k, v) for k, v in entry.headers if k.lower() in _304_HEADERS]
                )
                return []
        start_response(entry.status, [*entry.headers, ("X-Twinrdf-Cache", "hit")])
        return [entry.body]

    def _miss(
        self, key: tuple[Any, ...], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            if environ.get(_FLAG) and status.startswith("200"):
                headers = [*headers, ("X-Twinrdf-Cache", "miss")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        if not (environ.get(_FLAG) and str(seen.get("status", "")).startswith("200")):
            return result
        headers: list[tuple[str, str]] = seen["headers"]
        names = {k.lower(): v for k, v in headers}
        if "content-length" not in names:
            return result
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if len(data) == int(names["content-length"]):
            self._store(key, _Entry(seen["status"], headers, data, names.get("etag")))
        return [data]

    def _store(self, key: tuple[Any, ...], entry: _Entry) -> None:
        size = entry.size
        if size > self.max_bytes // 4:
            return
        with self._lock:
            self.misses += 1
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += size
            while self._size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size
