"""Validate twinrdf data with the SHACL shapes in ``shapes/``, and report by rule.

Publishers need to know what to fix before they publish; researchers need to know that the data
they query passed the same checks. ``validate()`` returns the outcome as data (results, counts per
rule, the ``sh:ValidationReport`` graph) and the ``twinrdf validate`` command prints it.

pyshacl is the validator of record. Two choices that matter:

- The vocabulary (``ontology/twin.ttl``) is added to the data before validation (the SHACL
  "ontology graph" mixed into the data graph, as pyshacl's ``ont_graph`` does), because the
  concept-scheme rules need to see that, say, ``twin:SisterCity`` is a ``twin:AgreementKind`` in
  ``twin:AgreementKindScheme``, and ``sh:class`` needs the subclass axioms. Pass
  ``ontology=False`` to validate the data alone.
- ``engine="oxigraph"`` gives the same report faster on large data: pyshacl still evaluates the
  core constraints, but the SHACL-SPARQL constraints are run on pyoxigraph, one query per
  constraint over all its focus nodes, instead of one rdflib query per focus node. The test
  suite checks that both engines give identical reports on every shapes test case.

A rule is a shape with an IRI and an ``sh:message``; its id is the IRI's local name (see
``rules()`` and docs/validation.md).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Literal as TypingLiteral

import click
import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from twinrdf.resources import as_path, ontology_file, shapes_file

SH = Namespace("http://www.w3.org/ns/shacl#")
TWINSH = "https://w3id.org/twinrdf/shapes#"

Level = TypingLiteral["violation", "warning", "info"]
Engine = TypingLiteral["pyshacl", "oxigraph"]
SEVERITIES = ("Violation", "Warning", "Info")
LEVELS: dict[str, tuple[str, ...]] = {
    "violation": ("Violation",),
    "warning": ("Violation", "Warning"),
    "info": ("Violation", "Warning", "Info"),
}

#: Prefixes used to write paths and focus nodes compactly in reports.
REPORT_PREFIXES: dict[str, str] = {
    "twin": "https://w3id.org/twinrdf/ns#",
    "twinsh": TWINSH,
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sh": str(SH),
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wgs84": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "wd": "http://www.wikidata.org/entity/",
}

#: File name endings of the RDF formats the converters write (and a few more).
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}

DataInput = str | PathLike | Graph | Sequence[str | PathLike | Graph]


class ValidationInputError(ValueError):
    """Data or shapes that cannot be read (missing file, unknown format, syntax error)."""


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of the shapes: a shape with an IRI and a message."""

    id: str
    shape: URIRef
    severity: str
    label: str
    description: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``, flattened: what is wrong where, and what to do."""

    rule: str
    severity: str  # Violation | Warning | Info
    focus_node: Node
    path: str | None  # a SPARQL property path with prefixed names, e.g. twin:partner
    value: Node | None
    message: str
    component: str  # local name of the constraint component, e.g. MinCountConstraintComponent

    def key(self) -> tuple:
        return (
            SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 9,
            self.rule,
            _sort_key(self.focus_node),
            self.path or "",
            _sort_key(self.value),
            self.message,
            self.component,
        )

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "focus_node": term_text(self.focus_node),
            "path": self.path,
            "value": term_text(self.value) if self.value is not None else None,
            "message": self.message,
            "component": self.component,
        }


@dataclass
class ValidationOutcome:
    """What ``validate()`` found: conformance at the chosen level, results, counts, the report."""

    conforms: bool
    fail_on: str
    results: list[ValidationResult]
    report: Graph
    triples: int
    engine: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Number of results per rule id, sorted by rule id."""
        return dict(sorted(Counter(r.rule for r in self.results).items()))

    @property
    def severity_counts(self) -> dict[str, int]:
        c = Counter(r.severity for r in self.results)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def by_rule(self) -> dict[str, list[ValidationResult]]:
        groups: dict[str, list[ValidationResult]] = {}
        for r in self.results:
            groups.setdefault(r.rule, []).append(r)
        return groups

    def as_dict(self) -> dict:
        return {
            "conforms": self.conforms,
            "fail_on": self.fail_on,
            "triples": self.triples,
            "engine": self.engine,
            "severity_counts": self.severity_counts,
            "counts": self.counts,
            "results": [r.as_dict() for r in self.results],
        }


