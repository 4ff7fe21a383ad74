"""/sparql over real HTTP: content negotiation, errors, limits, CORS, streaming, updates with a
bearer token, the Graph Store Protocol, health and versions."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
import requests

from tests.support.sample import BASE, GRAPH, TWIN, sample_store
from tests.support.server import running_server

SELECT_ALL_CITIES = (
    f"SELECT ?c ?l WHERE {{ ?c a <{TWIN}City> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
)
CONSTRUCT = f"CONSTRUCT {{ ?a <{TWIN}partner> ?c }} WHERE {{ ?a <{TWIN}partner> ?c }}"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return sample_store(tmp_path_factory.mktemp("protocol"))


@pytest.fixture(scope="module")
def base(store):
    with running_server(store, {"max_result_rows": 50, "max_query_bytes": 4000}) as url:
        yield url


def get(base, query, **kw):
    headers = kw.pop("headers", {})
    return requests.get(base + "/sparql", params={"query": query, **kw}, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
        ("text/html, text/csv;q=0.8", "text/csv"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_format_by_accept_with_q_values(base, accept, expected):
    r = get(base, SELECT_ALL_CITIES, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200
    ctype = r.headers["Content-Type"].split(";")[0]
    fmt = ox.QueryResultsFormat.from_media_type(expected)
    assert ctype == (expected if accept != "application/json" else "application/sparql-results+json")
    if fmt == ox.QueryResultsFormat.CSV:  # lossy, not parseable back: count the lines
        assert r.text.splitlines()[0] == "c,l"
        assert len(r.text.strip().splitlines()) == 11
    else:
        rows = list(ox.parse_query_results(r.content, fmt))
        assert len(rows) == 10
    assert r.headers["X-Twinrdf-Truncated"] == "false"
    assert "Accept" in r.headers["Vary"]


def test_format_parameter_overrides_accept(base):
    r = get(base, SELECT_ALL_CITIES, format="csv", headers={"Accept": "application/sparql-results+xml"})
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.text.splitlines()[0] == "c,l"
    assert len(r.text.strip().splitlines()) == 11


@pytest.mark.parametrize(
    "media_type",
    [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
        "application/trig",
        "application/n-quads",
    ],
)
def test_construct_in_every_rdf_format(base, media_type):
    r = get(base, CONSTRUCT, headers={"Accept": media_type})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == media_type
    triples = {
        (q.subject, q.predicate, q.object)
        for q in ox.parse(r.content, ox.RdfFormat.from_media_type(media_type))
    }
    assert len(triples) == 18


def test_describe_and_ask(base):
    r = get(base, f"DESCRIBE <{BASE}agreement3>", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert len(list(ox.parse(r.content, ox.RdfFormat.N_TRIPLES))) == 4
    r = get(
        base,
        f"ASK {{ <{BASE}city1> <{TWIN}twinnedWith> <{BASE}city2> }}",
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert bool(ox.parse_query_results(r.content, ox.QueryResultsFormat.XML)) is True


def test_406_when_nothing_acceptable(base):
    r = get(base, SELECT_ALL_CITIES, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text
    assert get(base, CONSTRUCT, headers={"Accept": "text/csv"}).status_code == 406
    assert get(base, SELECT_ALL_CITIES, format="turtle").status_code == 406


def test_malformed_query_is_400_with_a_readable_message(base):
    r = get(base, "SELECT ?x WHERE { ?x ?p }")
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "malformed query" in r.text and "1:" in r.text
    r = requests.post(
        base + "/sparql", data=b"SELECT * WHERE {", headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 400


def test_methods_and_media_types(base):
    r = requests.put(base + "/sparql", params={"query": "ASK {}"})
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    r = requests.post(base + "/sparql", data=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = requests.post(base + "/sparql", data={"query": "ASK {}"})  # form POST
    assert r.status_code == 200
    r = requests.post(base + "/sparql", data={"format": "json"})
    assert r.status_code == 400 and "missing query" in r.text
    r = requests.get(base + "/sparql", params={"query": ["ASK {}", "ASK {}"]})
    assert r.status_code == 400 and "more than one query" in r.text
    r = requests.get(base + "/sparql", params={"update": "CLEAR ALL"})
    assert r.status_code == 405


def test_query_size_limit_is_413(base):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    assert (
        requests.post(
            base + "/sparql", data=big.encode(), headers={"Content-Type": "application/sparql-query"}
        ).status_code
        == 413
    )
    assert get(base, big).status_code == 413
    assert requests.post(base + "/sparql", data={"query": big}).status_code == 413


def test_row_limit_truncates_and_says_so(store):
    with running_server(store, {"max_result_rows": 5}) as url:
        r = get(url, SELECT_ALL_CITIES)
        assert r.headers["X-Twinrdf-Truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 5
        r = get(url, SELECT_ALL_CITIES + " LIMIT 5")
        assert r.headers["X-Twinrdf-Truncated"] == "false"
        assert len(r.json()["results"]["bindings"]) == 5
        r = get(url, CONSTRUCT, headers={"Accept": "application/n-triples"})
        assert r.headers["X-Twinrdf-Truncated"] == "true"
        assert len(r.text.strip().splitlines()) == 5


def test_dataset_parameters(base):
    q = f"ASK {{ <{BASE}city0> <http://www.w3.org/2000/01/rdf-schema#comment> ?c }}"
    assert get(base, q).json()["boolean"] is False
    assert get(base, q, **{"default-graph-uri": GRAPH}).json()["boolean"] is True
    q2 = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert {b["g"]["value"] for b in get(base, q2).json()["results"]["bindings"]} == {GRAPH}
    assert (
        get(base, q2, **{"named-graph-uri": "https://example.org/graph/none"}).json()["results"]["bindings"]
        == []
    )


def test_large_results_are_streamed_in_chunks(tmp_path):
    lines = [f'<{BASE}s{i}> <{TWIN}p> "{"v" * 50}{i}" .' for i in range(5000)]
    (tmp_path / "big.nt").write_text("\n".join(lines) + "\n")
    from tests.support.server import make_store

    st = make_store(tmp_path / "store", [tmp_path / "big.nt"])
    with running_server(st, {"max_result_rows": 0}) as url:
        r = requests.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, stream=True)
        assert r.status_code == 200
        assert "Content-Length" not in r.headers  # not built as one string first
        chunks = list(r.iter_content(chunk_size=None))
        assert len(chunks) > 3
        data = json.load(io.BytesIO(b"".join(chunks)))
        assert len(data["results"]["bindings"]) == 5000


def test_cors(base):
    r = get(base, "ASK {}", headers={"Origin": "https://portal.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    r = requests.options(
        base + "/sparql",
        headers={
            "Origin": "https://portal.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()


def test_health_and_versions(base):
    assert requests.get(base + "/-/health").json()["status"] == "ok"
    v = requests.get(base + "/-/versions.json").json()
    import twinrdf

    assert v["package"]["version"] == twinrdf.__version__
    from rdflib import OWL, Graph, URIRef

    from twinrdf.resources import VOCAB_IRI, as_path, ontology_file

    onto = Graph().parse(as_path(ontology_file()))
    assert v["vocabulary"]["versionInfo"] == str(onto.value(URIRef(VOCAB_IRI), OWL.versionInfo))
    assert v["data"]["triples"] == 85
    assert v["data"]["hash"].startswith("sha256:")


def test_updates_are_off_by_default(base, monkeypatch):
    r = requests.post(base + "/sparql", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 403
    r = requests.put(
        base + "/rdf-graph-store?graph=https://example.org/g",
        data=b"<a:b> <a:c> <a:d> .",
        headers={"Content-Type": "application/n-triples"},
    )
    assert r.status_code == 403
    assert get(base, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_updates_need_the_bearer_token(tmp_path, monkeypatch):
    st = sample_store(tmp_path)
    monkeypatch.setenv("TWINRDF_UPDATE_TOKEN", "s3cret")
    update = f"INSERT DATA {{ <{BASE}city9> <{TWIN}twinnedWith> <{BASE}city0> }}"
    ask = f"ASK {{ <{BASE}city9> <{TWIN}twinnedWith> <{BASE}city0> }}"
    with running_server(st, {"enable_updates": True}) as url:
        r = requests.post(url + "/sparql", data={"update": update})
        assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
        r = requests.post(url + "/sparql", data={"update": update}, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403
        assert get(url, ask).json()["boolean"] is False
        r = requests.post(
            url + "/sparql",
            data=update.encode(),
            headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer s3cret"},
        )
        assert r.status_code == 200
        assert get(url, ask).json()["boolean"] is True
        r = requests.post(
            url + "/sparql", data={"update": "INSERT DATA { oops"}, headers={"Authorization": "Bearer s3cret"}
        )
        assert r.status_code == 400
        # Graph Store Protocol
        g = "https://example.org/graph/new"
        auth = {"Authorization": "Bearer s3cret"}
        r = requests.put(
            url + "/rdf-graph-store",
            params={"graph": g},
            data=f'<{BASE}x> <{TWIN}p> "1" .'.encode(),
            headers={"Content-Type": "application/n-triples", **auth},
        )
        assert r.status_code == 201
        r = requests.get(
            url + "/rdf-graph-store", params={"graph": g}, headers={"Accept": "application/n-triples"}
        )
        assert r.status_code == 200 and '"1"' in r.text
        r = requests.post(
            url + "/rdf-graph-store",
            params={"graph": g},
            data=b"not rdf",
            headers={"Content-Type": "text/turtle", **auth},
        )
        assert r.status_code == 400
        r = requests.put(
            url + "/rdf-graph-store",
            params={"graph": g},
            data=b"x",
            headers={"Content-Type": "text/csv", **auth},
        )
        assert r.status_code == 415
        r = requests.delete(url + "/rdf-graph-store", params={"graph": g})
        assert r.status_code == 401
        assert requests.delete(url + "/rdf-graph-store", params={"graph": g}, headers=auth).status_code == 204
        assert requests.get(url + "/rdf-graph-store", params={"graph": g}).status_code == 404


def test_head_and_abandoned_streams_do_not_leak_query_workers(store):
    with running_server(store, {"query_workers": 1, "queue_timeout": 5.0, "max_result_rows": 0}) as url:
        for _ in range(2):
            assert requests.head(url + "/sparql", params={"query": SELECT_ALL_CITIES}).status_code == 200
            r = requests.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, stream=True)
            r.raw.read(10)
            r.close()  # the client goes away mid-stream
        r = get(url, SELECT_ALL_CITIES)
        assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 10
