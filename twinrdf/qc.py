"""Ontology quality checks: every ``ontology/qc/*-violation.rq`` query must return no rows.

The queries run (on an in-memory Oxigraph store) over a dataset whose default graph is the
ontology (``twin.ttl``) and whose named graph ``<urn:twinrdf:qc:usage>`` records where twin:
terms are used: in the ontology itself, the alignments, the shapes, the examples and the rules.
Adding a check is adding a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, parse

from twinrdf.resources import VOCAB_NS, as_path, examples_dir, ontology_file, shapes_file

USAGE_GRAPH = NamedNode("urn:twinrdf:qc:usage")
FOUND_IN = NamedNode("urn:twinrdf:qc:foundIn")
_SH = "http://www.w3.org/ns/shacl#"
_SPARQL_TEXT = {_SH + "select", _SH + "ask", _SH + "construct", _SH + "update"}
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z_]"
_QUERY_TERM = re.compile(rf"(?<![\w:-])twin:({_NAME})|<{re.escape(VOCAB_NS)}({_NAME})>")


@dataclass(frozen=True)
class Violation:
    check: str  # the query file's name without "-violation.rq"
    row: dict[str, str]

    def __str__(self) -> str:
        return f"{self.check}: " + ", ".join(f"{k}={v}" for k, v in self.row.items())


def check_files() -> list[Path]:
    """The QC queries, sorted by name."""
    return sorted(as_path(ontology_file("qc")).glob("*-violation.rq"))


def usage_files() -> list[Path]:
    """The files whose use of twin: terms is checked (those that exist in this installation)."""
    ontology = as_path(ontology_file("twin.ttl")).parent
    files = [ontology / "twin.ttl", ontology / "alignments.ttl"]
    files += sorted((ontology / "examples").glob("*.ttl")) + sorted((ontology / "rules").glob("*.rq"))
    files += sorted(as_path(shapes_file()).parent.glob("*.ttl"))
    examples = as_path(examples_dir())
    files += sorted(p for p in examples.rglob("*") if p.suffix in {".ttl", ".rq"} and p.is_file())
    return [f for f in files if f.is_file()]


def terms_in_query(text: str) -> set[str]:
    """The twin: local names that a SPARQL query text mentions (prefixed or as full IRIs)."""
    return {a or b for a, b in _QUERY_TERM.findall(text)}


def terms_in_turtle(path: Path) -> set[str]:
    """The twin: local names of the IRIs in a Turtle file, and in the SPARQL of its SHACL shapes."""
    names = set()
    for triple in parse(path=path, format=RdfFormat.TURTLE):
        for node in (triple.subject, triple.predicate, triple.object):
            if isinstance(node, NamedNode) and node.value.startswith(VOCAB_NS):
                names.add(node.value[len(VOCAB_NS):])
        if triple.predicate.value in _SPARQL_TEXT and isinstance(triple.object, Literal):
            names |= terms_in_query(triple.object.value)
    return names


def _display(path: Path) -> str:
    root = as_path(ontology_file("twin.ttl")).parent.parent
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def qc_store(extra_usage: list[Path] | None = None, ontology: str | None = None) -> Store:
    """The dataset the checks run on: the ontology (or the given Turtle text) as the default
    graph, and the usage graph built from :func:`usage_files` plus ``extra_usage``."""
    store = Store()
    text = ontology if ontology is not None else ontology_file("twin.ttl").read_text(encoding="utf-8")
    store.load(text, format=RdfFormat.TURTLE, to_graph=DefaultGraph())
    for path in [*usage_files(), *(extra_usage or [])]:
        if path.suffix == ".rq":
            names = terms_in_query(path.read_text(encoding="utf-8"))
        else:
            names = terms_in_turtle(path)
        where = Literal(_display(path))
        store.extend(Quad(NamedNode(VOCAB_NS + n), FOUND_IN, where, USAGE_GRAPH) for n in sorted(names))
    return store


def run_check(path: Path, store: Store) -> list[Violation]:
    """The rows (violations) that one QC query returns."""
    check = path.name.removesuffix("-violation.rq")
    solutions = store.query(path.read_text(encoding="utf-8"))
    names = [v.value for v in solutions.variables]
    return [
        Violation(check, {n: row[n].value for n in names if row[n] is not None})
        for row in solutions
    ]


def run_qc(extra_usage: list[Path] | None = None) -> list[Violation]:
    """Every violation that every QC query finds (empty when the ontology is clean)."""
    store = qc_store(extra_usage)
    return [v for path in check_files() for v in run_check(path, store)]
