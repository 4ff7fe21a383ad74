"""Reconciliation against the mirror: hard cases, the same answer from the local store, the
project's endpoint and Virtuoso, PROV output, review report, reproducibility and the CLI."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef

from tests.support.wikidata import (  # noqa: F401 - fixtures
    LOCALITIES,
    wd_endpoint,
    wd_mirror,
)
from twinrdf.cli import main
from twinrdf.wikidata.client import StoreClient, WikidataClient
from twinrdf.wikidata.reconcile import (
    ReconcileConfig,
    links_turtle,
    load_localities,
    name_variants,
    normalise,
    reconcile,
)

TWIN = Namespace("https://w3id.org/twinrdf/ns#")
PLACE = "https://example.org/twinning/place/"
EXPECTED = {
    "bielefeld": ("accepted", "Q2112", "geonames"),
    "weimar": ("accepted", "Q3955", "label"),
    "paris": ("accepted", "Q99000001", "label"),
    "paris-texas": ("accepted", "Q99000002", "label"),
    "paris-us": ("review", None, None),
    "springfield-mo": ("accepted", "Q99000012", "label"),
    "springfield-eng": ("accepted", "Q99000013", "label"),
    "hannover": ("accepted", "Q99000020", "label"),
    "region-hannover": ("accepted", "Q99000021", "label"),
    "karl-marx-stadt": ("accepted", "Q99000030", "label"),
    "wolka": ("accepted", "Q99000040", "label"),
    "lindau": ("accepted", "Q99000050", "label"),
    "atlantis": ("no-candidate", None, None),
    "chemnitz": ("linked", None, None),
}


def summary(result) -> dict[str, tuple]:
    return {d.locality.iri.removeprefix(PLACE): (d.status, d.match.qid if d.match else None,
                                                  d.match.method if d.match else None)
            for d in result.decisions}


def detail(result) -> list[tuple]:
    return [(d.locality.iri, d.status, [(c.qid, c.score) for c in d.candidates]) for d in result.decisions]


@pytest.fixture(scope="module")
def local_result(wd_mirror):  # noqa: F811
    return reconcile(LOCALITIES, StoreClient(wd_mirror))


def test_hard_cases_on_the_local_mirror(local_result):
    assert summary(local_result) == EXPECTED
    paris_us = next(d for d in local_result.decisions if d.locality.iri.endswith("/paris-us"))
    assert [c.qid for c in paris_us.candidates] == ["Q99000002", "Q99000003"]
    assert "margin" in paris_us.reason
    mo = next(d for d in local_result.decisions if d.locality.iri.endswith("/springfield-mo"))
    # the river called Springfield is filtered out by class; Illinois and Massachusetts lose on distance
    assert "Q99000014" not in [c.qid for c in mo.candidates]
    assert mo.match.distance_km < 15 and mo.candidates[1].distance_km > 300


def test_same_result_from_the_project_endpoint(local_result, wd_endpoint):  # noqa: F811
    client = WikidataClient(wd_endpoint, sleep=lambda s: None)
    result = reconcile(LOCALITIES, client)
    assert detail(result) == detail(local_result)
    assert client.log.requests > 0 and client.log.waits == []


def test_links_with_prov_and_reproducible(local_result, wd_mirror):  # noqa: F811
    when = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    text = links_turtle(local_result, ReconcileConfig(), when)
    again = links_turtle(reconcile(LOCALITIES, StoreClient(wd_mirror)), ReconcileConfig(), when)
    assert text == again
    g = Graph().parse(data=text, format="turtle")
    links = {(str(s).removeprefix(PLACE), str(o).rsplit("/", 1)[1])
             for s, o in g.subject_objects(TWIN.wikidata)}
    assert links == {(k, v[1]) for k, v in EXPECTED.items() if v[0] == "accepted"}
    bielefeld = URIRef(PLACE + "bielefeld")
    match = g.value(bielefeld, TWIN.reconciliation)
    assert g.value(match, TWIN.matchMethod) == Literal("geonames")
    assert float(g.value(match, TWIN.matchScore)) == pytest.approx(0.99)
    activity = g.value(match, URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"))
    assert (activity, URIRef("http://www.w3.org/ns/prov#used"), None) in g


def test_cli_review_report_and_exit_code(tmp_path, wd_mirror):  # noqa: F811
    out, review = tmp_path / "links.ttl", tmp_path / "review.csv"
    res = CliRunner().invoke(main, ["reconcile", str(LOCALITIES), "--endpoint", str(wd_mirror),
                                    "-o", str(out), "--review", str(review)])
    assert res.exit_code == 1, res.output  # some cases are left for review
    assert "14 localities: 11 accepted, 1 for review, 1 without candidate, 1 already linked" in res.output
    rows = list(csv.DictReader(review.open()))
    assert [(r["locality"].removeprefix(PLACE), r["status"], r["candidate"], r["score"]) for r in rows] == [
        ("atlantis", "no-candidate", "", ""),
        ("paris-us", "review", "Q99000002", "1.0000"),
        ("paris-us", "review", "Q99000003", "1.0000"),
    ]
    assert len(Graph().parse(out)) > 0


def test_cli_errors(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    res = CliRunner().invoke(main, ["reconcile", str(bad), "--endpoint", str(tmp_path),
                                    "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no Oxigraph store" in res.output
    res = CliRunner(env={"TWINRDF_USER_AGENT": ""}).invoke(main, ["reconcile", str(LOCALITIES), "-o",
                                                                  str(tmp_path / "o.ttl")])
    assert res.exit_code == 2 and "User-Agent" in res.output


def test_local_reading_and_names():
    locs = {loc.iri.removeprefix(PLACE): loc for loc in load_localities(LOCALITIES)}
    tx = locs["paris-texas"]
    assert tx.lat == pytest.approx(33.66) and tx.lon == pytest.approx(-95.55)
    assert locs["springfield-eng"].country_code == "GB" and locs["springfield-eng"].scope == "Village"
    assert locs["wolka"].names == [("Wólka Górska", None)]
    assert "de" not in locs  # countries are not reconciled here
    assert name_variants("Frankfurt (Oder)") == ["Frankfurt (Oder)", "Frankfurt"]
    assert normalise("Wólka  Górska!") == "wolka gorska"


def test_seed_end_to_end_counts_add_up(wd_mirror):  # noqa: F811
    from twinrdf.resources import as_path, examples_dir

    seed = as_path(examples_dir()) / "seed" / "seed.ttl"
    result = reconcile(seed, StoreClient(wd_mirror))
    statuses = [d.status for d in result.decisions]
    # countries (typed twin:Locality and twin:Country) are not reconciled; every other locality is
    # accounted for exactly once
    assert len(statuses) == 37 and statuses.count("linked") == 21
    assert statuses.count("accepted") + statuses.count("review") + statuses.count("no-candidate") == 16
    assert not any(d.locality.iri.endswith(("/fr", "/gb", "/de")) for d in result.decisions)


def test_mirror_without_classes_needs_no_class_filter(tmp_path):
    import json

    from twinrdf.wikidata.mirror import build_mirror

    ent = {"type": "item", "id": "Q42", "labels": {"en": {"language": "en", "value": "Keighley"}}}
    (tmp_path / "e.json").write_text(json.dumps(ent))
    build_mirror([tmp_path / "e.json"], tmp_path / "m")
    data = tmp_path / "d.ttl"
    data.write_text('<https://example.org/k> a <https://w3id.org/twinrdf/ns#Town> ; '
                    '<http://www.w3.org/2000/01/rdf-schema#label> "Keighley"@en .')
    strict = reconcile(data, StoreClient(tmp_path / "m"))
    assert strict.decisions[0].status == "no-candidate"
    loose = reconcile(data, StoreClient(tmp_path / "m"), ReconcileConfig(require_class=False))
    assert loose.decisions[0].status == "accepted" and loose.decisions[0].match.qid == "Q42"
    assert loose.decisions[0].match.score == pytest.approx(0.9)


def test_reads_a_store_folder_with_data_in_a_named_graph(tmp_path, local_result, wd_mirror):  # noqa: F811
    from twinrdf.store import OxigraphStore, load_files

    store = OxigraphStore(tmp_path / "store")
    load_files(store, [LOCALITIES], graph="https://example.org/graph/publisher")
    store.close()
    result = reconcile(tmp_path / "store", StoreClient(wd_mirror))
    assert detail(result) == detail(local_result)
