"""The store: where the converted graphs live and are queried.

``TripleStore`` is the interface every backend implements (query, update, load, graphs,
triple count, dump). ``OxigraphStore`` is the embedded default: a real on-disk Oxigraph
database through pyoxigraph, with named graphs. Other backends (a remote SPARQL 1.1 store
reached through query/update/graph-store URLs) register themselves in ``BACKENDS`` and are
chosen by ``open_store(spec)`` from the store spec's scheme, so the CLI and the endpoint work
with any of them unchanged.

Query results are pyoxigraph-shaped whatever the backend: ``QuerySolutions`` (iterable of
``QuerySolution`` with ``.variables``), ``QueryBoolean`` / ``bool``, or an iterable of
``Triple`` for CONSTRUCT/DESCRIBE. A remote backend gets these from
``pyoxigraph.parse_query_results`` and ``pyoxigraph.parse``.
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click
import pyoxigraph as ox

# file suffix -> pyoxigraph format; every format the converters write.
RDF_SUFFIXES: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}

# Files bigger than this are validated in a streaming pass and then bulk-loaded, instead of
# being parsed into one in-memory transaction.
BULK_THRESHOLD = 256 * 1024 * 1024


class StoreError(Exception):
    """A store problem the user can act on (missing store, bad file, unsupported format)."""


@dataclass
class LoadResult:
    """What one file contributed: counted so the CLI can report and the tests can check."""

    path: Path
    graph: str | None
    quads: int
    seconds: float


@dataclass
class LoadReport:
    loaded: list[LoadResult] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def quads(self) -> int:
        return sum(r.quads for r in self.loaded)


def rdf_format_for(path: str | os.PathLike[str]) -> ox.RdfFormat:
    """The RDF format of a file from its suffix (``.gz`` is looked through)."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in RDF_SUFFIXES:
        known = ", ".join(sorted(RDF_SUFFIXES))
        raise StoreError(f"{p}: unknown RDF file type (expected one of {known}, optionally .gz)")
    return RDF_SUFFIXES[suffixes[-1]]