def term_text(t: Node | None) -> str:
    """A term as report text: prefixed name where a report prefix fits, <IRI>, _:b or a literal."""
    if t is None:
        return ""
    if isinstance(t, URIRef):
        s = str(t)
        for p, ns in REPORT_PREFIXES.items():
            if s.startswith(ns) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", s[len(ns):]):
                return f"{p}:{s[len(ns):]}"
        return f"<{s}>"
    if isinstance(t, BNode):
        return f"_:{t}"
    return t.n3()


def _sort_key(t: Node | None) -> str:
    return "" if t is None else f"{type(t).__name__}:{t}"


# --- shapes ---------------------------------------------------------------------------------


def default_shapes_files() -> list[Path]:
    """The bundled shapes: the data shapes and the example-query shapes."""
    return [as_path(shapes_file("twin-shapes.ttl")), as_path(shapes_file("query-shapes.ttl"))]


def load_shapes(shapes: str | PathLike | Graph | Sequence[str | PathLike] | None = None) -> Graph:
    """The shapes graph: the bundled shapes, or the given file(s) or graph."""
    if isinstance(shapes, Graph):
        return shapes
    files = default_shapes_files() if shapes is None else (
        [shapes] if isinstance(shapes, str | PathLike) else list(shapes)
    )
    g = Graph()
    for f in files:
        _parse_into_rdflib(Path(f), g)
    return g


def rule_id(shape: Node, shapes_graph: Graph | None = None, component: Node | None = None) -> str:
    """The stable id of the rule a result comes from: the local name of its (named) shape.

    For a blank shape (only in user-supplied shapes) the id is the nearest named shape that
    refers to it, plus the constraint component, so counts stay stable across runs."""
    if isinstance(shape, URIRef):
        s = str(shape)
        return re.split(r"[#/]", s)[-1] or s
    if shapes_graph is not None:
        for parent in shapes_graph.subjects(None, shape):
            if isinstance(parent, URIRef):
                comp = rule_id(component) if isinstance(component, URIRef) else "shape"
                return f"{rule_id(parent)}/{comp.removesuffix('ConstraintComponent')}"
    return "anonymous-shape"


