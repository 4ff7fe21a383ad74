"""Runner for the W3C SPARQL 1.1 query-evaluation and syntax manifests, through the endpoint.

All data files of all tests are loaded once into one store, each into a named graph named by
the file's IRI. Each evaluation test then sends its query over HTTP with the SPARQL Protocol's
dataset parameters: ``default-graph-uri`` = the test's qt:data files (or an empty graph),
``named-graph-uri`` = its qt:graphData files; a query with its own FROM/FROM NAMED gets no
dataset parameters and its relative IRIs resolve against the query file (a ``BASE`` is put in
front of the query text). Results are compared with the expected ones: SELECT as multisets of
solutions (blank nodes compared as "some blank node"; in order when the query has ORDER BY),
ASK by value, CONSTRUCT/DESCRIBE by graph isomorphism (rdflib.compare). Syntax tests: a
positive one must be answered 200, a negative one 400.

``python -m tests.w3c_query`` prints the pass count and every failure with its reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.query import Result

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
EMPTY_GRAPH = "urn:twinrdf:w3c:empty"


@dataclass
class QueryTest:
    iri: str
    kind: str  # QueryEvaluationTest, PositiveSyntaxTest11, NegativeSyntaxTest11
    query: Path
    data: list[str]  # file IRIs for the default graph
    graph_data: list[str]  # file IRIs of named graphs
    result: Path | None

    @property
    def short(self) -> str:
        folder = self.query.parent.name
        return f"{folder}/{self.iri.rsplit('#', 1)[-1]}"


@dataclass
class QueryOutcome:
    test: QueryTest
    passed: bool
    reason: str = ""


def _path(iri: URIRef | str) -> Path:
    return Path(str(iri).removeprefix("file://"))


def read_manifests(top: Path) -> list[QueryTest]:
    """The tests of every manifest included by ``top``, in manifest order."""
    g0 = Graph().parse(top, format="turtle")
    m0 = next(g0.subjects(RDF.type, MF.Manifest))
    tests: list[QueryTest] = []
    for inc in Collection(g0, g0.value(m0, MF.include)):
        g = Graph().parse(_path(inc), format="turtle")
        m = next(g.subjects(RDF.type, MF.Manifest))
        for e in Collection(g, g.value(m, MF.entries)):
            kind = str(g.value(e, RDF.type)).rsplit("#", 1)[-1]
            action = g.value(e, MF.action)
            if isinstance(action, URIRef):  # syntax tests: the action is the query file
                tests.append(QueryTest(str(e), kind, _path(action), [], [], None))
                continue
            result = g.value(e, MF.result)
            tests.append(
                QueryTest(
                    str(e),
                    kind,
                    _path(g.value(action, QT.query)),
                    sorted(str(d) for d in g.objects(action, QT.data)),
                    sorted(str(d) for d in g.objects(action, QT.graphData)),
                    None if result is None else _path(result),
                )
            )
    return tests


def data_files(tests: list[QueryTest]) -> dict[str, Path]:
    """graph IRI -> file, for every data file any test uses."""
    out: dict[str, Path] = {}
    for t in tests:
        for iri in t.data + t.graph_data:
            out[iri] = _path(iri)
    return out


# --- result comparison -----------------------------------------------------------------------


def _key(term: object) -> tuple:
    if term is None:
        return ("unbound",)
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype and str(term.datatype) != XSD_STRING else ""
        if dt in NUMERIC:  # numbers compare by value: "2"^^xsd:decimal is "2.0"^^xsd:decimal
            try:
                return ("literal", str(_number(str(term), dt)), dt, "")
            except (ValueError, ArithmeticError):
                pass
        return ("literal", str(term), dt, (term.language or "").lower())
    return ("other", str(term))


XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float")}


def _number(lexical: str, dt: str) -> object:
    from decimal import Decimal

    if dt in (XSD + "double", XSD + "float"):
        return float(lexical)
    d = Decimal(lexical.strip())
    return d.normalize() if d else Decimal(0)


def _rows(variables: list[str], bindings: list[dict]) -> list[tuple]:
    return [tuple((v, _key(b.get(v))) for v in sorted(variables)) for b in bindings]


def _expected_solutions(path: Path) -> tuple[str, list[str], list[dict], bool | None]:
    """(type, variables, bindings, boolean) from .srx/.srj/.tsv/.csv or an rs:ResultSet graph."""
    suffix = path.suffix.lower()
    if suffix in (".srx", ".srj", ".tsv", ".csv"):
        fmt = {".srx": "xml", ".srj": "json", ".tsv": "tsv", ".csv": "csv"}[suffix]
        with open(path, "rb") as f:
            r = Result.parse(f, format=fmt)
        if r.type == "ASK":
            return "ASK", [], [], bool(r.askAnswer)
        variables = [str(v) for v in r.vars or []]
        return "SELECT", variables, [{str(k): v for k, v in b.items()} for b in r.bindings], None
    g = Graph().parse(path)
    rs = next(g.subjects(RDF.type, RS.ResultSet))
    boolean = g.value(rs, RS.boolean)
    if boolean is not None:
        return "ASK", [], [], bool(boolean.toPython())
    variables = [str(v) for v in g.objects(rs, RS.resultVariable)]
    solutions = []
    for sol in g.objects(rs, RS.solution):
        index = g.value(sol, RS.index)
        b = {str(g.value(x, RS.variable)): g.value(x, RS.value) for x in g.objects(sol, RS.binding)}
        solutions.append((int(index) if index is not None else 0, b))
    solutions.sort(key=lambda s: s[0])
    return "SELECT", variables, [b for _, b in solutions], None


def _is_graph_result(path: Path) -> bool:
    if path.suffix.lower() not in (".ttl", ".nt", ".rdf"):
        return False
    g = Graph().parse(path)
    return next(g.subjects(RDF.type, RS.ResultSet), None) is None


_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
_ORDER = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def run_test(test: QueryTest, base_url: str, session: requests.Session) -> QueryOutcome:
    try:
        text = test.query.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return QueryOutcome(test, False, f"cannot read query: {exc}")
    query = f"BASE <{test.query.absolute().as_uri()}>\n{text}"
    params: list[tuple[str, str]] = []
    if test.kind != "QueryEvaluationTest" or not _FROM.search(text):
        params += [("default-graph-uri", d) for d in (test.data or [EMPTY_GRAPH])]
        params += [("named-graph-uri", g) for g in test.graph_data]
    graph_result = test.result is not None and _is_graph_result(test.result)
    if test.kind != "QueryEvaluationTest":
        accept = "*/*"  # syntax tests: any result form is fine
    else:
        accept = "application/n-triples" if graph_result else "application/sparql-results+json"
    try:
        resp = session.post(
            base_url + "/sparql",
            params=params,
            data=query.encode("utf-8"),
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
            timeout=30,
        )
    except requests.RequestException as exc:
        return QueryOutcome(test, False, f"request failed: {exc}")
    if test.kind == "PositiveSyntaxTest11":
        ok = resp.status_code == 200
        return QueryOutcome(test, ok, "" if ok else f"status {resp.status_code}: {resp.text[:160].strip()}")
    if test.kind == "NegativeSyntaxTest11":
        ok = resp.status_code == 400
        return QueryOutcome(test, ok, "" if ok else f"accepted an invalid query (status {resp.status_code})")
    if resp.status_code != 200:
        return QueryOutcome(test, False, f"status {resp.status_code}: {resp.text[:160].strip()}")
    assert test.result is not None
    try:
        if graph_result:
            actual = Graph().parse(data=resp.text, format="nt")
            expected = Graph().parse(test.result)
            if isomorphic(actual, expected):
                return QueryOutcome(test, True)
            return QueryOutcome(
                test, False, f"graph differs: {len(actual)} triples, expected {len(expected)}"
            )
        kind, variables, bindings, boolean = _expected_solutions(test.result)
        got = Result.parse(source=_BytesSource(resp.content), format="json")
    except Exception as exc:  # a result that cannot be read is a failure with a reason
        return QueryOutcome(test, False, f"cannot compare results: {type(exc).__name__}: {exc}")
    if kind == "ASK":
        if got.type != "ASK":
            return QueryOutcome(test, False, "expected a boolean result")
        ok = bool(got.askAnswer) == boolean
        return QueryOutcome(test, ok, "" if ok else f"expected {boolean}, got {got.askAnswer}")
    got_vars = [str(v) for v in got.vars or []]
    got_rows = _rows(variables, [{str(k): v for k, v in b.items()} for b in got.bindings])
    exp_rows = _rows(variables, bindings)
    if set(got_vars) != set(variables):
        return QueryOutcome(test, False, f"variables {sorted(got_vars)}, expected {sorted(variables)}")
    if Counter(got_rows) != Counter(exp_rows):
        missing = Counter(exp_rows) - Counter(got_rows)
        extra = Counter(got_rows) - Counter(exp_rows)
        return QueryOutcome(
            test,
            False,
            f"{len(got_rows)} rows, expected {len(exp_rows)}; "
            f"missing {list(missing)[:2]}, extra {list(extra)[:2]}",
        )
    if _ORDER.search(text) and got_rows != exp_rows:
        return QueryOutcome(test, False, "same rows in a different order (query has ORDER BY)")
    return QueryOutcome(test, True)


class _BytesSource:
    """rdflib's result parsers read from a file object."""

    def __init__(self, data: bytes):
        import io

        self._f = io.BytesIO(data)

    def read(self, *args: int) -> bytes:
        return self._f.read(*args)