def _open_input(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")  # noqa: SIM115


def graph_term(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    if graph is None:
        return ox.DefaultGraph()
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise StoreError(f"not an absolute IRI for a graph name: {graph!r} ({exc})") from exc


class TripleStore(ABC):
    """The operations the CLI and the endpoint need from any store backend."""

    #: a short name for /-/versions.json and the logs
    kind: str = "abstract"

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> Any:
        """Evaluate a SPARQL query; pyoxigraph-shaped results (see the module docstring).

        Raises ``SyntaxError`` for a malformed query."""

    @abstractmethod
    def update(
        self,
        sparql: str,
        *,
        using_graph_uris: Sequence[str] = (),
        using_named_graph_uris: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> None:
        """Run a SPARQL Update request atomically. Raises ``SyntaxError`` when malformed."""

    @abstractmethod
    def load_file(
        self, path: Path, *, graph: str | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Load one RDF file atomically; returns the number of quads read."""

    @abstractmethod
    def load_data(self, data: bytes, fmt: ox.RdfFormat, *, graph: str | None, base_iri: str | None) -> None:
        """Load serialized RDF atomically (used by the Graph Store Protocol)."""

    @abstractmethod
    def graphs(self) -> list[str]:
        """The IRIs (or blank node ids) of the named graphs."""

    @abstractmethod
    def triple_count(self, graph: str | None = None) -> int:
        """Quads in the whole store, or triples in one named graph."""

    @abstractmethod
    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Iterate over the quads (all, or those of one graph)."""

    @abstractmethod
    def clear_graph(self, graph: str | None) -> bool:
        """Remove a graph's triples; returns whether it existed (None is the default graph)."""

    def has_graph(self, graph: str | None) -> bool:
        return graph is None or graph in self.graphs()

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the store (flushes an on-disk store)."""


class OxigraphStore(TripleStore):
    """The embedded store: pyoxigraph.Store on disk (RocksDB), or in memory when path is None.

    ``read_only=True`` opens the database with ``Store.read_only`` so that several server
    worker processes can share one store directory; it sees the data as of opening time.
    """

    kind = "oxigraph"

    def __init__(self, path: str | os.PathLike[str] | None, *, read_only: bool = False, create: bool = True):
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                if not (self.path / "CURRENT").exists():
                    raise StoreError(f"no store at {self.path} (create it with `twinrdf load`)")
                self._store = _open_read_only(self.path)
            else:
                if not create and not (self.path / "CURRENT").exists():
                    raise StoreError(f"no store at {self.path} (create it with `twinrdf load`)")
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc

    @property
    def native(self) -> ox.Store:
        """The underlying pyoxigraph.Store, for callers that need its full API."""
        return self._store

    def query(self, sparql, *, default_graph_uris=(), named_graph_uris=(), base_iri=None):
        kwargs: dict[str, Any] = {}
        if default_graph_uris:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris]
        if named_graph_uris:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
            if not default_graph_uris:
                # SPARQL 1.1 Protocol: a dataset given by the protocol replaces the store's;
                # with only named graphs given, the default graph is empty.
                kwargs["default_graph"] = []
        elif default_graph_uris:
            kwargs["named_graphs"] = []
        return self._store.query(sparql, base_iri=base_iri, **kwargs)

    def update(self, sparql, *, using_graph_uris=(), using_named_graph_uris=(), base_iri=None):
        if using_graph_uris or using_named_graph_uris:
            sparql = _inject_using(sparql, using_graph_uris, using_named_graph_uris)
        self._store.update(sparql, base_iri=base_iri)

    def load_file(self, path, *, graph=None, progress=None):
        path = Path(path)
        fmt = rdf_format_for(path)
        to_graph = graph_term(graph)
        if not path.is_file():
            raise StoreError(f"{path}: no such file")
        base = path.resolve().as_uri()
        # Pass 1: parse the whole file, streaming, so that a syntax error anywhere in it is found
        # before anything is written; count quads and report progress in bytes read.
        count = 0
        with _open_input(path) as raw:
            stream = _ProgressReader(raw, progress) if progress else raw
            try:
                for _ in ox.parse(stream, fmt, base_iri=base):
                    count += 1
            except SyntaxError as exc:
                raise StoreError(f"{path}: {exc}") from exc
        # Pass 2: write. ``Store.load`` is one transaction; for very large files ``bulk_load``
        # avoids holding the file in memory (the file already parsed, so only I/O can fail).
        size = path.stat().st_size
        with _open_input(path) as raw:
            try:
                if size > BULK_THRESHOLD:
                    self._store.bulk_load(raw, fmt, base_iri=base, to_graph=to_graph)
                else:
                    self._store.load(raw, fmt, base_iri=base, to_graph=to_graph)
            except (SyntaxError, OSError) as exc:
                raise StoreError(f"{path}: {exc}") from exc
        return count

    def load_data(self, data, fmt, *, graph, base_iri):
        self._store.load(data, fmt, base_iri=base_iri, to_graph=graph_term(graph))

    def graphs(self):
        return sorted(g.value for g in self._store.named_graphs())

    def has_graph(self, graph):
        return graph is None or self._store.contains_named_graph(ox.NamedNode(graph))

    def triple_count(self, graph=None):
        if graph is None:
            return len(self._store)
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def quads(self, graph=None):
        g = None if graph is None else ox.NamedNode(graph)
        return iter(self._store.quads_for_pattern(None, None, None, g))

    def clear_graph(self, graph):
        if graph is None:
            existed = next(iter(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
            self._store.clear_graph(ox.DefaultGraph())
            return existed is not None
        node = ox.NamedNode(graph)
        if not self._store.contains_named_graph(node):
            return False
        self._store.remove_graph(node)
        return True

    def close(self) -> None:
        """Flush and drop the database handle, so that another process (or a later open in
        this one) can take the write lock."""
        store = self.__dict__.pop("_store", None)
        if store is not None and not self.read_only and self.path is not None:
            store.flush()


def _open_read_only(path: Path, attempts: int = 20) -> ox.Store:
    """``Store.read_only``, retried: while a writer compacts, the files listed in the manifest
    can disappear between listing and opening (RocksDB then reports corruption); a fresh
    attempt reads the new manifest."""
    for i in range(attempts):
        try:
            return ox.Store.read_only(str(path))
        except (RuntimeError, OSError):
            if i == attempts - 1:
                raise
            time.sleep(0.01 * (i + 1))
    raise AssertionError("unreachable")


def _inject_using(sparql: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Protocol ``using-graph-uri``: not expressible through pyoxigraph's API, so each
    operation with a WHERE clause gets USING clauses. Conflicts with USING/WITH in the request
    are rejected by the endpoint before this point (protocol section 2.2.3)."""
    import re

    clauses = "".join(f" USING <{g}>" for g in using) + "".join(f" USING NAMED <{g}>" for g in using_named)

    def add(m: re.Match[str]) -> str:
        before = sparql[: m.start()].rstrip()
        if re.search(r"(?i)\bDELETE$", before):  # DELETE WHERE takes no USING
            return m.group(0)
        return clauses + " " + m.group(0)

    return re.sub(r"(?i)\bWHERE\s*\{", add, sparql)


class _ProgressReader:
    """A binary reader that reports how many bytes were read (for the tqdm bar)."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None]):
        self._raw = raw
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._progress(len(data))
        return data

    def readinto(self, b: Any) -> int:
        n = self._raw.readinto(b)
        self._progress(n or 0)
        return n


# --- backends -------------------------------------------------------------------------------

BackendFactory = Callable[[str, bool], TripleStore]


def _oxigraph_backend(location: str, read_only: bool) -> TripleStore:
    if location in ("", ":memory:"):
        return OxigraphStore(None)
    return OxigraphStore(location, read_only=read_only)


#: scheme -> factory(location, read_only). ``oxigraph:`` (or a plain path) is the embedded store;
#: a remote SPARQL store registers e.g. ``http``/``https`` here.
BACKENDS: dict[str, BackendFactory] = {"oxigraph": _oxigraph_backend}


def _remote_backend(location: str, read_only: bool) -> TripleStore:
    from twinrdf.store_remote import RemoteStore

    return RemoteStore.from_spec(location, read_only=read_only)


# a remote SPARQL 1.1 store: "sparql+http://host/sparql#update=URL&gsp=URL" (twinrdf/store_remote.py)
BACKENDS.update({"sparql+http": _remote_backend, "sparql+https": _remote_backend})


def split_spec(spec: str | os.PathLike[str]) -> tuple[str, str]:
    """``"oxigraph:/data/store"`` -> ("oxigraph", "/data/store"); a plain path is oxigraph."""
    text = os.fspath(spec)
    scheme, sep, rest = text.partition(":")
    if sep and scheme == "oxigraph":
        return scheme, rest
    if sep and scheme in BACKENDS:
        return scheme, text  # e.g. a remote store keeps its full URL
    return "oxigraph", text


def open_store(spec: str | os.PathLike[str], *, read_only: bool = False) -> TripleStore:
    """Open the store named by ``spec`` (a path, ``oxigraph:PATH`` or a registered scheme)."""
    scheme, location = split_spec(spec)
    return BACKENDS[scheme](location, read_only)


# --- public functions behind the CLI --------------------------------------------------------


def load_files(
    store: TripleStore,
    files: Iterable[str | os.PathLike[str]],
    *,
    graph: str | None = None,
    progress: bool = False,
) -> LoadReport:
    """Load each file atomically; a file that fails is reported and leaves the store untouched."""
    report = LoadReport()
    for f in files:
        path = Path(f)
        start = time.perf_counter()
        bar = None
        try:
            callback = None
            if progress and path.is_file():
                from tqdm import tqdm

                bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, leave=False)
                callback = bar.update
            n = store.load_file(path, graph=graph, progress=callback)
        except StoreError as exc:
            report.failed.append((path, str(exc)))
            continue
        finally:
            if bar is not None:
                bar.close()
        report.loaded.append(LoadResult(path, graph, n, time.perf_counter() - start))
    return report


QUERY_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "nt")


def run_query(store: TripleStore, sparql: str, fmt: str, out: IO[bytes]) -> None:
    """Evaluate ``sparql`` and write the results to ``out`` in ``fmt`` (see QUERY_FORMATS)."""
    result = store.query(sparql)
    if fmt == "table":
        out.write(results_table(result).encode("utf-8") + b"\n")
        return
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        rfmt = {
            "csv": ox.QueryResultsFormat.CSV,
            "tsv": ox.QueryResultsFormat.TSV,
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
        }.get(fmt)
        if rfmt is None:
            raise StoreError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; use table, csv, tsv, json or xml")
        result.serialize(out, rfmt)
        return
    gfmt = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}.get(fmt)
    if gfmt is None:
        raise StoreError(f"--format {fmt} is for SELECT/ASK; use table, turtle or nt")
    ox.serialize(result, out, gfmt)


def results_table(result: Any) -> str:
    """A plain-text table of SELECT results (ASK: the boolean; graphs: one triple per row)."""
    from prettytable import PrettyTable

    if isinstance(result, ox.QueryBoolean | bool):
        return "true" if bool(result) else "false"
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        table = PrettyTable(names or ["(no variables)"])
        for sol in result:
            table.add_row([_cell(sol[v]) for v in names] if names else [""])
    else:
        table = PrettyTable(["subject", "predicate", "object"])
        for t in result:
            table.add_row([_cell(t.subject), _cell(t.predicate), _cell(t.object)])
    table.align = "l"
    return table.get_string()


def _cell(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


DUMP_FORMATS = {
    ".nq": ox.RdfFormat.N_QUADS,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
}


def dump_store(store: TripleStore, output: str | os.PathLike[str], *, graph: str | None = None) -> int:
    """Write the store (or one graph) to ``output`` atomically; format from the suffix, ``.gz``
    compresses. Formats without named graphs (.nt, .ttl) hold the union of all graphs unless
    ``graph`` is given. Returns the number of triples/quads written."""
    out = Path(output)
    suffixes = [s.lower() for s in out.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = DUMP_FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise StoreError(
            f"{out}: dump format from the suffix must be one of {', '.join(DUMP_FORMATS)} (+ .gz)"
        )
    count = 0

    def items() -> Iterator[Any]:
        nonlocal count
        for q in store.quads(graph):
            count += 1
            yield q if fmt.supports_datasets else q.triple

    out.parent.mkdir(parents=True, exist_ok=True)
    from twinrdf.rdfio import atomic_writer

    with atomic_writer(out) as raw:  # synced, renamed into place, with a new file's usual mode
        if gz:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
                ox.serialize(items(), zipped, fmt)
        else:
            ox.serialize(items(), raw, fmt)
    return count


# --- click commands (thin shells) -----------------------------------------------------------


def _open_or_exit(spec: str, *, read_only: bool, must_exist: bool) -> TripleStore:
    scheme, location = split_spec(spec)
    if scheme == "oxigraph" and must_exist and not (Path(location) / "CURRENT").exists():
        click.echo(
            f"error: no store at {location} (create it with `twinrdf load FILE --store {location}`)", err=True
        )
        sys.exit(2)
    try:
        return open_store(spec, read_only=read_only)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--store", "store_spec", required=True, help="Store directory (created if missing).")
@click.option("--graph", default=None, help="Named graph IRI for triple files (default: the default graph).")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: on a terminal).")
def load_command(files: tuple[str, ...], store_spec: str, graph: str | None, progress: bool | None) -> None:
    """Load RDF files (.ttl .nt .nq .trig .rdf .xml .jsonld, optionally .gz) into a store.

    Each file is loaded atomically: a file that fails to parse leaves the store as it was.
    Exit 0 when all loaded, 1 when some file failed, 2 on usage/I-O error."""
    if graph is not None:
        try:
            graph_term(graph)
        except StoreError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    store = _open_or_exit(store_spec, read_only=False, must_exist=False)
    try:
        show = sys.stderr.isatty() if progress is None else progress
        report = load_files(store, files, graph=graph, progress=show)
    finally:
        store.close()
    for r in report.loaded:
        click.echo(f"loaded {r.quads} quads from {r.path} in {r.seconds:.2f} s", err=True)
    for _path, reason in report.failed:
        click.echo(f"failed: {reason}", err=True)
    click.echo(
        f"{len(report.loaded)} file(s) loaded, {len(report.failed)} failed, {report.quads} quads", err=True
    )
    sys.exit(1 if report.failed else 0)


@click.command("query")
@click.argument("sparql")
@click.option("--store", "store_spec", required=True, help="Store directory.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True)
def query_command(sparql: str, store_spec: str, fmt: str) -> None:
    """Run a SPARQL query against a store and print the results.

    SPARQL may be given inline or as @FILE to read it from a file."""
    if sparql.startswith("@"):
        try:
            sparql = Path(sparql[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    store = _open_or_exit(store_spec, read_only=True, must_exist=True)
    out = sys.stdout.buffer
    try:
        run_query(store, sparql, fmt, out)
    except SyntaxError as exc:
        click.echo(f"error: malformed query: {exc}", err=True)
        sys.exit(2)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    out.flush()


@click.command("dump")
@click.option("--store", "store_spec", required=True, help="Store directory.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output file: .nq .nt .ttl .trig, optionally .gz (e.g. dump.nq.gz).",
)
@click.option("--graph", default=None, help="Dump only this named graph.")
def dump_command(store_spec: str, output: str, graph: str | None) -> None:
    """Dump a store to a file, atomically (N-Quads/N-Triples/Turtle/TriG, gzip by suffix)."""
    store = _open_or_exit(store_spec, read_only=True, must_exist=True)
    try:
        n = dump_store(store, output, graph=graph)
    except (StoreError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"wrote {n} statements to {output}", err=True)