def rules(shapes_graph: Graph | None = None) -> list[Rule]:
    """Every rule of the shapes (named shapes with an sh:message), sorted by id."""
    g = load_shapes() if shapes_graph is None else shapes_graph
    out = []
    for s in set(g.subjects(SH.message, None)):
        if not isinstance(s, URIRef) or g.value(s, SH.sparql) is None and not _is_shape(g, s):
            continue
        sev = g.value(s, SH.severity) or SH.Violation
        out.append(Rule(
            id=rule_id(s),
            shape=s,
            severity=str(sev).removeprefix(str(SH)),
            label=_en(g, s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")),
            description=_en(g, s, SH.description),
            message=_en(g, s, SH.message),
        ))
    return sorted(out, key=lambda r: r.id)


def _is_shape(g: Graph, s: Node) -> bool:
    return (s, RDF.type, SH.NodeShape) in g or (s, RDF.type, SH.PropertyShape) in g or (s, SH.path, None) in g


def _en(g: Graph, s: Node, p: URIRef) -> str:
    values = sorted(g.objects(s, p), key=lambda o: (getattr(o, "language", None) != "en", str(o)))
    return str(values[0]) if values else ""


# --- data loading ---------------------------------------------------------------------------


class _Converter:
    """pyoxigraph terms to rdflib terms, with a cache: predicates, classes and concepts repeat."""

    def __init__(self) -> None:
        self.cache: dict = {}

    def __call__(self, t):  # noqa: ANN001 - a pyoxigraph term
        r = self.cache.get(t)
        if r is not None:
            return r
        if isinstance(t, ox.NamedNode):
            r = URIRef(t.value)
        elif isinstance(t, ox.BlankNode):
            r = BNode(t.value)
        elif isinstance(t, ox.Literal):
            if t.language:
                r = Literal(t.value, lang=t.language)
            else:
                dt = t.datatype.value
                r = Literal(t.value) if dt == "http://www.w3.org/2001/XMLSchema#string" else Literal(
                    t.value, datatype=URIRef(dt)
                )
        else:  # RDF-star triple terms: not part of twinrdf data
            raise ValidationInputError(f"unsupported RDF term {t!r}")
        if len(self.cache) < 500_000:
            self.cache[t] = r
        return r


def _to_ox(t: Node):  # noqa: ANN202
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    raise ValidationInputError(f"unsupported RDF term {t!r}")


def _format_of(path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = " ".join(sorted(FORMATS))
        raise ValidationInputError(f"{path}: unknown RDF file type {path.suffix!r} (known: {known})")
    return fmt


def _parse_quads(path: Path) -> Iterable:
    """The quads of an RDF file, or of an Oxigraph store directory (all graphs)."""
    if path.is_dir():
        try:
            store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise ValidationInputError(f"{path}: not an Oxigraph store directory ({exc})") from exc
        return list(store.quads_for_pattern(None, None, None, None))
    if not path.is_file():
        raise ValidationInputError(f"{path}: no such file or directory")
    fmt = _format_of(path)
    try:
        # rename_blank_nodes: _:b0 of one file is not _:b0 of another
        base = path.resolve().as_uri()
        return list(ox.parse(path=str(path), format=fmt, base_iri=base, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise ValidationInputError(f"{path}: not valid {fmt.name}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ValidationInputError(f"{path}: cannot read: {exc}") from exc


def _parse_into_rdflib(path: Path, g: Graph, keep: list | None = None) -> None:
    conv = _Converter()
    add = g.add
    quads = _parse_quads(path)
    for q in quads:
        add((conv(q.subject), conv(q.predicate), conv(q.object)))
    if keep is not None:
        keep.extend(quads)


class _ParseOnceGraph(Graph):
    """An rdflib Graph that parses each distinct SPARQL text once.

    pyshacl runs a SHACL-SPARQL constraint by calling ``query(text, initBindings={"this": ...})``
    once per focus node, and rdflib parses the text every time (tens of milliseconds, most of the
    cost). rdflib's prepared queries are made for exactly this reuse with different initial
    bindings, so evaluation is unchanged."""

    _prepared: dict[str, object] = {}  # shared: a prepared query does not depend on the graph

    def query(self, query_object, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if isinstance(query_object, str) and not kwargs.get("initNs") and not kwargs.get("base"):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                if len(self._prepared) > 1000:
                    self._prepared.clear()
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


@functools.lru_cache(maxsize=1)
def _ontology_graph() -> Graph:
    """The bundled vocabulary (read once per process; callers only read it)."""
    g = Graph()
    _parse_into_rdflib(as_path(ontology_file("twin.ttl")), g)
    return g


def load_data(data: DataInput, *, ontology: bool = True) -> Graph:
    """The data to validate as one rdflib graph: the union of every file, store and graph given
    (named graphs included), plus the vocabulary when ``ontology`` is true."""
    return _load(data, ontology=ontology)[0]


def _load(data: DataInput, *, ontology: bool = True, keep_quads: bool = False) -> tuple[Graph, list | None]:
    """``load_data``, and (when asked) the same statements as pyoxigraph quads, which the oxigraph
    engine loads into its store without converting the rdflib terms back."""
    items = [data] if isinstance(data, str | PathLike | Graph) else list(data)
    if not items:
        raise ValidationInputError("no data to validate")
    g = _ParseOnceGraph()
    keep: list | None = [] if keep_quads else None
    for item in items:
        if isinstance(item, Graph):
            quads = item.quads((None, None, None, None)) if hasattr(item, "quads") else None
            triples = [q[:3] for q in quads] if quads is not None else list(item)
            for t in triples:
                g.add(t)
            if keep is not None:
                keep.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in triples)
        else:
            _parse_into_rdflib(Path(item), g, keep)
    if ontology:
        for t in _ontology_graph():
            g.add(t)
        if keep is not None:
            keep.extend(_ontology_quads())
    return g, keep


def _rdflib_from_quads(quads: Iterable) -> Graph:
    """The rdflib graph of the statements (all graphs merged)."""
    g = _ParseOnceGraph()
    conv = _Converter()
    add = g.add
    for q in quads:
        add((conv(q.subject), conv(q.predicate), conv(q.object)))
    return g


@functools.lru_cache(maxsize=1)
def _ontology_quads() -> tuple:
    return tuple(_parse_quads(as_path(ontology_file("twin.ttl"))))


# --- validation -----------------------------------------------------------------------------


def validate(
    data: DataInput,
    *,
    shapes: str | PathLike | Graph | Sequence[str | PathLike] | None = None,
    fail_on: Level = "violation",
    engine: Engine = "pyshacl",
    ontology: bool = True,
) -> ValidationOutcome:
    """Validate ``data`` (RDF file paths of any format the converters write, an Oxigraph store
    directory, an rdflib Graph or Dataset, or a list of these) against the bundled shapes (or
    ``shapes``). ``conforms`` is true when no result has a severity at or above ``fail_on``.

    Raises ValidationInputError when the data or shapes cannot be read."""
    if fail_on not in LEVELS:
        raise ValueError(f"fail_on must be one of {', '.join(LEVELS)}, not {fail_on!r}")
    if engine not in ("pyshacl", "oxigraph"):
        raise ValueError(f"engine must be 'pyshacl' or 'oxigraph', not {engine!r}")
    timings: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    sg = load_shapes(shapes)
    items = [data] if isinstance(data, str | PathLike | Graph) else list(data)
    forked: tuple[list, Graph] | None = None
    if engine == "oxigraph" and items and not any(isinstance(i, Graph) for i in items):
        # Parse once with pyoxigraph, then fork before building the rdflib graph: the worker
        # builds its own copy while this process builds its one (the build is the costliest step).
        quads = [q for i in items for q in _parse_quads(Path(i))]
        if ontology:
            quads.extend(_ontology_quads())
        core, sparql = split_sparql_constraints(sg)
        groups = _split_rules(core, _workers(len(quads)))
        if len(groups) > 1:
            # the first worker also runs the SPARQL constraints; this process merges the reports
            children = [
                _fork_pyshacl(lambda: _rdflib_from_quads(quads), g, (quads, sparql) if i == 0 else None)
                for i, g in enumerate(groups[1:])
            ]
            forked = (children, groups[0])
        dg = _rdflib_from_quads(quads)
    else:
        dg, quads = _load(data, ontology=ontology, keep_quads=engine == "oxigraph")
    timings["load"] = time.perf_counter() - t0
    timings["load-cpu"] = time.process_time() - c0
    outcome = validate_graph(dg, sg, fail_on=fail_on, engine=engine, timings=timings, quads=quads,
                             _forked=forked)
    return outcome


def validate_graph(
    dg: Graph,
    sg: Graph,
    *,
    fail_on: Level = "violation",
    engine: Engine = "pyshacl",
    timings: dict[str, float] | None = None,
    quads: Sequence | None = None,
    _forked: tuple[list, Graph] | None = None,
) -> ValidationOutcome:
    """Validate a data graph that is already loaded (and already holds the ontology, if wanted).

    ``quads``: the same statements as pyoxigraph quads, if the caller has them (engine
    "oxigraph" otherwise converts the graph). The data graph is not changed."""
    import pyshacl

    timings = {} if timings is None else timings
    if engine == "pyshacl":
        t0 = time.perf_counter()
        _conforms, report, _text = pyshacl.validate(
            dg, shacl_graph=sg, inference="none", advanced=False, inplace=True, allow_infos=True
        )
        timings["pyshacl"] = time.perf_counter() - t0
    else:
        core, sparql = split_sparql_constraints(sg)
        t0, c0 = time.perf_counter(), time.process_time()
        if _forked is not None:  # validate() forked the workers already
            children, mine = _forked
        else:
            groups = _split_rules(core, _workers(len(dg)))
            children, mine = [_fork_pyshacl(dg, g) for g in groups[1:]], groups[0]
        _conforms, report, _text = pyshacl.validate(
            dg, shacl_graph=mine, inference="none", advanced=False, inplace=True, allow_infos=True
        )
        timings["pyshacl-core"] = time.perf_counter() - t0
        timings["pyshacl-core-cpu"] = time.process_time() - c0
        if _forked is None:  # (forked by validate(): its first worker ran the SPARQL constraints)
            t0, c0 = time.perf_counter(), time.process_time()
            store = ox.Store()
            if quads is None:
                quads = [ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in dg]
            # every statement into the default graph: the union of the inputs, as in the rdflib graph
            store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
            timings["oxigraph-load"] = time.perf_counter() - t0
            timings["oxigraph-load-cpu"] = time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            run_sparql_constraints(store, sparql, report)
            timings["oxigraph-sparql"] = time.perf_counter() - t0
            timings["oxigraph-sparql-cpu"] = time.process_time() - c0
        if children:
            t0 = time.perf_counter()
            for child in children:
                _merge_report(report, child())
            timings["pyshacl-core-wait"] = time.perf_counter() - t0
    results = report_results(report, sg)
    failing = LEVELS[fail_on]
    return ValidationOutcome(
        conforms=not any(r.severity in failing for r in results),
        fail_on=fail_on,
        results=results,
        report=report,
        triples=len(dg),
        engine=engine,
        timings=timings,
    )


def _workers(triples: int) -> int:
    """Processes for the core constraints: one per CPU (at most 2) for large data where fork()
    exists; TWINRDF_VALIDATE_WORKERS=N forces N (1 turns forking off)."""
    if not hasattr(os, "fork"):
        return 1
    forced = os.environ.get("TWINRDF_VALIDATE_WORKERS", "")
    if forced.isdigit() and int(forced) >= 1:
        return int(forced)
    if triples < 50_000:
        return 1  # a fork costs more than it saves on small data
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))


def _split_rules(sg: Graph, n: int) -> list[Graph]:
    """The shapes graph as ``n`` graphs, each keeping every n-th shape that has a target.

    pyshacl spends its time per shape over that shape's focus nodes, so shapes are independent
    units of work; a shape left out is simply not a shape (no type, no target) in that graph."""
    if n <= 1:
        return [sg]
    target_preds = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    shapes = sorted({s for p in target_preds for s in sg.subjects(p, None)}, key=str)
    out = []
    for k in range(n):
        drop = {s for i, s in enumerate(shapes) if i % n != k}
        g = Graph()
        for t in sg:
            if t[0] not in drop:
                g.add(t)
        out.append(g)
    return out


def _fork_pyshacl(dg: Graph | Callable[[], Graph], sg: Graph, sparql: tuple | None = None):  # noqa: ANN202
    """Run pyshacl on ``sg`` in a forked child and return a function that waits for the child and
    gives its report's triples. ``dg`` is the data graph (shared copy-on-write) or a function
    that builds it in the child, so that building it is done in parallel too. ``sparql``:
    (quads, SPARQL constraints) that the child also evaluates on pyoxigraph, which balances the
    work of the two processes."""
    import multiprocessing
    import pickle

    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)

    def child() -> None:
        import pyshacl

        try:
            graph = dg if isinstance(dg, Graph) else dg()
            _c, rep, _t = pyshacl.validate(graph, shacl_graph=sg, inference="none", advanced=False,
                                           inplace=True, allow_infos=True)
            if sparql is not None:
                quads, constraints = sparql
                store = ox.Store()
                store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
                run_sparql_constraints(store, constraints, rep)
            writer.send_bytes(pickle.dumps(("ok", list(rep)), protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException as exc:  # report any failure to the parent, which re-raises it
            writer.send_bytes(pickle.dumps(("error", repr(exc))))
        finally:
            writer.close()

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    writer.close()

    def wait() -> list:
        try:
            status, payload = pickle.loads(reader.recv_bytes())
        except EOFError:
            status, payload = "error", "the validation worker died"
        finally:
            reader.close()
            proc.join()
        if status != "ok":
            raise RuntimeError(f"pyshacl failed in a worker process: {payload}")
        return payload

    return wait


def _merge_report(report: Graph, triples: list) -> None:
    """Add another sh:ValidationReport's results to ``report``."""
    other = {s for s, p, o in triples if p == RDF.type and o == SH.ValidationReport}
    mine = next(report.subjects(RDF.type, SH.ValidationReport))
    any_result = False
    for s, p, o in triples:
        if s in other:
            if p == SH.result:
                report.add((mine, SH.result, o))
                any_result = True
            continue
        report.add((s, p, o))
    if any_result:
        report.set((mine, SH.conforms, Literal(False)))


def report_results(report: Graph, sg: Graph) -> list[ValidationResult]:
    """The results of an sh:ValidationReport graph, flattened and sorted."""
    out = []
    # Only the report's own results: nested sh:detail results (from sh:node) are not rules.
    for r in report.objects(None, SH.result):
        shape = report.value(r, SH.sourceShape)
        comp = report.value(r, SH.sourceConstraintComponent)
        path = report.value(r, SH.resultPath)
        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        out.append(ValidationResult(
            rule=rule_id(shape, sg, comp),
            severity=str(report.value(r, SH.resultSeverity)).removeprefix(str(SH)),
            focus_node=report.value(r, SH.focusNode),
            path=path_text(path, report if path is not None and (path, None, None) in report else sg)
            if path is not None else None,
            value=report.value(r, SH.value),
            message=" ".join(messages),
            component=str(comp).removeprefix(str(SH)) if comp is not None else "",
        ))
    return sorted(out, key=ValidationResult.key)


def _path_syntax(path: Node, g: Graph, leaf, fallback, grouped: bool) -> str:
    """Write a SHACL property path in SPARQL path syntax; one walker for both uses below."""

    def wrap(text: str) -> str:
        return f"({text})" if grouped else text

    if isinstance(path, URIRef):
        return leaf(path)
    if (path, RDF.first, None) in g:
        return wrap("/".join(_path_syntax(p, g, leaf, fallback, grouped) for p in Collection(g, path)))
    for pred, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = g.value(path, pred)
        if inner is not None:
            return wrap(fmt.format(_path_syntax(inner, g, leaf, fallback, grouped)))
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path_syntax(p, g, leaf, fallback, grouped) for p in Collection(g, alt)) + ")"
    return fallback(path)


def path_text(path: Node, g: Graph) -> str:
    """A SHACL property path written as a SPARQL property path (``twin:partner``, ``^p``, ``(a|b)``)."""
    return _path_syntax(path, g, term_text, term_text, grouped=False)


# --- the oxigraph engine for SHACL-SPARQL constraints ----------------------------------------


@dataclass
class SparqlConstraint:
    shape: Node
    node: Node  # the sh:SPARQLConstraint node
    select: str
    messages: list[Literal]
    severity: URIRef
    targets: list[tuple[URIRef, Node]]
    path: Node | None = None  # the shape's sh:path, for a property shape


def split_sparql_constraints(sg: Graph) -> tuple[Graph, list[SparqlConstraint]]:
    """The shapes without their SHACL-SPARQL constraints (for pyshacl), and those constraints."""
    core = Graph()
    for t in sg:
        core.add(t)
    found = []
    for shape, cnode in list(sg.subject_objects(SH.sparql)):
        core.remove((shape, SH.sparql, cnode))
        if str(sg.value(cnode, SH.deactivated, default=Literal(False))).lower() == "true":
            continue
        path = sg.value(shape, SH.path)
        targets = [
            (p, o)
            for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
            for o in sg.objects(shape, p)
        ]
        if not targets:
            raise ValueError(f"engine 'oxigraph' needs targets on the shape of a SPARQL constraint ({shape})")
        messages = list(sg.objects(cnode, SH.message)) or list(sg.objects(shape, SH.message))
        select = str(sg.value(cnode, SH.select))
        if path is not None:
            path_sparql = sparql_path(path, sg)
            select = re.sub(r"\$PATH\b", lambda _m, p=path_sparql: p, select)
        found.append(SparqlConstraint(
            shape=shape,
            node=cnode,
            path=path,
            select=_with_prefixes(sg, cnode, select),
            messages=messages,
            severity=sg.value(shape, SH.severity) or SH.Violation,
            targets=targets,
        ))
    return core, found


def sparql_path(path: Node, g: Graph) -> str:
    """A SHACL property path as SPARQL property path syntax with full IRIs (for ``$PATH``)."""

    def not_a_path(node: Node) -> str:
        raise ValueError(f"not a SHACL property path: {node}")

    return _path_syntax(path, g, lambda iri: f"<{iri}>", not_a_path, grouped=True)


def _with_prefixes(sg: Graph, cnode: Node, query: str) -> str:
    lines = []
    for pnode in sg.objects(cnode, SH.prefixes):
        for decl in sg.objects(pnode, SH.declare):
            lines.append(f"PREFIX {sg.value(decl, SH.prefix)}: <{sg.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines))) + "\n" + query


def _target_pattern(targets: list[tuple[URIRef, Node]]) -> str:
    parts = []
    for kind, o in targets:
        n = o.n3()
        if kind == SH.targetClass:
            parts.append(f"{{ ?this <{RDF.type}>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {n} }}")
        elif kind == SH.targetSubjectsOf:
            parts.append(f"{{ ?this {n} ?_t_o }}")
        elif kind == SH.targetObjectsOf:
            parts.append(f"{{ ?_t_s {n} ?this }}")
        else:
            parts.append(f"{{ VALUES ?this {{ {n} }} }}")
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _bulk_query(c: SparqlConstraint) -> str:
    """The constraint's SELECT with $this free and joined with all its focus nodes."""
    q = re.sub(r"\$this\b", "?this", c.select)
    m = re.search(r"\bSELECT\b[^{]*?\{", q, flags=re.IGNORECASE | re.DOTALL)
    if m is None:
        raise ValueError(f"cannot read the SELECT of the SPARQL constraint of {c.shape}")
    return q[: m.end()] + " " + _target_pattern(c.targets) + " " + q[m.end():]


def _from_ox(t) -> Node:  # noqa: ANN001
    return _Converter()(t)


def run_sparql_constraints(store: ox.Store, constraints: list[SparqlConstraint], report: Graph) -> None:
    """Evaluate the constraints on pyoxigraph and add their results to ``report`` exactly as
    pyshacl would have (same values, paths, messages and deduplication)."""
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    conv = _Converter()
    any_result = False
    for c in constraints:
        seen = set()
        res = store.query(_bulk_query(c))
        names = [v.value for v in res.variables]
        for row in res:
            bound = {n: conv(row[n]) for n in names if row[n] is not None}
            this = bound.pop("this", None)
            path = bound.pop("path", None)
            value = bound.pop("value", None)
            bound.pop("failure", None)
            key = (this, path, value, tuple(sorted(bound.items())))
            if key in seen or this is None:
                continue
            seen.add(key)
            row_path = path
            if path is None:
                path = c.path  # a property shape's results carry its path
            if value is None and c.path is None:
                value = this  # pyshacl: a node shape's result value defaults to the focus node
            r = BNode()
            report.add((report_node, SH.result, r))
            report.add((r, RDF.type, SH.ValidationResult))
            report.add((r, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            report.add((r, SH.sourceShape, c.shape))
            report.add((r, SH.resultSeverity, c.severity))
            report.add((r, SH.focusNode, this))
            if value is not None:
                report.add((r, SH.value, value))
            if path is not None:
                report.add((r, SH.resultPath, path))
            report.add((r, SH.sourceConstraint, c.node))
            subst = {"this": this, **({"value": value} if value is not None else {}),
                     **({"path": row_path} if row_path is not None else {}), **bound}
            for m in c.messages:
                text = str(m)
                for var, val in subst.items():
                    text = re.sub(f"{{[?$]{var}}}", str(val).replace("\\", "\\\\"), text)
                report.add((r, SH.resultMessage, Literal(text)))
            any_result = True
    if any_result:
        report.set((report_node, SH.conforms, Literal(False)))


# --- command line ---------------------------------------------------------------------------


def format_text(outcome: ValidationOutcome, *, examples: int = 3, sources: Sequence[str] = ()) -> str:
    """The human-readable report: a summary line, then one block per rule with a few examples."""
    sc = outcome.severity_counts
    verdict = "conforms" if outcome.conforms else "FAILS"
    what = f"{len(sources)} input(s), " if sources else ""
    lines = [
        f"{verdict} at level {outcome.fail_on}: {len(outcome.results)} result(s) "
        f"({sc['Violation']} violation, {sc['Warning']} warning, {sc['Info']} info) "
        f"in {what}{outcome.triples} triples"
    ]
    for rule, rs in outcome.by_rule().items():
        lines.append("")
        lines.append(f"{rs[0].severity.upper()} {rule}: {len(rs)} result(s)")
        lines.append(f"  fix: {rs[0].message}")
        for r in rs[:examples]:
            where = term_text(r.focus_node)
            if r.path:
                where += f"  {r.path}"
            if r.value is not None and r.value != r.focus_node:
                where += f"  {term_text(r.value)}"
            lines.append(f"  - {where}")
        if len(rs) > examples:
            lines.append(f"  ... and {len(rs) - examples} more")
    return "\n".join(lines) + "\n"


@click.command("validate")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--shapes", "shapes", multiple=True, type=click.Path(path_type=Path),
              help="Shapes file (repeatable); default: the bundled twinrdf shapes.")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text",
              show_default=True, help="text: by rule; turtle: the sh:ValidationReport; json: results.")
@click.option("--fail-on", type=click.Choice(list(LEVELS)), default="violation", show_default=True,
              help="Lowest severity that makes the data fail (exit code 1).")
@click.option("--engine", type=click.Choice(["pyshacl", "oxigraph"]), default="pyshacl", show_default=True,
              help="oxigraph: run the SHACL-SPARQL constraints on pyoxigraph (same report, faster).")
@click.option("--no-ontology", is_flag=True, help="Do not add the twin: vocabulary to the data.")
def validate_command(
    data: tuple[Path, ...], shapes: tuple[Path, ...], fmt: str, fail_on: str, engine: str, no_ontology: bool
) -> None:
    """Validate DATA (RDF files of any format, or an Oxigraph store directory) with SHACL.

    Exit code 0 when the data conforms at the --fail-on level, 1 when it does not, 2 when the
    data or shapes cannot be read."""
    try:
        outcome = validate(
            list(data), shapes=list(shapes) or None, fail_on=fail_on,  # type: ignore[arg-type]
            engine=engine, ontology=not no_ontology,  # type: ignore[arg-type]
        )
    except ValidationInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if fmt == "turtle":
        click.echo(outcome.report.serialize(format="turtle"))
    elif fmt == "json":
        click.echo(json.dumps(outcome.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_text(outcome, sources=[str(d) for d in data]), nl=False)
    sys.exit(0 if outcome.conforms else 1)