def run_all(tests: list[QueryTest], base_url: str) -> list[QueryOutcome]:
    with requests.Session() as s:
        return [run_test(t, base_url, s) for t in tests]


def summary(outcomes: list[QueryOutcome]) -> str:
    lines = [f"{sum(o.passed for o in outcomes)}/{len(outcomes)} passed"]
    lines += [f"FAIL {o.test.short}: {o.reason}" for o in outcomes if not o.passed]
    return "\n".join(lines)


def build_store(tests: list[QueryTest], path: Path) -> list[tuple[str, str]]:
    """Load every data file into its named graph; returns files that failed to load."""
    from twinrdf.store import OxigraphStore, StoreError

    store = OxigraphStore(path)
    failed = []
    for iri, file in sorted(data_files(tests).items()):
        try:
            store.load_file(file, graph=iri)
        except StoreError as exc:
            failed.append((iri, str(exc)))
    store.close()
    return failed


if __name__ == "__main__":  # pragma: no cover - manual run
    import tempfile

    from tests.support.paths import W3C
    from tests.support.server import running_server

    all_tests = read_manifests(W3C / "manifest-sparql11-query.ttl")
    with tempfile.TemporaryDirectory() as tmp:
        failed_loads = build_store(all_tests, Path(tmp) / "store")
        print("data files that failed to load:", failed_loads)
        with running_server(Path(tmp) / "store", {"max_result_rows": 0}) as base:
            print(summary(run_all(all_tests, base)))
