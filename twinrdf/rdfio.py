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
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from twinrdf.build import PREFIXES, BuildResult, term_to_rdflib


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


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only once completely written and synced."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
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
