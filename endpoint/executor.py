"""Query evaluation in a pool of worker processes, so a runaway query can really be stopped.

pyoxigraph cannot interrupt a query from another thread, so each query runs in a worker
process that holds its own read-only handle on the store. The server process waits for the
result with a wall-clock deadline; past it, the worker is killed (SIGKILL) and replaced in the
background, and the client gets ``QueryTimeout``. Other requests keep being served by the
other workers meanwhile.

Protocol on the pipe (worker -> server): ``("head", info)`` once the result is known and the
row limit applied, then ``("data", bytes)`` chunks, then ``("end", info)``; or
``("error", kind, message)`` with kind "syntax" (malformed query: a 400) or "eval".
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CHUNK = 65536


@dataclass
class QueryJob:
    """Everything a worker needs to evaluate one query (picklable)."""

    query: str
    fmt_results: str | None = "json"  # format for SELECT/ASK (None: nothing acceptable -> 406)
    fmt_graph: str | None = "turtle"  # format for CONSTRUCT/DESCRIBE (None: 406)
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    base_iri: str | None = None
    max_rows: int = 0
    # federation settings, used only when the query has SERVICE clauses
    service_allowlist: list[str] = field(default_factory=list)
    service_timeout: float = 10.0
    user_agent: str = "twinrdf"


class QueryFailed(Exception):
    """The query could not be evaluated. ``kind``: syntax, eval, forbidden, crashed."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class QueryTimeout(Exception):
    """The query ran past its wall-clock limit and was stopped."""


class PoolBusy(Exception):
    """No worker became free within the queue timeout."""


# --- the worker process ------------------------------------------------------------------------


def _worker_main(conn: Any, store_spec: str) -> None:
    """Worker loop: open the store read-only, then evaluate jobs until the pipe closes.

    Each job carries the pool's store generation; a newer one (an update ran) makes the worker
    reopen the store first, so it sees the new state."""
    from twinrdf.store import open_store

    store = open_store(store_spec, read_only=True)
    seen = 0
    while True:
        try:
            generation, job = conn.recv()
        except (EOFError, OSError):
            return
        if generation != seen:
            store.close()
            store = open_store(store_spec, read_only=True)
            seen = generation
        if job is None:
            conn.send(("pong", os.getpid()))
            continue
        try:
            _evaluate(store, QueryJob(**job), conn)
        except (EOFError, OSError, BrokenPipeError):
            return


def main(argv: list[str] | None = None) -> None:
    """Entry point of a worker process: ``python -m twinrdf.endpoint.executor FD STORE``."""
    import signal
    import sys
    from multiprocessing.connection import Connection

    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us, not Ctrl-C
    _worker_main(Connection(int(args[0])), args[1])


