"""The whole-response cache of /sparql (endpoint/cache.py), over real HTTP on a real store:
identical requests are replayed, anything that could change the answer is a different key,
updates invalidate, and what must not be cached never is."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.sample import BASE, TWIN, sample_store
from tests.support.server import running_server

RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
LABELS = f"SELECT ?c ?l WHERE {{ ?c a <{TWIN}City> ; {RDFS_LABEL} ?l }} ORDER BY ?c"
CACHE = "X-Twinrdf-Cache"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return sample_store(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def base(store):
    with running_server(store) as url:
        yield url


def get(base, query, headers=None, **params):
    return requests.get(
        base + "/sparql", params={"query": query, **params}, headers=headers or {}, timeout=30
    )


def test_a_repeated_query_is_replayed_byte_for_byte(base):
    q = LABELS + " LIMIT 7"
    first, second = get(base, q), get(base, q)
    assert first.status_code == second.status_code == 200
    assert first.headers[CACHE] == "miss" and second.headers[CACHE] == "hit"
    assert first.content == second.content
    assert len(first.json()["results"]["bindings"]) == 7
    for h in ("Content-Type", "ETag", "Vary", "X-Twinrdf-Truncated", "Access-Control-Allow-Origin"):
        assert first.headers[h] == second.headers[h]
    assert int(second.headers["Content-Length"]) == len(second.content)


def test_conditional_get_gives_304_with_the_etag(base):
    q = LABELS + " LIMIT 3"
    r = get(base, q)
    etag = r.headers["ETag"]
    again = get(base, q, headers={"If-None-Match": etag})  # served from the cache
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = get(base, q, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == r.content
    # a fresh request (not cached yet) is conditional too, through Flask
    fresh = get(base, LABELS + " LIMIT 2", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    fresh_etag = fresh.headers["ETag"]
    assert get(base, LABELS + " LIMIT 2", headers={"If-None-Match": fresh_etag}).status_code == 304


def test_formats_and_methods_are_separate_keys(base):
    q = LABELS + " LIMIT 4"
    as_json = get(base, q, headers={"Accept": "application/sparql-results+json"})
    as_csv = get(base, q, headers={"Accept": "text/csv"})
    as_csv2 = get(base, q, headers={"Accept": "text/csv"})
    assert as_json.headers["Content-Type"].startswith("application/sparql-results+json")
    assert as_csv.headers["Content-Type"].startswith("text/csv") and as_csv2.headers[CACHE] == "hit"
    assert as_csv.text.splitlines()[0].strip() == "c,l" and as_csv2.content == as_csv.content
    assert as_json.headers["ETag"] != as_csv.headers["ETag"]
    post = requests.post(
        base + "/sparql", data=q.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    post2 = requests.post(
        base + "/sparql", data=q.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert post.headers[CACHE] == "miss" and post2.headers[CACHE] == "hit"
    assert json.loads(post2.content) == as_json.json()
    other = requests.post(
        base + "/sparql",
        data=(q + " OFFSET 1").encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert other.headers[CACHE] == "miss"
    assert len(other.json()["results"]["bindings"]) == 4
    assert other.json()["results"]["bindings"][0] == as_json.json()["results"]["bindings"][1]
    form = requests.post(base + "/sparql", data={"query": q})
    assert form.status_code == 200 and form.json() == as_json.json()


def test_what_must_not_be_cached_is_not(base):
    for q in (
        "SELECT (NOW() AS ?t) WHERE {}",
        "SELECT (RAND() AS ?r) WHERE {}",
        "SELECT (STRUUID() AS ?u) WHERE {}",
    ):
        a, b = get(base, q), get(base, q)
        assert a.status_code == b.status_code == 200
        assert CACHE not in a.headers and CACHE not in b.headers
    rand = [
        get(base, "SELECT (RAND() AS ?r) WHERE {}").json()["results"]["bindings"][0]["r"]["value"]
        for _ in range(3)
    ]
    assert len(set(rand)) > 1
    for _ in range(2):  # errors are never kept
        bad = get(base, "SELEC ?x WHERE { ?x ?y ?z }")
        assert bad.status_code == 400 and CACHE not in bad.headers
    nope = get(base, LABELS, headers={"Accept": "image/png"})
    assert nope.status_code == 406 and CACHE not in nope.headers
    # the query UI (GET /sparql without a query) goes through untouched
    ui = requests.get(base + "/sparql", headers={"Accept": "text/html"})
    assert ui.status_code == 200 and CACHE not in ui.headers


def test_an_update_invalidates(tmp_path, monkeypatch):
    st = sample_store(tmp_path)
    monkeypatch.setenv("TWINRDF_UPDATE_TOKEN", "s3cret")
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{TWIN}twinnedWith> ?o }}"
    auth = {"Authorization": "Bearer s3cret"}
    with running_server(st, {"enable_updates": True}) as url:

        def n():
            r = get(url, count)
            return int(r.json()["results"]["bindings"][0]["n"]["value"]), r.headers.get(CACHE)

        assert n() == (18, "miss") and n() == (18, "hit")
        update = f"INSERT DATA {{ <{BASE}city9> <{TWIN}twinnedWith> <{BASE}city0> }}"
        r = requests.post(url + "/sparql", data={"update": update}, headers=auth)
        assert r.status_code == 200
        assert n() == (19, "miss") and n() == (19, "hit")
        r = requests.delete(url + "/rdf-graph-store", params={"default": ""}, headers=auth)
        assert r.status_code in (200, 204)
        assert n() == (0, "miss")


def test_the_cache_is_bounded_and_can_be_turned_off(tmp_path):
    st = sample_store(tmp_path)
    with running_server(st, {"response_cache_bytes": 20000}) as url:
        for i in range(40):
            assert get(url, LABELS + f" LIMIT {i + 1}").status_code == 200
        stats = requests.get(url + "/-/versions.json").json()["response_cache"]
        assert stats["max_bytes"] == 20000 and 0 < stats["bytes"] <= 20000
        assert 0 < stats["entries"] < 40
        assert get(url, LABELS + " LIMIT 40").headers[CACHE] == "hit"  # the newest stays
        assert get(url, LABELS + " LIMIT 1").headers[CACHE] == "miss"  # the oldest went
    with running_server(st, {"response_cache_bytes": 0}) as url:
        a, b = get(url, LABELS), get(url, LABELS)
        assert a.content == b.content and CACHE not in b.headers
        assert requests.get(url + "/-/versions.json").json()["response_cache"] is None
