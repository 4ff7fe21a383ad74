"""Inline query evaluation for gunicorn sync workers (the production setup).

The pool (``executor.QueryPool``) hands every query to another process so a runaway query can
be killed; that hand-off costs milliseconds. Under gunicorn's *sync* worker a process serves
one request at a time, so the whole worker process can play the part of the query worker: the
query is evaluated in-process on the worker's own read-only store handle, and a watchdog thread
(one per worker, armed per request with the deadline) enforces the wall-clock limit. When the
deadline passes while the query is still running, the watchdog writes a complete 503 response
(the same text the pool mode sends for a timeout, ``Connection: close``) straight to the
client socket (``environ["gunicorn.socket"]``) and ends the process with ``os._exit``; the
gunicorn arbiter starts a fresh worker, and the other workers serve other clients meanwhile.
If the response had already begun streaming, the connection is just closed (the client sees a
truncated chunked body).

Serialization runs on one helper thread of the worker process (so large results stream through
a bounded queue instead of being held in memory); the request thread waits for its chunks.

Only safe where one request runs per process at a time: requests that do not come from a
gunicorn sync worker (dev server, gthread), and queries with ``SERVICE`` clauses, go to a query
worker pool created on first need.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from twinrdf.endpoint.executor import Execution, QueryFailed, QueryJob, QueryPool, _evaluate

log = logging.getLogger(__name__)

_QUEUE_DEPTH = 4


def inline_safe(environ: Mapping[str, Any] | None) -> bool:
    """True for a request served by a gunicorn sync worker (one request per process at a time)."""
    if not environ:
        return False
    return (
        environ.get("gunicorn.socket") is not None
        and environ.get("wsgi.multithread") is False
        and str(environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn")
    )


def timeout_message(limit: float) -> str:
    """The timeout text, identical to what the pool mode's 503 says."""
    return f"query timeout: the query ran longer than the limit of {limit:g} s and was stopped"


class _Watchdog:
    """One thread per worker process; armed per request. Past the deadline it answers the
    client with a 503 (or, once streaming began, closes the connection) and ends the process."""

    def __init__(self, cors: bool):
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._sock: socket.socket | None = None
        self._limit = 0.0
        self.started = False
        self._cors = cors
        self._thread = threading.Thread(target=self._run, name="twinrdf-watchdog", daemon=True)
        self._thread.start()

    def arm(self, deadline: float, sock: socket.socket | None, limit: float) -> None:
        with self._cond:
            self._deadline, self._sock, self._limit, self.started = deadline, sock, limit, False
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline, self._sock = None, None
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._fire()

    def _fire(self) -> None:
        sock = self._sock
        log.error(
            "query ran past the %g s limit%s; ending this worker (gunicorn starts a new one)",
            self._limit,
            " while streaming" if self.started else "",
        )
        if sock is not None:
            try:
                sock.settimeout(2.0)
                if not self.started:
                    body = (timeout_message(self._limit) + "\n").encode("utf-8")
                    head = [
                        "HTTP/1.1 503 Service Unavailable",
                        "Content-Type: text/plain; charset=utf-8",
                        f"Content-Length: {len(body)}",
                        "Retry-After: 1",
                        "Connection: close",
                    ]
                    if self._cors:
                        head.append("Access-Control-Allow-Origin: *")
                    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        os._exit(1)


