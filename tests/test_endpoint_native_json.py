"""SELECT results (JSON, XML, CSV, TSV) written by pyoxigraph's own serializer when the row
limit provably cannot be reached, and by the row writer (with truncation) otherwise."""

from __future__ import annotations

import pyoxigraph as ox
import requests
from twinrdf.endpoint.executor import NATIVE_CAP, _native_json

from tests.support.server import make_store, running_server

UNBOUND_ROWS = "SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF UNDEF UNDEF UNDEF UNDEF } }"
NAMES = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"


def _store(tmp_path, n=8):
    lines = [f'<http://example.org/s{i}> <http://example.org/p> "name {i}"@en .' for i in range(n)]
    (tmp_path / "d.nt").write_text("\n".join(lines) + "\n")
    return make_store(tmp_path / "store", [tmp_path / "d.nt"])


def test_native_json_bytes_and_cap():
    s = ox.Store()
    ex = "http://example.org/"
    s.add(ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("x")))
    q = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    assert _native_json(s.query(q), 100) == s.query(q).serialize(format=ox.QueryResultsFormat.JSON)
    # six empty solutions: more than 2 * max_rows bytes once max_rows is 5, so no proof -> None
    assert _native_json(s.query(UNBOUND_ROWS), 5) is None
    assert _native_json(s.query(UNBOUND_ROWS), 100) is not None
    big = "SELECT ?i WHERE { VALUES ?i { " + " ".join(str(i) for i in range(NATIVE_CAP // 10)) + " } }"
    assert _native_json(s.query(big), 0) is None  # past one message: streamed by the row writer


def test_row_limit_with_empty_rows_over_http(tmp_path):
    st = _store(tmp_path)
    with running_server(st, {"max_result_rows": 5}) as url:
        r = requests.get(url + "/sparql", params={"query": UNBOUND_ROWS}, timeout=30)
        assert r.status_code == 200
        assert r.headers["X-Twinrdf-Truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 5
        r = requests.get(url + "/sparql", params={"query": NAMES}, timeout=30)
        assert r.headers["X-Twinrdf-Truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 5
    with running_server(st, {"max_result_rows": 1000}) as url:  # 8 rows: ~900 bytes < 2000
        r = requests.get(url + "/sparql", params={"query": NAMES}, timeout=30)
        assert r.headers["X-Twinrdf-Truncated"] == "false"
        assert r.headers["Content-Type"].startswith("application/sparql-results+json")
        rows = r.json()["results"]["bindings"]
        assert len(rows) == 8
        assert rows[0]["o"] == {"type": "literal", "value": "name 0", "xml:lang": "en"}
        # the small result is pyoxigraph's own serialization, byte for byte
        local = ox.Store.read_only(str(st))
        assert r.content == local.query(NAMES).serialize(format=ox.QueryResultsFormat.JSON)


FORMATS = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


def _count(data: bytes, fmt: ox.QueryResultsFormat) -> int:
    if fmt == ox.QueryResultsFormat.CSV:  # pyoxigraph does not parse CSV results (lossy)
        return len(data.decode().split("\r\n")) - 2  # header line, final empty piece
    return len(list(ox.parse_query_results(data, fmt)))


def test_other_result_formats_native_and_truncated(tmp_path):
    st = _store(tmp_path)
    local = ox.Store.read_only(str(st))
    with running_server(st, {"max_result_rows": 5}) as url:
        for accept, fmt in FORMATS.items():
            r = requests.get(
                url + "/sparql", params={"query": UNBOUND_ROWS}, headers={"Accept": accept}, timeout=30
            )
            assert r.headers["X-Twinrdf-Truncated"] == "true", accept
            assert _count(r.content, fmt) == 5
    with running_server(st, {"max_result_rows": 1000}) as url:
        for accept, fmt in FORMATS.items():
            r = requests.get(url + "/sparql", params={"query": NAMES}, headers={"Accept": accept}, timeout=30)
            assert r.headers["X-Twinrdf-Truncated"] == "false"
            assert r.headers["Content-Type"].startswith(accept)
            assert r.content == local.query(NAMES).serialize(format=fmt)  # pyoxigraph's bytes
            assert _count(r.content, fmt) == 8
