"""Virtuoso loaded with the same mirror gives the same reconciliation, enrichment and diff as the
local Oxigraph mirror. One test on purpose: one Virtuoso start-up per run (it costs seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.wikidata import (  # noqa: F401 - fixtures
    DATA,
    LOCALITIES,
    virtuoso,
    wd_mirror,
    wd_ntriples,
    wd_virtuoso,
)
from twinrdf.wikidata.client import StoreClient, WikidataClient
from twinrdf.wikidata.diff import diff
from twinrdf.wikidata.enrich import DEFAULT_GRAPH, enrich
from twinrdf.wikidata.reconcile import ReconcileConfig, links_turtle, reconcile

WHEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def decisions(result) -> list[tuple]:
    return [(d.locality.iri, d.status, d.match.qid if d.match else None,
             [(c.qid, c.score, c.method) for c in d.candidates]) for d in result.decisions]


def facts(result) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in result.quads
            if "#query-" not in str(q.subject) + str(q.object) and q.subject.value != DEFAULT_GRAPH
            and q.predicate.value != "http://www.w3.org/ns/prov#endedAtTime"}


def test_virtuoso_gives_the_same_results(wd_mirror, wd_virtuoso, tmp_path):  # noqa: F811
    local, remote = StoreClient(wd_mirror), WikidataClient(wd_virtuoso, sleep=lambda s: None)
    rec_local, rec_remote = reconcile(LOCALITIES, local), reconcile(LOCALITIES, remote)
    assert decisions(rec_remote) == decisions(rec_local)
    assert sum(1 for d in rec_remote.decisions if d.status == "accepted") == 11

    links = tmp_path / "links.ttl"
    links.write_text(links_turtle(rec_local, ReconcileConfig(), WHEN))
    en_local = enrich([LOCALITIES, links], local, now=WHEN)
    en_remote = enrich([LOCALITIES, links], remote, now=WHEN)
    assert facts(en_remote) == facts(en_local) and len(facts(en_local)) > 150

    sources = [LOCALITIES, DATA / "twinnings.ttl", links]
    d_local, d_remote = diff(sources, local), diff(sources, remote)
    assert [(f.kind, f.qa, f.qb, f.detail, f.label_a) for f in d_remote.findings] == \
        [(f.kind, f.qa, f.qb, f.detail, f.label_a) for f in d_local.findings]
    assert d_remote.quickstatements == d_local.quickstatements and len(d_local.quickstatements) == 16
    assert remote.log.waits == [] and remote.log.requests > 10