class _Conn:
    """What ``executor._evaluate`` writes to: a bounded queue; gives up once cancelled."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self.cancelled = False

    def send(self, msg: tuple[Any, ...]) -> None:
        while True:
            if self.cancelled:
                raise BrokenPipeError("the response was abandoned")
            try:
                self.q.put(msg, timeout=0.5)
                return
            except queue.Full:
                continue


class InlineExecutor:
    """Same interface as ``QueryPool`` (execute, ping, store_changed, close, generation)."""

    def __init__(
        self,
        store_spec: str,
        *,
        timeout: float,
        cors: bool = True,
        fallback: Callable[[], QueryPool],
    ):
        self.store_spec = store_spec
        self.timeout = timeout
        self.generation = 0
        self._seen = -1
        self._store: Any = None
        self._fallback_factory = fallback
        self._fallback: QueryPool | None = None
        self._lock = threading.Lock()
        self._cors = cors
        self._watchdog: _Watchdog | None = None
        self._jobs: queue.Queue[tuple[QueryJob, _Conn] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._warned = False
        self._pid = os.getpid()

    # -- helpers ----------------------------------------------------------------------------
    def _pool(self) -> QueryPool:
        with self._lock:
            if self._fallback is None:
                self._fallback = self._fallback_factory()
            return self._fallback

    def _start(self) -> None:
        """Threads are started in the process that serves (after gunicorn's fork)."""
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._watchdog = _Watchdog(self._cors)
            self._thread = threading.Thread(target=self._produce, name="twinrdf-inline", daemon=True)
            self._thread.start()

    def _open(self) -> Any:
        from twinrdf.store import open_store

        if self._store is None or self._seen != self.generation:
            if self._store is not None:
                self._store.close()
            self._store = open_store(self.store_spec, read_only=True)
            self._seen = self.generation
        return self._store

    def _produce(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, conn = item
            try:
                _evaluate(self._open(), job, conn)
            except (BrokenPipeError, OSError) as exc:
                if not conn.cancelled:
                    log.warning("inline query failed: %s", exc)
                    try:
                        conn.send(("error", "eval", str(exc)))
                    except OSError:
                        pass
            except Exception as exc:  # noqa: BLE001 - never let the helper thread die
                log.exception("inline query failed")
                try:
                    conn.send(("error", "eval", str(exc)))
                except OSError:
                    pass

    # -- the QueryPool interface ----------------------------------------------------------------
    def execute(self, job: QueryJob, timeout: float | None = None) -> Execution:
        """Evaluate in this process when the request comes from a gunicorn sync worker;
        otherwise (or for SERVICE queries) on the fallback pool."""
        from flask import has_request_context, request

        environ = request.environ if has_request_context() else None
        if not inline_safe(environ) or "service" in job.query.lower():
            if not inline_safe(environ) and not self._warned:
                self._warned = True
                log.warning(
                    "executor = inline needs a gunicorn sync worker (threads = 1); "
                    "using the query worker pool instead"
                )
            return self._pool().execute(job, timeout)
        assert environ is not None
        self._start()
        assert self._watchdog is not None
        limit = self.timeout if timeout is None else timeout
        watchdog = self._watchdog
        watchdog.arm(time.monotonic() + limit, environ.get("gunicorn.socket"), limit)
        conn = _Conn()
        self._jobs.put((job, conn))
        msg = conn.q.get()
        if msg[0] == "error":
            watchdog.disarm()
            raise QueryFailed(msg[1], msg[2])
        if msg[0] == "all":
            watchdog.disarm()
            return Execution(msg[1], iter([msg[2]] if msg[2] else []), msg[2] or b"")
        return Execution(msg[1], self._body(conn, watchdog))

    def _body(self, conn: _Conn, watchdog: _Watchdog) -> Iterator[bytes]:
        finished = False
        try:
            while True:
                msg = conn.q.get()
                if msg[0] == "data":
                    watchdog.started = True
                    yield msg[1]
                    continue
                if msg[0] != "end":
                    log.warning("query failed while streaming: %s", msg[2] if len(msg) > 2 else msg)
                finished = True
                return
        finally:
            if not finished:
                conn.cancelled = True
            watchdog.disarm()

    def store_changed(self) -> None:
        """Reopen the read-only handle before the next query (after an update)."""
        self.generation += 1
        if self._fallback is not None:
            self._fallback.store_changed()

    def ping(self) -> bool:
        from flask import has_request_context, request

        environ = request.environ if has_request_context() else None
        if not inline_safe(environ):
            return self._pool().ping()
        try:
            self._start()
            conn = _Conn()
            self._jobs.put((QueryJob(query="ASK {}", fmt_results="json"), conn))
            return conn.q.get(timeout=10)[0] in ("all", "head")
        except (queue.Empty, OSError):
            return False

    def close(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            self._jobs.put(None)
        with self._lock:
            if self._fallback is not None:
                self._fallback.close()
                self._fallback = None
