"""Writing RDF and reports atomically, in every output format twinrdf offers.

Serialisation goes through pyoxigraph (Turtle with the project prefixes, N-Triples, N-Quads,
TriG, RDF/XML), which is many times faster than rdflib; JSON-LD goes through rdflib because it
is compacted with the project's context (ontology/context.jsonld). Every file is written to a
temporary file in the same folder, flushed to disk and moved into place with ``os.replace``, so
a crash, an exception or Ctrl-C leaves either the old file or the complete new one, never half
of one, and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyoxigraph as ox

from twinrdf.build import PREFIXES, BuildResult, term_to_rdflib
from twinrdf.perf import fork_enabled


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    dataset: bool  # keeps named graphs
    oxigraph: ox.RdfFormat | None  # None: written with rdflib


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", (".ttl",), False, ox.RdfFormat.TURTLE),
        Format("ntriples", (".nt",), False, ox.RdfFormat.N_TRIPLES),
        Format("jsonld", (".jsonld", ".json-ld", ".json"), True, None),
        Format("rdfxml", (".rdf", ".xml", ".owl"), False, ox.RdfFormat.RDF_XML),
        Format("nquads", (".nq",), True, ox.RdfFormat.N_QUADS),
        Format("trig", (".trig",), True, ox.RdfFormat.TRIG),
    )
}
ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "xml": "rdfxml", "rdf": "rdfxml",
           "rdf/xml": "rdfxml", "nq": "nquads", "n-triples": "ntriples", "n-quads": "nquads"}


class FormatError(ValueError):
    """An output format that cannot be chosen (unknown name or extension)."""


def choose_format(path: Path, fmt: str | None = None) -> Format:
    """The format named by ``fmt``, or else the one of the output's extension."""
    if fmt:
        key = ALIASES.get(fmt.lower(), fmt.lower())
        if key not in FORMATS:
            raise FormatError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return FORMATS[key]
    suffix = path.suffix.lower()
    for f in FORMATS.values():
        if suffix in f.extensions:
            return f
    known = ", ".join(e for f in FORMATS.values() for e in f.extensions)
    raise FormatError(f"cannot tell the format of {path} from its extension ({known}); give --format")


def _temp_beside(target: Path) -> tuple[int, str]:
    """A temporary file in the target's folder (so the final rename stays on one file system)."""
    directory = target.parent if str(target.parent) else Path(".")
    return tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")


def _put_in_place(tmp: str, target: Path) -> None:
    """Give the synced temporary file the mode a new file would get, then rename it over the target."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only once completely written and synced."""
    target = Path(path)
    fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _put_in_place(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_text(path: Path | str) -> Iterator[IO[str]]:
    """Like :func:`atomic_writer`, as UTF-8 text without newline translation (for CSV)."""
    with atomic_writer(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()


def load_context() -> dict[str, Any]:
    """The project's JSON-LD context (``@context`` value), or the prefixes when it is absent."""
    from twinrdf.resources import as_path, ontology_file

    path = as_path(ontology_file("context.jsonld"))
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))["@context"]
    return dict(PREFIXES)


def _as_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))


def to_rdflib(quads: Iterable[ox.Quad], dataset: bool = False) -> Any:
    """An rdflib Graph (or Dataset, keeping named graphs) holding the quads."""
    from rdflib import Dataset, Graph, URIRef

    if not dataset:
        g = Graph()
        for q in quads:
            g.add((term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)))
        return g
    ds = Dataset()
    for q in quads:
        gn = q.graph_name
        ctx = ds.default_graph if isinstance(gn, ox.DefaultGraph) else ds.graph(URIRef(gn.value))
        ctx.add((term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)))
    return ds


def _serialize_result(result: BuildResult, out: IO[bytes], fmt: Format) -> int:
    """The fast path for a build: its N-Triples/N-Quads text is written as is, or streamed
    through pyoxigraph's parser into its serialiser, never through Python term objects."""
    as_text = fmt.dataset or not result.named_graphs  # the builder's text is the output's statements
    if as_text:
        # written or parsed piece by piece, never built whole (see BuildResult.chunks)
        if fmt.name in ("nquads", "ntriples"):
            for chunk in result.chunks():
                out.write(chunk)
            return len(result.lines)
        count, data = len(result.lines), result.reader()
    else:
        triples = result.ntriples
        count, data = triples.count(b"\n"), triples
        if fmt.name == "ntriples":
            out.write(triples)
            return count
    # lenient: the builder already checked every term (see BuildResult), so skip re-validating IRIs
    source = ox.parse(data, format=ox.RdfFormat.N_QUADS if fmt.dataset else ox.RdfFormat.N_TRIPLES,
                      lenient=True)
    ox.serialize(source, out, format=fmt.oxigraph, prefixes=PREFIXES)
    return count