def _evaluate(store: Any, job: QueryJob, conn: Any) -> None:
    import pyoxigraph as ox
    from twinrdf.endpoint import results

    query = job.query
    if "service" in query.lower():
        from twinrdf.endpoint.federation import FederationError, resolve_services

        try:
            query = resolve_services(query, job.service_allowlist, job.service_timeout, job.user_agent)
        except FederationError as exc:
            conn.send(("error", exc.kind, str(exc)))
            return
    try:
        result = store.query(
            query,
            default_graph_uris=job.default_graph_uris,
            named_graph_uris=job.named_graph_uris,
            base_iri=job.base_iri,
        )
    except SyntaxError as exc:
        conn.send(("error", "syntax", str(exc)))
        return
    except OSError as exc:  # the store could not be read: the server's problem
        conn.send(("error", "eval", str(exc)))
        return
    except Exception as exc:  # the query asks for something that cannot be evaluated
        conn.send(("error", "bad_request", f"the query cannot be evaluated: {exc}"))
        return
    graph_form = not isinstance(result, ox.QueryBoolean | bool | ox.QuerySolutions)
    if (job.fmt_graph if graph_form else job.fmt_results) is None:
        form = (
            "CONSTRUCT/DESCRIBE"
            if graph_form
            else ("ASK" if isinstance(result, ox.QueryBoolean) else "SELECT")
        )
        conn.send(("error", "not_acceptable", form))
        return

    pending: list[bytes] = []
    size = 0
    # The head is sent with the first chunk; a result that fits in one chunk goes back as one
    # ("all", head, data) message, so a small query costs a single round trip on the pipe.
    head: dict[str, Any] = {}
    head_sent = False

    def sink(data: bytes) -> None:
        nonlocal size
        pending.append(data)
        size += len(data)
        if size >= CHUNK:
            flush()

    def flush() -> None:
        nonlocal size, head_sent
        if not head_sent:
            conn.send(("head", head))
            head_sent = True
        if pending:
            conn.send(("data", b"".join(pending)))
            pending.clear()
            size = 0

    try:
        if isinstance(result, ox.QueryBoolean | bool):
            head.update({"form": "ask", "format": job.fmt_results, "truncated": False})
            results.write_boolean(bool(result), job.fmt_results, sink)
            rows = 1
            result = None
        elif isinstance(result, ox.QuerySolutions):
            if job.fmt_results in MIN_ROW_BYTES:
                data = _native_results(result, job.fmt_results, job.max_rows)
                if data is not None:  # pyoxigraph's own writer, row limit provably not reached
                    head.update({"form": "select", "format": job.fmt_results, "truncated": False})
                    sink(data)
                    rows = -1  # not counted on this path
                    result = None
                else:  # too large to prove: evaluate again and apply the limit row by row
                    result = store.query(
                        query,
                        default_graph_uris=job.default_graph_uris,
                        named_graph_uris=job.named_graph_uris,
                        base_iri=job.base_iri,
                    )
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            it, truncated = _limited(result, job.max_rows)
            head.update({"form": "select", "format": job.fmt_results, "truncated": truncated})
            rows = results.write_solutions(variables, it, job.fmt_results, sink)
        elif result is not None:
            it, truncated = _limited(result, job.max_rows)
            head.update({"form": "graph", "format": job.fmt_graph, "truncated": truncated})
            counted = [0]
            as_quads = results.RDF_FORMATS[job.fmt_graph].supports_datasets

            def graph() -> Iterator[Any]:
                for t in it:
                    counted[0] += 1
                    yield ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) if as_quads else t

            results.write_triples(graph(), job.fmt_graph, sink)
            rows = counted[0]
    except Exception as exc:  # an error while iterating (e.g. an evaluation error mid-way)
        if not head_sent:  # nothing sent yet: the client gets a proper error status
            conn.send(("error", "bad_request", f"the query cannot be evaluated: {exc}"))
            return
        flush()
        conn.send(("error", "eval", str(exc)))
        return
    if not head_sent:
        conn.send(("all", head, b"".join(pending), {"rows": rows}))
        return
    flush()
    conn.send(("end", {"rows": rows}))


