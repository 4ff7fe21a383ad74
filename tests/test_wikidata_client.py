"""The WDQS client against a fault-injecting server on 127.0.0.1: requests, waits, errors, cache."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from tests.support.faults import Reply, fault_server, results, uri
from twinrdf.wikidata.client import (
    CacheMiss,
    HtmlErrorPage,
    HTTPStatusError,
    QueryCache,
    QueryTimeout,
    TooManyRetries,
    TruncatedResponse,
    UserAgentRejected,
    UserAgentRequired,
    WikidataClient,
    parse_results,
)

OK = results(["item"], [{"item": uri("http://www.wikidata.org/entity/Q2112")}])
TEMPLATE = "PREFIX wd: <http://www.wikidata.org/entity/>\nSELECT ?item WHERE { {values} }"
UA_TEXT = ("Please set a user-agent and respect our robot policy "
           "https://meta.wikimedia.org/wiki/User-Agent_policy")


def nvals(seen) -> int:
    return seen.query.split("VALUES", 1)[1].count("<http://www.wikidata.org/entity/")


def client(url: str, waits: list[float], **kw) -> WikidataClient:
    return WikidataClient(url, sleep=waits.append, user_agent="twinrdf-tests/1 (test@example.org)", **kw)


def test_public_service_refused_without_contact_user_agent():
    with pytest.raises(UserAgentRequired, match="User-Agent with contact"):
        WikidataClient()
    with pytest.raises(UserAgentRequired):
        WikidataClient(user_agent="python-requests/2.32")
    WikidataClient(user_agent="portal/1.0 (https://example.org; me@example.org)")  # accepted, no request


def test_post_user_agent_and_values_batches():
    waits: list[float] = []
    with fault_server([Reply(body=OK)]) as srv:
        c = client(srv.url, waits, batch_size=2)
        rows = c.select_values(TEMPLATE, "item", ["Q1", "Q2", "Q3", "Q4", "Q5"])
    assert len(srv.seen) == 3
    assert all(s.method == "POST" for s in srv.seen)
    assert srv.seen[0].headers["User-Agent"] == "twinrdf-tests/1 (test@example.org)"
    assert "VALUES ?item { wd:Q1 wd:Q2 }".replace("wd:", "") not in srv.seen[0].query  # full IRIs
    assert "<http://www.wikidata.org/entity/Q1> <http://www.wikidata.org/entity/Q2> }" in srv.seen[0].query
    assert "<http://www.wikidata.org/entity/Q5> }" in srv.seen[2].query
    assert rows[0]["item"] == URIRef("http://www.wikidata.org/entity/Q2112") and len(rows) == 3
    assert waits == []


@pytest.mark.parametrize("headers, expected", [({"Retry-After": "7"}, 7.0), ({}, 60.0)])
def test_429_waits_retry_after(headers, expected):
    waits: list[float] = []
    with fault_server([Reply(429, "slow down", headers, content_type="text/plain"), Reply(body=OK)]) as srv:
        rows = client(srv.url, waits).select(TEMPLATE.replace("{values}", ""))
    assert len(srv.seen) == 2 and waits == [expected] and len(rows) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_exponential_backoff(status):
    waits: list[float] = []
    replies = [Reply(status, "oops", content_type="text/plain")] * 3 + [Reply(body=OK)]
    with fault_server(replies) as srv:
        rows = client(srv.url, waits, backoff=2.0).select("SELECT * WHERE {}")
    assert len(srv.seen) == 4 and waits == [2.0, 4.0, 8.0] and len(rows) == 1


def test_5xx_gives_up_after_max_attempts():
    waits: list[float] = []
    with fault_server([Reply(503, "down", content_type="text/plain")]) as srv:
        with pytest.raises(TooManyRetries, match="gave up after 3 attempts: HTTP 503"):
            client(srv.url, waits, max_attempts=3).select("SELECT * WHERE {}")
    assert len(srv.seen) == 3 and waits == [1.0, 2.0]


def test_connection_error_backs_off():
    waits: list[float] = []
    with fault_server([Reply(body=OK)]) as srv:
        url = srv.url
    # the server is stopped: connection refused on every attempt
    with pytest.raises(TooManyRetries, match="connection error"):
        client(url, waits, max_attempts=3).select("SELECT * WHERE {}")
    assert waits == [1.0, 2.0]


def test_other_4xx_never_retried():
    waits: list[float] = []
    with fault_server([Reply(400, "Parse error: bad query", content_type="text/plain")]) as srv:
        with pytest.raises(HTTPStatusError, match="HTTP 400 .*Parse error") as info:
            client(srv.url, waits).select("SELECT nonsense")
    assert info.value.status == 400 and len(srv.seen) == 1 and waits == []


@pytest.mark.parametrize("status, ctype", [(403, "text/plain"), (200, "text/plain; charset=utf-8")])
def test_user_agent_message(status, ctype):
    waits: list[float] = []
    with fault_server([Reply(status, UA_TEXT, content_type=ctype)]) as srv:
        with pytest.raises(UserAgentRejected, match=r"rejected the User-Agent .* Please set a user-agent"):
            client(srv.url, waits).select("SELECT * WHERE {}")
    assert len(srv.seen) == 1


def test_html_error_page():
    page = ("<!DOCTYPE html><html><head><title>Wikimedia Error</title></head>"
            "<body>Our servers...</body></html>")
    with fault_server([Reply(200, page, content_type="text/html")]) as srv:
        with pytest.raises(HtmlErrorPage, match="HTML page .*Wikimedia Error"):
            client(srv.url, []).select("SELECT * WHERE {}")
    assert len(srv.seen) == 1


CUT = ('{"head":{"vars":["item"]},"results":{"bindings":[{"item":{"type":"uri","value":'
       '"http://www.wikidata.org/entity/Q1"}},{"item":{"type":"uri","val'
       'SPARQL-QUERY: queryStr=SELECT ...\njava.util.concurrent.TimeoutException\n\tat java.util.concurrent'
       '.FutureTask.get(FutureTask.java:205)')


def test_json_cut_off_mid_stream_is_reported():
    with fault_server([Reply(200, CUT)]) as srv:
        with pytest.raises(TruncatedResponse, match="cut off .*TimeoutException"):
            client(srv.url, []).select("SELECT * WHERE {}")
    assert len(srv.seen) == 1


def test_truncated_batch_is_split_not_repeated():
    def reply(seen):
        n_values = nvals(seen)
        return Reply(200, CUT) if n_values > 2 else Reply(body=OK)

    with fault_server([reply]) as srv:
        c = client(srv.url, [], batch_size=8)
        rows = c.select_values(TEMPLATE, "item", [f"Q{i}" for i in range(1, 9)])
    sizes = [nvals(s) for s in srv.seen]
    assert sizes == [8, 4, 2, 2, 4, 2, 2]  # never the same batch twice
    assert len(rows) == 4 and c.log.splits == 3


def test_answer_slower_than_timeout_splits_batch():
    def reply(seen):
        n_values = nvals(seen)
        return Reply(body=OK, delay=2.5 if n_values > 1 else 0)

    with fault_server([reply]) as srv:
        c = client(srv.url, [], batch_size=2, timeout=1.0)
        rows = c.select_values(TEMPLATE, "item", ["Q1", "Q2"])
    sizes = [nvals(s) for s in srv.seen]
    assert sizes == [2, 1, 1] and len(rows) == 2


def test_single_value_timeout_raises():
    with fault_server([Reply(body=OK, delay=2.5)]) as srv:
        with pytest.raises(QueryTimeout, match="within 1.0 s .*batch of one value"):
            client(srv.url, [], timeout=1.0).select_values(TEMPLATE, "item", ["Q1"])
    assert len(srv.seen) == 1


def test_cache_second_run_makes_no_request_and_offline(tmp_path):
    db = tmp_path / "cache.sqlite"
    with fault_server([Reply(body=OK)]) as srv:
        c1 = client(srv.url, [], cache=db, batch_size=2)
        first = c1.select_values(TEMPLATE, "item", ["Q1", "Q2", "Q3"])
        assert len(srv.seen) == 2
        c2 = client(srv.url, [], cache=db, batch_size=2)
        second = c2.select_values(TEMPLATE, "item", ["Q1", "Q2", "Q3"])
        assert len(srv.seen) == 2 and second == first and c2.log.cache_hits == 2
        offline = client(srv.url, [], cache=db, batch_size=2, offline=True)
        assert offline.select_values(TEMPLATE, "item", ["Q1", "Q2", "Q3"]) == first
        with pytest.raises(CacheMiss, match="offline mode"):
            offline.select_values(TEMPLATE, "item", ["Q9"])
        assert len(srv.seen) == 2


def test_cache_ttl_expires(tmp_path):
    now = [1000.0]
    cache = QueryCache(tmp_path / "c.sqlite", ttl=60, clock=lambda: now[0])
    with fault_server([Reply(body=OK)]) as srv:
        client(srv.url, [], cache=cache).select("SELECT * WHERE {}")
        now[0] += 30
        client(srv.url, [], cache=cache).select("SELECT * WHERE {}")
        assert len(srv.seen) == 1
        now[0] += 60
        client(srv.url, [], cache=cache).select("SELECT * WHERE {}")
        assert len(srv.seen) == 2


def test_virtuoso_typed_literal_json():
    body = ('{"head":{"vars":["n","l"]},"results":{"bindings":[{"n":{"type":"typed-literal",'
            '"datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"5"},'
            '"l":{"type":"literal","xml:lang":"de","value":"Weimar"}}]}}')
    row = parse_results(body)[0]
    assert row["n"] == Literal(5) and row["l"] == Literal("Weimar", lang="de")


def test_virtuoso_geometry_becomes_wkt_literal():
    body = ('{"head":{"vars":["c"]},"results":{"bindings":[{"c":{"type":"typed-literal",'
            '"datatype":"http://www.openlinksw.com/schemas/virtrdf#Geometry",'
            '"value":"POINT(9.7386 52.3744)"}}]}}')
    c = parse_results(body)[0]["c"]
    assert str(c) == "Point(9.7386 52.3744)"
    assert str(c.datatype) == "http://www.opengis.net/ont/geosparql#wktLiteral"


def test_503_html_page_with_retry_after_then_reported():
    page = "<html><head><title>Wikimedia Error</title></head><body>Try again later</body></html>"
    waits: list[float] = []
    with fault_server([Reply(503, page, {"Retry-After": "3"}, content_type="text/html")]) as srv:
        with pytest.raises(TooManyRetries, match="HTTP 503 .*an HTML error page: Wikimedia Error"):
            client(srv.url, waits, max_attempts=2).select("SELECT * WHERE {}")
    assert waits == [3.0] and len(srv.seen) == 2


def test_504_gateway_timeout_splits_the_batch():
    def reply(seen):
        return Reply(504, "Gateway Timeout", content_type="text/plain") if nvals(seen) > 1 else Reply(body=OK)

    with fault_server([reply]) as srv:
        rows = client(srv.url, [], batch_size=2).select_values(TEMPLATE, "item", ["Q1", "Q2"])
    assert [nvals(s) for s in srv.seen] == [2, 1, 1] and len(rows) == 2


def test_every_query_sent_is_portable():
    """Every PREFIX declared (Oxigraph predefines none), no WDQS label service."""
    from pyoxigraph import Store

    from twinrdf.wikidata import diff, enrich, reconcile

    queries = [reconcile.Q_COUNTRY, reconcile.Q_GEONAMES, reconcile.Q_LABEL, reconcile.Q_FACTS,
               reconcile.Q_CLASS, reconcile.Q_DIRECT_CLASS, reconcile._names_query(["en", "de"]),
               enrich._labels_query(["en"]), enrich.Q_FACTS, enrich.Q_POPULATION, enrich.Q_P190,
               diff.Q_FORWARD, diff.Q_REVERSE, diff.Q_LABELS]
    for q in queries:
        text = WikidataClient.values_query(q, "x", [URIRef("http://www.wikidata.org/entity/Q1")])
        assert "wikibase:label" not in text and "SERVICE" not in text
        list(Store().query(text))  # raises SyntaxError on an undeclared prefix