def serialize(quads: list[ox.Quad] | BuildResult, out: IO[bytes], fmt: Format) -> int:
    """Write quads (or a build's statements) to a binary stream in ``fmt``; returns the statements written."""
    if isinstance(quads, BuildResult):
        if fmt.oxigraph is not None:
            return _serialize_result(quads, out, fmt)
        quads = quads.quads
    if fmt.oxigraph is not None:
        named = any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
        items: list[Any] = list(dict.fromkeys(quads)) if fmt.dataset or not named else _as_triples(quads)
        prefixes = PREFIXES if fmt.oxigraph in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG,
                                                ox.RdfFormat.RDF_XML) else None
        ox.serialize(items, out, format=fmt.oxigraph, prefixes=prefixes)
        return len(items)
    named = any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
    graph = to_rdflib(quads, dataset=named)
    data = graph.serialize(format="json-ld", context=load_context(), auto_compact=True, indent=2)
    out.write(canonical_jsonld(data).encode("utf-8"))
    return len(set(quads)) if named else len(_as_triples(quads))


def canonical_jsonld(text: str | bytes) -> str:
    """Stable bytes for the same graph: rdflib orders JSON-LD nodes and values by hash, which
    changes from run to run. Keys are sorted and unordered arrays sorted; ``@context`` and
    ``@list`` values keep their order, because there order carries meaning."""

    def canon(value: Any, ordered: bool = False) -> Any:
        if isinstance(value, dict):
            return {k: (v if k == "@context" else canon(v, k == "@list")) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = [canon(v) for v in value]
            return items if ordered else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return value

    return json.dumps(canon(json.loads(text)), indent=2, ensure_ascii=False) + "\n"


def write_rdf(quads: list[ox.Quad] | BuildResult, path: Path | str, fmt: str | Format | None = None) -> int:
    """Atomically write quads to ``path`` (format from ``fmt`` or the extension); returns statements."""
    target = Path(path)
    chosen = fmt if isinstance(fmt, Format) else choose_format(target, fmt)
    with atomic_writer(target) as out:
        return serialize(quads, out, chosen)


# ----------------------------------------------------------------------------- overlapped writing


class WriteError(OSError):
    """An output file could not be written (the process serialising it failed); exit code 2."""


STREAMED = frozenset({"ntriples", "nquads", "turtle", "trig", "rdfxml"})  # written from the statement text
PIPE_BYTES = 1 << 20
SYNC_EVERY = 8 << 20  # bytes of statements between two writebacks in a writer process


COPIED = frozenset({"ntriples", "nquads"})  # the statement text as it is


class _Tee(io.RawIOBase):
    """Reads the statement pipe and copies every byte read to the N-Triples/N-Quads outputs."""

    def __init__(self, fd: int, copies: list[IO[bytes]], outputs: list[IO[bytes]]) -> None:
        super().__init__()
        self._src = os.fdopen(fd, "rb", buffering=0)
        self._copies = copies
        self._outputs = outputs
        self._unsynced = 0
        self._syncer: Any = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._src.readinto(b)
        if n:
            for c in self._copies:
                c.write(b[:n])
            self._unsynced += n
            if self._unsynced >= SYNC_EVERY:
                self._start_writeback()
        return n or 0

    def _start_writeback(self) -> None:
        """Sync what is written so far, while the builder is still working, so that the final
        fsync (the durability half of the atomic write) has little left to do: it took
        0.2-0.3 s after the build of the Wikipedia list, all of it on the critical path, and
        0.03 s with these intermediate syncs (measured; ``posix_fadvise`` writeback: 0.07-0.12 s).
        The sync runs in a thread (fdatasync releases the GIL), so that this process goes on
        parsing and serialising meanwhile."""
        self._unsynced = 0
        fds = []
        for o in self._outputs:
            o.flush()
            fds.append(o.fileno())
        if self._syncer is None:
            self._requests: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
            self._syncer = threading.Thread(target=self._sync_loop, daemon=True)
            self._syncer.start()
        self._requests.put(fds)

    def _sync_loop(self) -> None:
        sync = getattr(os, "fdatasync", None) or os.fsync
        while fds := self._requests.get():
            for fd in fds:
                with contextlib.suppress(OSError):  # the final fsync reports what matters
                    sync(fd)

    def finish(self) -> None:
        """Wait for the syncs under way (before the final fsync)."""
        if self._syncer is not None:
            self._requests.put([])
            self._syncer.join()
            self._syncer = None

    def close(self) -> None:
        self._src.close()
        super().close()


def _write_stream(fd: int, outs: list[tuple[IO[bytes], Format]]) -> None:
    """What a writer process does with the statement text it reads from ``fd`` (the same steps
    as :func:`_serialize_result`): N-Triples/N-Quads outputs get the text as it is; one other
    format at most is parsed by pyoxigraph and serialised with the project prefixes."""
    tee = _Tee(fd, [o for o, f in outs if f.name in COPIED], [o for o, _ in outs])
    parsed = [(o, f) for o, f in outs if f.name not in COPIED]
    with contextlib.ExitStack() as stack:
        stack.callback(tee.finish)
        src = stack.enter_context(io.BufferedReader(tee, PIPE_BYTES))
        if parsed:
            (out, fmt), = parsed
            source = ox.parse(src, format=ox.RdfFormat.N_QUADS if fmt.dataset else ox.RdfFormat.N_TRIPLES,
                              lenient=True)
            ox.serialize(source, out, format=fmt.oxigraph, prefixes=PREFIXES)
        while src.read(PIPE_BYTES):  # the copies get all of it, whatever the parser left unread
            pass


@dataclass
class _Writer:
    targets: list[tuple[Path, Format]]
    tmps: list[str] = field(default_factory=list)
    pid: int = 0
    wfd: int = -1  # the parent's end of the statement pipe
    efd: int = -1  # the parent's end of the error pipe
    rusage: Any = None
    backlog: deque[memoryview] = field(default_factory=deque)  # sent, not yet in the pipe


class OutputStream:
    """Write a build's statements to output files while the builder is still producing them.

    Why: this is a 2-core machine's job done on one core otherwise. Serialising Turtle (parse
    the N-Triples text, serialise with prefixes: ~0.7 s for the 26k-row Wikipedia list) and
    syncing the files to disk do not depend on the builder's Python work, so a forked writer
    process reads the statement text from a pipe as the builder emits it (:meth:`send`, called
    by :func:`twinrdf.build.build` through its ``sink``) and writes the files: every
    N-Triples/N-Quads output and one other format per writer process (a second Turtle-like
    output gets a writer of its own). The bytes are those of :func:`write_rdf`: the same text
    through the same pyoxigraph calls, in the same order.

    Atomic as :func:`write_rdf`: a writer fills and fsyncs temporary files in the targets'
    folders; only :meth:`commit`, once every writer has exited cleanly, moves them into place
    (``os.replace``). A writer that fails (disk full, bad statement) makes :meth:`commit`
    raise :class:`WriteError` with its message; leaving the ``with`` block without a commit
    (an exception, ``--strict`` with rejects) kills the writers and removes their temporary
    files, so neither orphans nor zombies nor ``.part`` files remain.

    Falls back to writing after the build with :func:`write_rdf` (same bytes) where
    ``os.fork`` is missing, with ``TWINRDF_NO_FORK=1``, for formats written through rdflib
    (JSON-LD), and when the build turns out to have named graphs that a triple format must
    drop (that needs the whole build first).
    """

    def __init__(self, targets: Sequence[tuple[Path | str, Format]]) -> None:
        self.targets = [(Path(t), f) for t, f in targets]
        self.writers: list[_Writer] = []
        self.sent = 0  # statements (lines of the build) sent so far
        self.closed = False
        self.forked = fork_enabled() and all(f.name in STREAMED for _, f in self.targets)

    # -- lifecycle
    def __enter__(self) -> OutputStream:
        if self.forked:
            copied = [t for t in self.targets if t[1].name in COPIED]
            parsed = [t for t in self.targets if t[1].name not in COPIED]
            groups = [[*parsed[:1], *copied], *([t] for t in parsed[1:])]
            try:
                for group in groups:
                    if group:
                        self._start(group)
            except BaseException:
                self.abort()
                raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.closed:
            self.abort()

    def _start(self, targets: list[tuple[Path, Format]]) -> None:
        w = _Writer(targets)
        self.writers.append(w)
        fds: list[int] = []
        try:
            for target, _fmt in targets:
                fd, tmp = _temp_beside(target)
                fds.append(fd)
                w.tmps.append(tmp)
            rfd, w.wfd = os.pipe()
            erfd, w.efd = os.pipe()
            with contextlib.suppress(OSError):  # a larger pipe: fewer stalls when the builder bursts
                import fcntl

                fcntl.fcntl(w.wfd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
            w.pid = os.fork()
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        if w.pid == 0:  # the writer process: never returns
            self._child(w, fds, rfd, w.efd)
        for fd in fds:
            os.close(fd)
        os.close(rfd)
        os.close(w.efd)
        w.efd = erfd
        os.set_blocking(w.wfd, False)  # send() never waits (see there)

    def _child(self, w: _Writer, fds: list[int], rfd: int, efd: int) -> None:
        code = 1
        try:
            for other in self.writers:  # other writers' pipe ends: else they never see the end
                for x in (other.wfd, other.efd):
                    if x >= 0 and x != efd:
                        with contextlib.suppress(OSError):
                            os.close(x)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            outs = [os.fdopen(fd, "wb") for fd in fds]
            _write_stream(rfd, [(o, f) for o, (_, f) in zip(outs, w.targets, strict=True)])
            for o in outs:
                o.flush()
                os.fsync(o.fileno())
                o.close()
            code = 0
        except BaseException as exc:  # reported to the parent, which raises WriteError
            with contextlib.suppress(BaseException):
                os.write(efd, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")[:4000])
        finally:
            os._exit(code)

    # -- feeding
    def send(self, lines: list[str]) -> None:
        """Send ``lines[self.sent:]`` (the statements added since the last call) to the writers.

        Never waits for a writer that is behind: what its pipe cannot take now is kept and
        sent at the next call (or by :meth:`commit`), so the builder keeps building."""
        if not self.forked or len(lines) <= self.sent:
            return
        new = lines[self.sent:]
        new.append("")  # the text ends with " .\n" without copying it once more
        data = " .\n".join(new).encode("utf-8")
        self.sent = len(lines)
        for w in self.writers:
            if w.wfd >= 0:
                w.backlog.append(memoryview(data))
                self._push(w, block=False)

    @staticmethod
    def _push(w: _Writer, block: bool) -> None:
        """Write ``w``'s backlog to its pipe: all of it (``block``) or what fits now."""
        if block:
            os.set_blocking(w.wfd, True)
        try:
            while w.backlog:
                view = w.backlog[0]
                try:
                    n = os.write(w.wfd, view)
                except BlockingIOError:
                    return
                if n < len(view):
                    w.backlog[0] = view[n:]
                else:
                    w.backlog.popleft()
        except BrokenPipeError:  # the writer died; commit() reports why
            w.backlog.clear()
            os.close(w.wfd)
            w.wfd = -1

    # -- ending
    def commit(self, result: BuildResult) -> list[int]:
        """Finish the outputs with ``result``'s statements (those not sent yet included), move
        them into place, and return the statements written per target."""
        if not self.forked or (result.named_graphs and not all(f.dataset for _, f in self.targets)):
            self.abort()
            self.closed = True
            return [write_rdf(result, t, f) for t, f in self.targets]
        if self.sent > len(result.lines):
            self.abort()
            raise RuntimeError("the build's statements changed after they were sent")
        self.send(result.lines)
        for w in self.writers:
            if w.wfd >= 0:
                self._push(w, block=True)
        self._close_pipes()
        errors = []
        for w in self.writers:
            message = self._reap(w)
            if message is not None:
                names = ", ".join(str(t) for t, _ in w.targets)
                errors.append(f"cannot write {names}: {message}")
        if errors:
            self.abort()
            raise WriteError("; ".join(errors))
        for w in self.writers:
            for (target, _), tmp in zip(w.targets, w.tmps, strict=True):
                _put_in_place(tmp, target)
            w.tmps.clear()
        self.closed = True
        return [len(result.lines)] * len(self.targets)

    def _close_pipes(self) -> None:
        for w in self.writers:
            w.backlog.clear()
            if w.wfd >= 0:
                os.close(w.wfd)
                w.wfd = -1

    def _reap(self, w: _Writer) -> str | None:
        """Wait for one writer; None when it succeeded, else why it failed."""
        if not w.pid:
            return "not started"
        _, status, w.rusage = os.wait4(w.pid, 0)
        w.pid = 0
        with os.fdopen(w.efd, "rb") as err:
            message = err.read().decode("utf-8", "replace").strip()
        w.efd = -1
        if os.waitstatus_to_exitcode(status) == 0:
            return None
        code = os.waitstatus_to_exitcode(status)
        return message or (f"writer process killed by signal {-code}" if code < 0 else
                           f"writer process exited with {code}")

    def abort(self) -> None:
        """Stop the writers and remove their temporary files (nothing is written)."""
        self._close_pipes()
        for w in self.writers:
            if w.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(w.pid, 0)
                w.pid = 0
            if w.efd >= 0:
                os.close(w.efd)
                w.efd = -1
            for tmp in w.tmps:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            w.tmps.clear()
        self.closed = True

    def children_cpu(self) -> float:
        """CPU seconds the writer processes used (after :meth:`commit`; for the benchmark)."""
        return sum(w.rusage.ru_utime + w.rusage.ru_stime for w in self.writers if w.rusage is not None)