class _Capped:
    """A write-only buffer for pyoxigraph's serializer that gives up past ``cap`` bytes."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.over = False

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.size += len(data)
        if self.size > self.cap:
            self.over = True
            raise _Overflow
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        pass


class _Overflow(Exception):
    pass


# Past this size (one pipe message) a result goes through the row writer instead: streamed in
# chunks, row limit applied. The price is evaluating such a query twice (the first pass stops
# at this size unless the query must sort or group everything first).
NATIVE_CAP = CHUNK


# The fewest bytes pyoxigraph writes per solution (an empty one: ``{}``, ``<result></result>``,
# an empty CSV line, an empty TSV line).
MIN_ROW_BYTES = {"json": 2, "xml": 17, "csv": 2, "tsv": 1}


def _native_results(result: Any, fmt: str, max_rows: int) -> bytes | None:
    """SELECT results written by pyoxigraph (about half the cost of the row writer), or None
    when the output exceeds what proves the row limit is not reached: every solution takes at
    least ``MIN_ROW_BYTES[fmt]`` bytes, so output of at most that many times ``max_rows`` bytes
    has at most ``max_rows`` rows and needs no truncation. ``result`` is consumed either way."""
    from twinrdf.endpoint.results import RESULTS_FORMATS

    cap = NATIVE_CAP if max_rows <= 0 else min(NATIVE_CAP, MIN_ROW_BYTES[fmt] * max_rows)
    out = _Capped(cap)
    try:
        result.serialize(out, RESULTS_FORMATS[fmt])
    except Exception:
        if out.over:
            return None
        raise
    return b"".join(out.parts)


def _limited(result: Any, max_rows: int) -> tuple[Iterator[Any], bool]:
    """Apply the row limit. With a limit, look ahead up to max_rows + 1 rows (held as terms,
    bounded by the setting) so the truncation flag is known before the first byte is sent."""
    if max_rows <= 0:
        return iter(result), False
    head = list(itertools.islice(result, max_rows + 1))
    truncated = len(head) > max_rows
    return iter(head[:max_rows]), truncated


# --- the pool ------------------------------------------------------------------------------------


class _Worker:
    """One worker process (a fresh interpreter, not a fork of a threaded server) and its socket."""

    def __init__(self, store_spec: str):
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "twinrdf.endpoint.executor", str(theirs.fileno()), store_spec],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, ValueError):
            pass
        self.conn.close()


class _Body:
    """The streamed body of one query. Returns its worker to the pool once the worker said
    "end"; if the body is closed before that (client gone, HEAD request, never iterated) or the
    deadline passes, the worker is killed and replaced, so it never leaks from the pool."""

    def __init__(self, pool: QueryPool, w: _Worker, deadline: float):
        self._pool, self._w, self._deadline = pool, w, deadline
        self._finished = False
        self._released = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._finished:
            raise StopIteration
        try:
            msg = self._pool._recv(self._w, self._deadline)
        except (QueryTimeout, EOFError, OSError) as exc:
            log.warning("query stopped while streaming: %s", exc)
            self._finished = True
            self._release(clean=False)
            raise StopIteration from None
        if msg[0] == "data":
            return msg[1]
        if msg[0] != "end":  # an error after the head: the body is cut short
            log.warning("query failed while streaming: %s", msg[2] if len(msg) > 2 else msg)
        self._finished = True
        self._release(clean=True)
        raise StopIteration

    def _release(self, clean: bool) -> None:
        if self._released:
            return
        self._released = True
        if clean:
            self._pool._idle.put(self._w)
        else:
            self._pool._replace(self._w)

    def close(self) -> None:
        self._release(clean=self._finished and not self._pool_worker_dead())

    def _pool_worker_dead(self) -> bool:
        return self._w.proc.poll() is not None

    def __del__(self) -> None:  # a body dropped without close(): do not leak the worker
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


@dataclass
class Execution:
    """A running query: ``info`` from the worker's head message, ``chunks`` the body.
    ``body`` is the whole body when it came in one message (a small result), so the response
    can carry a Content-Length and an ETag and be cached (endpoint/cache.py)."""

    info: dict[str, Any]
    chunks: Iterator[bytes]
    body: bytes | None = None


class QueryPool:
    """A fixed number of worker processes evaluating queries with a wall-clock limit."""

    def __init__(self, store_spec: str, size: int = 2, *, timeout: float = 30.0, queue_timeout: float = 10.0):
        self.store_spec = store_spec
        self.size = max(1, size)
        self.timeout = timeout
        self.queue_timeout = queue_timeout
        self.generation = 0
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        for _ in range(self.size):
            self._spawn()

    def _spawn(self) -> None:
        w = _Worker(self.store_spec)
        with self._lock:
            if self._closed:
                w.kill()
                return
            self._all.add(w)
        self._idle.put(w)

    def _replace(self, w: _Worker) -> None:
        """Kill a worker and start a new one in the background (the request does not wait)."""
        with self._lock:
            self._all.discard(w)
        w.kill()
        if not self._closed:
            threading.Thread(target=self._spawn, daemon=True).start()

    def store_changed(self) -> None:
        """Make every worker reopen the store before its next query (after an update)."""
        with self._lock:
            self.generation += 1

    def ping(self) -> bool:
        """True when a worker answers within the queue timeout (for the health check)."""
        try:
            w = self._idle.get(timeout=self.queue_timeout)
        except queue.Empty:
            return False
        try:
            w.conn.send((self.generation, None))
            if w.conn.poll(self.queue_timeout):
                w.conn.recv()
                self._idle.put(w)
                return True
        except (EOFError, OSError):
            pass
        self._replace(w)
        return False

    def execute(self, job: QueryJob, timeout: float | None = None) -> Execution:
        """Start ``job`` on a free worker; returns once the head is known (or raises)."""
        limit = self.timeout if timeout is None else timeout
        try:
            w = self._idle.get(timeout=self.queue_timeout)
        except queue.Empty as exc:
            raise PoolBusy("all query workers are busy; try again later") from exc
        deadline = time.monotonic() + limit
        try:
            w.conn.send((self.generation, dict(vars(job))))  # shallow: pickling copies anyway
            msg = self._recv(w, deadline)
        except QueryTimeout:
            self._replace(w)
            raise
        except (EOFError, OSError) as exc:
            self._replace(w)
            raise QueryFailed("crashed", "the query worker stopped unexpectedly") from exc
        if msg[0] == "error":
            self._idle.put(w)
            raise QueryFailed(msg[1], msg[2])
        if msg[0] == "all":  # the whole (small) result in one message
            self._idle.put(w)
            return Execution(msg[1], iter([msg[2]] if msg[2] else []), msg[2] or b"")
        return Execution(msg[1], self._body(w, deadline))

    def _recv(self, w: _Worker, deadline: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not w.conn.poll(remaining):
            raise QueryTimeout(f"the query ran longer than the limit of {self.timeout:g} s and was stopped")
        return w.conn.recv()

    def _body(self, w: _Worker, deadline: float) -> Iterator[bytes]:
        return _Body(self, w, deadline)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()


if __name__ == "__main__":
    main()


def _native_json(result: Any, max_rows: int) -> bytes | None:
    """JSON case of ``_native_results``."""
    return _native_results(result, "json", max_rows)
