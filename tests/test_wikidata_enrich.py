"""Enrichment: facts in a separate named graph with provenance, never touching the publisher's
graph; the same facts from the local mirror, the project's endpoint and Virtuoso; cache; CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Store

from tests.support.wikidata import (  # noqa: F401 - fixtures
    LOCALITIES,
    wd_endpoint,
    wd_mirror,
)
from twinrdf.cli import main
from twinrdf.wikidata.client import StoreClient, WikidataClient
from twinrdf.wikidata.enrich import DEFAULT_GRAPH, enrich, write_result
from twinrdf.wikidata.reconcile import ReconcileConfig, links_turtle, reconcile

WHEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PROV_USED = "http://www.w3.org/ns/prov#used"
QUERY = "https://w3id.org/twinrdf/ns#sparqlQuery"


@pytest.fixture(scope="module")
def links(tmp_path_factory, wd_mirror):  # noqa: F811
    path = tmp_path_factory.mktemp("enrich") / "links.ttl"
    path.write_text(links_turtle(reconcile(LOCALITIES, StoreClient(wd_mirror)), ReconcileConfig(), WHEN))
    return path


def facts(result) -> set[str]:
    """The enriched facts without the provenance (which names the endpoint and times)."""
    return {f"{q.subject} {q.predicate} {q.object}" for q in result.quads
            if "#query-" not in str(q.subject) + str(q.object) and q.subject.value != DEFAULT_GRAPH
            and not q.predicate.value.startswith("http://www.w3.org/ns/prov#endedAtTime")}


@pytest.fixture(scope="module")
def local(links, wd_mirror):  # noqa: F811
    return enrich([LOCALITIES, links], StoreClient(wd_mirror), now=WHEN)


def test_enriched_facts(local):
    f = facts(local)
    hannover = "<http://www.wikidata.org/entity/Q99000020>"
    assert f'{hannover} <http://www.w3.org/2000/01/rdf-schema#label> "Hanover"@en' in f
    assert (f'{hannover} <http://www.wikidata.org/prop/direct/P625> '
            '"Point(9.7386 52.3744)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>') in f
    assert f'{hannover} <http://www.wikidata.org/prop/direct/P1566> "2910831"' in f
    assert f"{hannover} <http://www.wikidata.org/prop/direct/P856> <https://www.hannover.de/>" in f
    assert f"{hannover} <http://www.wikidata.org/prop/direct/P17> <http://www.wikidata.org/entity/Q183>" in f
    # P190 with qualifier and reference; the deprecated P190 (to Paris) is left out
    p190 = [q for q in local.quads if str(q.predicate) == "<http://www.wikidata.org/prop/statement/P190>"]
    hannover_twins = {str(q.object) for q in p190 if "Q99000020-" in str(q.subject)}
    assert hannover_twins == {"<http://www.wikidata.org/entity/Q99000010>"}
    assert any('"1987-05-12T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>' in x for x in f)
    assert any("<https://example.org/hannover/partnerstaedte>" in x for x in f)
    # Bielefeld: the latest population (by P585) only, and its 8 P190 statements
    pops = [q for q in local.quads if str(q.predicate) == "<http://www.wikidata.org/prop/P1082>"
            and "Q2112" in str(q.subject)]
    assert len(pops) == 1
    assert len([q for q in p190 if "Q2112-" in str(q.subject)]) == 8
    # labels of the partners too (Springfield, Illinois is not linked locally)
    assert '<http://www.wikidata.org/entity/Q99000010> <http://www.w3.org/2000/01/rdf-schema#label> ' \
           '"Springfield"@en' in f
    assert all(q.graph_name == NamedNode(DEFAULT_GRAPH) for q in local.quads)


def test_provenance_names_endpoint_and_queries(local, wd_mirror):  # noqa: F811
    used = [q for q in local.quads if str(q.predicate) == f"<{PROV_USED}>"]
    queries = [q for q in local.quads if str(q.predicate) == f"<{QUERY}>"]
    assert len(used) == len(queries) == local.queries == 5
    assert all(str(q.object).startswith("<file://") for q in used)
    assert any("p:P190" in q.object.value for q in queries)


def test_same_facts_from_the_project_endpoint(local, links, wd_endpoint):  # noqa: F811
    via_http = enrich([LOCALITIES, links], WikidataClient(wd_endpoint, sleep=lambda s: None), now=WHEN)
    assert facts(via_http) == facts(local)


def test_cache_rerun_offline(links, wd_endpoint, tmp_path, local):  # noqa: F811
    c1 = WikidataClient(wd_endpoint, cache=tmp_path / "c.sqlite")
    enrich([LOCALITIES, links], c1, now=WHEN)
    c2 = WikidataClient(wd_endpoint, cache=tmp_path / "c.sqlite", offline=True)
    again = enrich([LOCALITIES, links], c2, now=WHEN)
    assert c2.log.requests == 0 and c2.log.cache_hits == 5
    assert facts(again) == facts(local)


def test_store_publisher_graph_untouched(local, tmp_path):
    store_dir = tmp_path / "store"
    s = Store(str(store_dir))
    s.load(path=str(LOCALITIES), format=RdfFormat.TURTLE, to_graph=DefaultGraph())
    # a publisher statement about a Wikidata item must survive as well
    s.update('INSERT DATA { <http://www.wikidata.org/entity/Q99000020> '
             '<http://www.w3.org/2000/01/rdf-schema#label> "Hannover (publisher)"@de }')
    before = sorted(str(q) for q in s.quads_for_pattern(None, None, None, DefaultGraph()))
    del s
    write_result(local, store=store_dir)
    write_result(local, store=store_dir)  # a rerun replaces the enrichment graph, no duplicates
    s = Store(str(store_dir))
    after = sorted(str(q) for q in s.quads_for_pattern(None, None, None, DefaultGraph()))
    assert after == before
    assert len(list(s.quads_for_pattern(None, None, None, NamedNode(DEFAULT_GRAPH)))) == len(set(local.quads))


def test_cli(links, wd_mirror, tmp_path):  # noqa: F811
    out = tmp_path / "wd.nq"
    res = CliRunner().invoke(main, ["enrich", str(LOCALITIES), str(links), "--endpoint", str(wd_mirror),
                                    "-o", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "11 items enriched into <urn:twinrdf:graph:wikidata>" in res.output
    assert out.read_text().count("<urn:twinrdf:graph:wikidata> .") > 100
    res = CliRunner().invoke(main, ["enrich", str(LOCALITIES), "--endpoint", str(wd_mirror)])
    assert res.exit_code == 2 and "--output" in res.output
