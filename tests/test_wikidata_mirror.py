"""The local mirror: WDQS RDF shape from real and synthetic entity JSON, streamed formats, CLI."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Store

from tests.support.paths import P190_CRAWL, WIKIBASE_SDK
from twinrdf.cli import main
from twinrdf.wikidata.client import prefix_block
from twinrdf.wikidata.mirror import build_mirror, iter_entities, mirror_graph, wdqs_time

SYNTHETIC = Path(__file__).parent / "data" / "wikidata" / "synthetic.json"
Q2112 = WIKIBASE_SDK / "Q2112.json"
WEIMAR = P190_CRAWL / "weimar.json"


@pytest.fixture(scope="module")
def mirror() -> Store:
    return mirror_graph([Q2112, WEIMAR, SYNTHETIC])


def ask(store: Store, where: str) -> list[dict[str, str]]:
    rows = store.query(prefix_block() + "SELECT * WHERE { " + where + " }")
    return [{v.value: (t.value if t is not None else None) for v, t in zip(rows.variables, r, strict=True)}
            for r in rows]


def values(store: Store, where: str, var: str = "o") -> set[str]:
    return {r[var] for r in ask(store, where)}


def test_truthy_is_best_rank_only(mirror):
    # P17: one preferred (Germany) and two normal values -> only the preferred one is truthy
    assert values(mirror, "wd:Q2112 wdt:P17 ?o") == {"http://www.wikidata.org/entity/Q183"}
    assert len(values(mirror, "wd:Q2112 p:P17 ?o")) == 3
    # P31: the deprecated value is a statement but never truthy
    assert "http://www.wikidata.org/entity/Q1964689" not in values(mirror, "wd:Q2112 wdt:P31 ?o")
    assert ask(mirror, "wd:Q2112 p:P31 ?s . ?s ps:P31 wd:Q1964689 ; wikibase:rank wikibase:DeprecatedRank")
    # a deprecated P190 in the synthetic data stays out of wdt: too
    assert values(mirror, "wd:Q99000020 wdt:P190 ?o") == {"http://www.wikidata.org/entity/Q99000010"}
    best = values(mirror, "wd:Q2112 p:P17 ?s . ?s a wikibase:BestRank ; ps:P17 ?o")
    assert best == {"http://www.wikidata.org/entity/Q183"}


def test_p190_statements_qualifiers_and_references(mirror):
    rows = ask(mirror, "wd:Q2112 p:P190 ?s . ?s ps:P190 ?t . OPTIONAL { ?s pq:P580 ?start } "
                       "OPTIONAL { ?s prov:wasDerivedFrom ?r . ?r pr:P854 ?url }")
    assert len(rows) == 8
    assert sum(1 for r in rows if r["start"]) == 7
    urls = [r["url"] for r in rows if r["url"]]
    assert urls == ["http://www.rochdale.gov.uk/leisure-and-culture/Pages/20-things-to-know.aspx"]
    assert all(r["start"] is None or r["start"].endswith("-01-01T00:00:00Z") for r in rows)
    # statement IRIs are the WDQS ones (wds:Q2112-<guid>)
    assert any(r["s"] == "http://www.wikidata.org/entity/statement/Q2112-71781c61-47f7-d370-893c-11f7efe421c8"
               for r in rows)
    prec = values(mirror, "wd:Q2112 p:P190 ?s . ?s pqv:P580 ?v . ?v wikibase:timePrecision ?o")
    assert prec == {"9"}
    weimar = ask(mirror, "wd:Q3955 p:P190 ?s . ?s pq:P580 ?start ; ps:P190 wd:Q3138 . "
                         "?s pqv:P580/wikibase:timePrecision ?p")
    assert weimar == [{"s": weimar[0]["s"], "start": "1987-05-24T00:00:00Z", "p": "11"}]
    ended = ask(mirror, "wd:Q99000030 p:P190 ?s . ?s pq:P580 ?a ; pq:P582 ?b")
    assert [(r["a"], r["b"]) for r in ended] == [("2001-01-01T00:00:00Z", "2010-01-01T00:00:00Z")]


def test_value_shapes(mirror):
    q = mirror.query(prefix_block() + "SELECT ?p ?o WHERE { "
                     "VALUES ?p { wdt:P625 wdt:P1566 wdt:P1082 wdt:P856 } wd:Q2112 ?p ?o }")
    got = {r["p"].value.rsplit("/", 1)[1]: r["o"] for r in q}
    assert str(got["P625"]) == '"Point(8.5333333333333 52.016666666667)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>'
    assert str(got["P1566"]) == '"3221125"'
    assert got["P1082"].datatype.value.endswith("#decimal")
    assert got["P856"].value == "https://www.bielefeld.de/"
    assert values(mirror, "wd:Q2112 p:P1082 ?s . ?s psv:P1082 ?v . ?v wikibase:quantityUnit ?o") == {
        "http://www.wikidata.org/entity/Q199"}
    assert values(mirror, 'wd:Q2112 rdfs:label ?o FILTER(LANG(?o) = "ru")') == {"Билефельд"}
    assert values(mirror, "wd:Q99000030 skos:altLabel ?o") == {"Karl-Marx-Stadt"}
    assert values(mirror, "wd:Q99000002 schema:description ?o") == {"city in Texas"}


def test_nothing_wdqs_strips(mirror):
    stripped = ask(mirror, "{ ?s <http://schema.org/name> ?o . ?s a wikibase:Item } UNION "
                           "{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o } UNION "
                           "{ ?s a <http://schema.org/Dataset> }")
    assert stripped == []


def test_wdqs_time():
    assert wdqs_time("+1961-00-00T00:00:00Z") == "1961-01-01T00:00:00Z"
    assert wdqs_time("+2012-05-25T00:00:00Z") == "2012-05-25T00:00:00Z"
    assert wdqs_time("-0044-03-15T00:00:00Z") == "-0044-03-15T00:00:00Z"


def test_formats_bare_wrapped_dump_gz_bz2(tmp_path):
    assert [e["id"] for e in iter_entities(Q2112)] == ["Q2112"]
    assert [e["id"] for e in iter_entities(WEIMAR)] == ["Q3955"]
    plain = [e["id"] for e in iter_entities(SYNTHETIC)]
    assert len(plain) > 30 and plain[0] == "Q486972"
    gz = tmp_path / "dump.json.gz"
    gz.write_bytes(gzip.compress(SYNTHETIC.read_bytes()))
    bz = tmp_path / "dump.json.bz2"
    bz.write_bytes(bz2.compress(SYNTHETIC.read_bytes()))
    assert [e["id"] for e in iter_entities(gz)] == plain
    assert [e["id"] for e in iter_entities(bz)] == plain


def test_build_store_and_cli_rejects(tmp_path):
    lines = SYNTHETIC.read_text(encoding="utf-8").splitlines()
    lines.insert(3, '{"id": "Q1", "labels": {broken,')
    lines.insert(5, json.dumps({"labels": {}}) + ",")
    bad = tmp_path / "bad.json"
    bad.write_text("\n".join(lines), encoding="utf-8")
    store = tmp_path / "mirror"
    rejects = tmp_path / "rejects.csv"
    res = CliRunner().invoke(main, ["wikidata", "mirror", str(Q2112), str(bad), "--store", str(store),
                                    "--rejects", str(rejects)])
    assert res.exit_code == 1, res.output
    assert f"{bad}:4: invalid JSON" in res.output and f"{bad}:6: not an entity: no 'id' field" in res.output
    n_ok = len(list(iter_entities(SYNTHETIC))) + 1
    assert f"{n_ok} entities" in res.output
    assert rejects.read_text().splitlines()[1:] == [
        f"{bad},4,invalid JSON: Expecting property name enclosed in double quotes",
        f"{bad},6,not an entity: no 'id' field"]
    s = Store(str(store))
    assert ask(s, "wd:Q2112 wdt:P17 wd:Q183")
    del s
    ok = CliRunner().invoke(main, ["wikidata", "mirror", str(Q2112), "--store", str(store)])
    assert ok.exit_code == 0 and "1 entities" in ok.output
    nope = str(tmp_path / "nope.json")
    missing = CliRunner().invoke(main, ["wikidata", "mirror", nope, "--store", str(store)])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_build_mirror_report(tmp_path):
    report = build_mirror([Q2112, WEIMAR], tmp_path / "m")
    assert report.entities == 2 and not report.rejects
    assert report.triples == len(Store(str(tmp_path / "m")))
