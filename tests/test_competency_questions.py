"""The competency questions (examples/queries) answer exactly what the seed dataset says.

Each question runs on the committed examples/seed/seed.ttl in pyoxigraph (the engine of the store
and the endpoint) and, as a portability check, in rdflib's own SPARQL engine; both answers must
equal the expected CSV, row by row in the query's ORDER BY order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from tests.support.seed import (
    EXAMPLES_NS,
    PREFIXES_TTL,
    QUERIES_DIR,
    SCHEMA,
    SEED_TTL,
    SH,
    csv_rows,
    executables,
    expected_file,
    query_files,
    query_text,
)

QUERY_FILES = query_files()
IDS = [p.stem for p in QUERY_FILES]
PREFIX_RE = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I | re.M)


@pytest.fixture(scope="module")
def seed_store() -> ox.Store:
    store = ox.Store()  # in memory: the dataset is small and read-only here
    store.load(path=str(SEED_TTL), format=ox.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def seed_graph() -> Graph:
    return Graph().parse(SEED_TTL, format="turtle")


@pytest.fixture(scope="module")
def declared_prefixes() -> dict[str, str]:
    g = Graph().parse(PREFIXES_TTL, format="turtle")
    out: dict[str, str] = {}
    for decl in g.objects(None, SH.declare):
        prefix = str(g.value(decl, SH.prefix))
        assert prefix not in out, f"prefix {prefix} declared twice in prefixes.ttl"
        out[prefix] = str(g.value(decl, SH.namespace))
    return out


def test_there_are_at_least_twelve_questions():
    assert len(QUERY_FILES) >= 12


def test_every_question_has_an_expected_answer_and_every_answer_a_question():
    queries = {p.stem for p in QUERY_FILES}
    answers = {p.name.removesuffix(".expected.csv") for p in QUERIES_DIR.glob("*.expected.csv")}
    assert queries - answers == set(), "questions without an expected answer"
    assert answers - queries == set(), "expected answers without a question"


def test_question_numbers_are_unique():
    numbers = [p.name[:3] for p in QUERY_FILES]
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize("path", QUERY_FILES, ids=IDS)
def test_file_is_one_described_sparql_example(path: Path):
    g = Graph().parse(path, format="turtle")
    (ex,) = executables(g)
    assert ex == URIRef(EXAMPLES_NS + path.name[:3])
    assert (ex, RDF.type, SH.SPARQLSelectExecutable) in g
    texts = [o for p in (SH.select, SH.ask, SH.construct, SH.describe) for o in g.objects(ex, p)]
    assert len(texts) == 1 and isinstance(texts[0], Literal)
    comments = list(g.objects(ex, RDFS.comment))
    assert len(comments) == 1 and comments[0].language == "en" and len(str(comments[0])) > 20
    assert len(list(g.objects(ex, SH.prefixes))) == 1
    assert isinstance(g.value(ex, SCHEMA.target), URIRef)


@pytest.mark.parametrize("path", QUERY_FILES, ids=IDS)
def test_query_declares_its_prefixes_as_prefixes_ttl_does(path: Path, declared_prefixes: dict[str, str]):
    text = query_text(path)
    ox.Store().query(text)  # parses with no prefixes known: every prefix used is declared in the query
    declared = dict(PREFIX_RE.findall(text))
    assert declared, "the query declares its prefixes"
    for prefix, ns in declared.items():
        assert declared_prefixes.get(prefix) == ns, f"PREFIX {prefix}: <{ns}> differs from prefixes.ttl"


@pytest.mark.parametrize("path", QUERY_FILES, ids=IDS)
def test_answer_on_the_seed_dataset(path: Path, seed_store: ox.Store):
    got = seed_store.query(query_text(path)).serialize(format=ox.QueryResultsFormat.CSV)
    expected = csv_rows(expected_file(path).read_bytes())
    assert len(expected) > 1, "an expected answer has at least one row"
    assert csv_rows(got) == expected


def _rdflib_cell(term: object) -> str:
    return "" if term is None else str(term)


@pytest.mark.parametrize("path", QUERY_FILES, ids=IDS)
def test_answer_is_the_same_in_another_sparql_engine(path: Path, seed_graph: Graph):
    result = seed_graph.query(query_text(path))
    rows = [[str(v) for v in result.vars]]
    rows += [[_rdflib_cell(row[v]) for v in result.vars] for row in result]
    assert rows == csv_rows(expected_file(path).read_bytes())


def test_query_files_conform_to_the_query_shapes():
    from twinrdf.resources import as_path, shapes_file
    from twinrdf.validate import validate

    outcome = validate([str(p) for p in QUERY_FILES], shapes=str(as_path(shapes_file("query-shapes.ttl"))),
                       ontology=False)
    assert outcome.triples >= 8 * len(QUERY_FILES)  # the files were read
    assert outcome.conforms, [r.as_dict() for r in outcome.results]
