"""The builder: the one place records become triples (twinrdf.build)."""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from twinrdf import iris
from twinrdf.build import PREFIXES, build
from twinrdf.dates import PartialDate as D
from twinrdf.parse.tables import parse_tables
from twinrdf.records import (
    Activity,
    Agent,
    Agreement,
    Document,
    Listing,
    Locality,
    Origin,
    RecordSet,
    Signing,
    Source,
    StatusChange,
    TerritorialStatus,
)
from twinrdf.resources import VOCAB_NS, as_path, ontology_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "tables"
SEED = ROOT / "examples" / "seed"
B = iris.DEFAULT_BASE
TWIN = VOCAB_NS
XSD = "http://www.w3.org/2001/XMLSchema#"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _store(quads: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    return store


def _objects(quads: list[ox.Quad], s: str, p: str) -> set:
    return {q.object for q in quads if q.subject.value == s and q.predicate.value == p}


def _ttl(quads: list[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def _loc(key: str, name: str, lang: str | None = "en", **kw) -> Locality:
    return Locality(key, names=[(name, lang)], **kw)


def _pair_records(listings: bool = True) -> RecordSet:
    """Coventry lists Dresden, Dresden lists Coventry: two keyless records from two sources."""
    return RecordSet(
        sources=[Source("cov-page", title="Coventry"), Source("dre-page", title="Dresden")],
        localities=[_loc("coventry", "Coventry"), _loc("dresden", "Dresden", "de")],
        agreements=[
            Agreement(None, ["coventry", "dresden"], kind="TwinTown", sources=["cov-page"],
                      listings=[Listing("coventry", "dresden", "cov-page")] if listings else [],
                      origin=Origin("cov.csv", 2)),
            Agreement(None, ["dresden", "coventry"], start_date=D(1959), sources=["dre-page"],
                      listings=[Listing("dresden", "coventry", "dre-page")] if listings else [],
                      origin=Origin("dre.csv", 5)),
        ],
        rows_read=2,
    )


def test_a_lists_b_and_b_lists_a_become_one_agreement_with_both_sources():
    result = build(_pair_records())
    agreements = {q.subject for q in result.quads
                  if q.predicate.value.endswith("#type") and q.object == _n(TWIN + "TwinningAgreement")}
    assert agreements == {_n(B + "agreement/coventry--dresden")}
    a = B + "agreement/coventry--dresden"
    assert _objects(result.quads, a, "http://www.w3.org/ns/prov#wasDerivedFrom") == {
        _n(B + "source/cov-page"), _n(B + "source/dre-page")}
    # each side's listing is kept with its own source
    listings = _objects(result.quads, a, TWIN + "listing")
    assert len(listings) == 2
    prov = "http://www.w3.org/ns/prov#wasDerivedFrom"
    by_listed = {next(iter(_objects(result.quads, li.value, TWIN + "listedBy"))).value:
                 _objects(result.quads, li.value, prov) for li in listings}
    assert by_listed == {B + "locality/coventry": {_n(B + "source/cov-page")},
                         B + "locality/dresden": {_n(B + "source/dre-page")}}
    # single values from either side are kept
    assert _objects(result.quads, a, TWIN + "kind") == {_n(TWIN + "TwinTown")}
    assert _objects(result.quads, a, TWIN + "startDate") == {ox.Literal("1959", datatype=_n(XSD + "gYear"))}
    s = result.summary
    assert (s.agreements, s.merged_pairs, s.one_sided_pairs) == (1, 1, 0)
    assert s.rows_output == 2 and s.rows_rejected == 0


def test_one_sided_pairs_are_counted():
    records = _pair_records()
    records.agreements.pop()
    s = build(records).summary
    assert (s.agreements, s.merged_pairs, s.one_sided_pairs) == (1, 0, 1)
    s = build(_pair_records(listings=False)).summary
    assert (s.merged_pairs, s.one_sided_pairs) == (1, 0)  # no listings: nothing to say about sides


def test_distinct_keys_keep_agreements_between_the_same_partners_apart_and_keyless_joins_the_one_key():
    records = RecordSet(
        localities=[_loc("coventry", "Coventry"), _loc("volgograd", "Volgograd")],
        agreements=[Agreement("solidarity-1942", ["coventry", "volgograd"], kind="SolidarityLink"),
                    Agreement("twinning-1944", ["volgograd", "coventry"], kind="TwinTown")],
    )
    result = build(records)
    assert result.summary.agreements == 2 and result.summary.merged_pairs == 0
    records.agreements = [Agreement("twinning-1944", ["volgograd", "coventry"], kind="TwinTown"),
                          Agreement(None, ["coventry", "volgograd"], purposes=["Solidarity"])]
    result = build(records)
    assert result.summary.agreements == 1 and result.summary.merged_pairs == 1
    purposes = _objects(result.quads, B + "agreement/twinning-1944", TWIN + "purpose")
    assert purposes == {_n(TWIN + "Solidarity")}


def test_twinned_with_is_emitted_both_ways_between_all_partners():
    records = RecordSet(localities=[_loc(k, k.title()) for k in ("a", "b", "c")],
                        agreements=[Agreement("abc", ["a", "b", "c"])])
    quads = build(records).quads
    pairs = {(q.subject.value[-1], q.object.value[-1])
             for q in quads if q.predicate.value == TWIN + "twinnedWith"}
    assert pairs == {("a", "b"), ("b", "a"), ("a", "c"), ("c", "a"), ("b", "c"), ("c", "b")}


def test_dates_keep_their_precision_and_names_their_language():
    records = RecordSet(
        localities=[Locality("tromso", names=[("Tromsø", "no"), ("Romsa", "se"), ("Tromso", None)]),
                    _loc("anchorage", "Anchorage")],
        agreements=[Agreement("t-a", ["tromso", "anchorage"], signing_date=D(1969, 9), start_date=D(1969),
                              end_date=D(2012, 6, 4))],
    )
    quads = build(records).quads
    a = B + "agreement/t-a"
    lit = ox.Literal
    assert _objects(quads, a, TWIN + "signingDate") == {lit("1969-09", datatype=_n(XSD + "gYearMonth"))}
    assert _objects(quads, a, TWIN + "startDate") == {lit("1969", datatype=_n(XSD + "gYear"))}
    assert _objects(quads, a, TWIN + "endDate") == {lit("2012-06-04", datatype=_n(XSD + "date"))}
    t = B + "locality/tromso"
    assert _objects(quads, t, "http://www.w3.org/2000/01/rdf-schema#label") == {lit("Tromsø", language="no")}
    assert _objects(quads, t, "http://www.w3.org/2004/02/skos/core#altLabel") == {
        lit("Romsa", language="se"), lit("Tromso")}


def test_coordinates_give_decimal_lat_long_and_a_geosparql_point():
    records = RecordSet(localities=[_loc("k", "Keighley", lat=53.8679, lon=-1.9064),
                                    _loc("tiny", "Tiny", lat=1e-05, lon=0.0)])
    quads = build(records).quads
    wgs = "http://www.w3.org/2003/01/geo/wgs84_pos#"
    geo = "http://www.opengis.net/ont/geosparql#"
    dec = _n(XSD + "decimal")
    assert _objects(quads, B + "locality/k", wgs + "lat") == {ox.Literal("53.8679", datatype=dec)}
    assert _objects(quads, B + "locality/k", wgs + "long") == {ox.Literal("-1.9064", datatype=dec)}
    assert _objects(quads, B + "locality/k", geo + "hasGeometry") == {_n(B + "locality/k/geometry")}
    assert _objects(quads, B + "locality/k/geometry", geo + "asWKT") == {
        ox.Literal("POINT(-1.9064 53.8679)", datatype=_n(geo + "wktLiteral"))}
    assert _objects(quads, B + "locality/tiny", wgs + "lat") == {ox.Literal("0.00001", datatype=dec)}


def test_same_input_in_any_order_gives_identical_bytes():
    records = parse_tables([FIXTURE])
    first = _ttl(build(records).quads)
    assert _ttl(build(parse_tables([FIXTURE])).quads) == first
    rng = random.Random(7)
    for name in ("localities", "agents", "sources", "agreements"):
        rng.shuffle(getattr(records, name))
    assert _ttl(build(records).quads) == first
    # a different order of the input files gives the same records
    files = sorted(FIXTURE.glob("*.csv"), reverse=True)
    assert _ttl(build(parse_tables(files)).quads) == first


def test_no_blank_nodes_and_every_twin_term_exists_in_the_ontology():
    onto = ox.Store()
    onto.load(path=str(as_path(ontology_file())), format=ox.RdfFormat.TURTLE)
    defined = {q.subject.value for q in onto.quads_for_pattern(None, None, None)
               if isinstance(q.subject, ox.NamedNode)}
    result = build(_everything())
    used = set()
    for q in result.quads:
        for t in (q.subject, q.predicate, q.object):
            assert not isinstance(t, ox.BlankNode)
            if isinstance(t, ox.NamedNode) and t.value.startswith(TWIN):
                used.add(t.value)
    assert not result.rejects
    assert len(used) > 60
    assert used - defined == set()


def _everything() -> RecordSet:
    """A record set that exercises every field the builder maps."""
    o = Origin("all.csv", 1)
    return RecordSet(
        sources=[Source("s", "T", "https://example.org/", "1", D(2026), "q", "P", origin=o)],
        localities=[
            Locality("x", [("X", "en"), ("Ex", "fr")], "City", "c", None, "r", 1.0, 2.0, 10, D(2020), "Q1",
                     "123", "gov", True, "note", ["s"], origin=o),
            Locality("y", [("Y", "en")], "Village", "c"), Locality("r", [("R", "en")], "Region", "c"),
            Locality("c", [("C", "en")], "Country", country_code="FR"),
        ],
        agents=[Agent("gov", "GoverningBody", [("Council", "en")], roles=["Holding"], located_in="x",
                      collaborates_with=["assoc"], country="c", wikidata="Q2", description="d"),
                Agent("assoc", "TwinningAssociation", [("Assoc", "en")], parent="gov"),
                Agent("p", "Person", [("P", "en")], office="Mayor", description="d"),
                Agent("co", "Company", [("Co", "en")]), Agent("ch", "Organisation", [("Ch", "en")])],
        documents=[Document("doc", "Charter", "https://example.org/doc", D(1920), "d", ["s"])],
        agreements=[Agreement("xy", ["x", "y"], "TwinTown", None,
                              [StatusChange("Proposed", D(1919), "r", ["s"]),
                               StatusChange("Active", D(1920))],
                              D(1920, 1, 2), D(1920), D(2000), ["Cultural"],
                              [Signing("p", "x", "Mayor", D(1920))],
                              ["doc"], ["gov"], ["assoc"], ["p"], [Listing("x", "y", "s")], "X–Y", "n",
                              "Q1$ABC", ["s"])],
        activities=[
            Activity("ev", "RecurringEvent", "Race", "d", D(1950), D(1950), None, D(1900), D(1999), "1950s",
                     "annual", ["x", "y"], ["p"], "xy", ["Tourism"], ["Climate"], "p", "y", "y", "x",
                     "Monument", "co", "ch", ["p"], ["assoc"], "c", "p", ["s"]),
            Activity("h", "HistoricalEvent", "Bombing"),
        ],
        territorial=[TerritorialStatus("rec", "x", "Recognition", "c", "c", "DeJure", date=D(2013)),
                     TerritorialStatus("ctl", "x", "Control", controlled_by=["gov"], start_date=D(1990),
                                       end_date=D(2020))],
    )


def _reject_map(result) -> dict:
    return {(r.file, r.line, r.column): r for r in result.rejects}


def test_unknown_partner_and_values_outside_the_vocabulary_are_rejected_with_their_row():
    records = RecordSet(
        localities=[_loc("a", "A", origin=Origin("l.csv", 2)),
                    _loc("b", "B", scope="Hamlet", origin=Origin("l.csv", 3))],
        agreements=[Agreement("ab", ["a", "nowhere"], origin=Origin("ag.csv", 2)),
                    Agreement("bad-status", ["a", "c"], status="Dormant", origin=Origin("ag.csv", 3))],
        rows_read=4,
    )
    result = build(records)
    rejects = _reject_map(result)
    scope = rejects[("l.csv", 3, "scope")]
    assert "Hamlet" in scope.reason and "Village" in scope.reason and "City" in scope.reason
    partner = rejects[("ag.csv", 2, "partners")]
    assert partner.value == "nowhere" and "unknown locality id 'nowhere'" in partner.reason
    status = rejects[("ag.csv", 3, "status")]
    assert "Dormant" in status.reason and "Abandoned" in status.reason
    s = result.summary
    assert s.rows_read == s.rows_output + s.rows_rejected == 4
    assert s.localities == 1 and s.agreements == 0


def test_a_row_that_refers_to_a_rejected_row_is_rejected_too():
    records = RecordSet(
        localities=[_loc("a", "A", origin=Origin("l.csv", 2)), _loc("b", "B", origin=Origin("l.csv", 3)),
                    _loc("c", "C", parent="b", scope="Nowhere", origin=Origin("l.csv", 4)),
                    _loc("d", "D", parent="c", origin=Origin("l.csv", 5))],
        agreements=[Agreement("ad", ["a", "d"], origin=Origin("ag.csv", 2))],
        activities=[Activity("m", "Message", agreement="ad", origin=Origin("act.csv", 2))],
        rows_read=6,
    )
    result = build(records)
    rows = {(r.file, r.line) for r in result.rejects}
    assert rows == {("l.csv", 4), ("l.csv", 5), ("ag.csv", 2), ("act.csv", 2)}
    assert result.summary.rows_output == 2 and result.summary.rows_rejected == 4


def test_records_with_the_same_key_merge_into_one_node():
    records = RecordSet(localities=[
        Locality("poznan", [("Poznań", "pl")], sources=["s1"], origin=Origin("a.csv", 2)),
        Locality("poznan", [("Posen", "de")], scope="City", sources=["s2"], origin=Origin("b.csv", 9)),
    ], sources=[Source("s1"), Source("s2")], rows_read=2)
    result = build(records)
    p = B + "locality/poznan"
    assert _objects(result.quads, p, "http://www.w3.org/2000/01/rdf-schema#label") == {
        ox.Literal("Poznań", language="pl")}
    assert len(_objects(result.quads, p, "http://www.w3.org/ns/prov#wasDerivedFrom")) == 2
    assert result.summary.localities == 1 and result.summary.rows_output == 2
    # the caller's records are not changed by merging
    assert records.localities[0].sources == ["s1"]


def test_status_history_gives_the_current_status_when_none_is_stated():
    records = RecordSet(localities=[_loc("p", "Preston"), _loc("n", "Nablus")],
                        agreements=[Agreement("pn", ["p", "n"], status_changes=[
                            StatusChange("Proposed", D(2003)), StatusChange("Abandoned", D(2004, 2))])])
    quads = build(records).quads
    a = B + "agreement/pn"
    assert _objects(quads, a, TWIN + "status") == {_n(TWIN + "Abandoned")}
    changes = _objects(quads, a, TWIN + "statusChange")
    assert changes == {_n(a + "/status-change/Proposed-2003"), _n(a + "/status-change/Abandoned-2004-02")}


def test_graph_per_source_puts_each_record_in_the_graph_of_its_file():
    result = build(parse_tables([FIXTURE]), graph_per_source=True)
    graphs = {getattr(q.graph_name, "value", None) for q in result.quads}
    # countries minted from ISO codes belong to no file: they stay in the default graph
    assert graphs == {B + "graph/" + f.name for f in FIXTURE.glob("*.csv")} | {None}
    assert {q.subject.value for q in result.quads if isinstance(q.graph_name, ox.DefaultGraph)} == {
        B + "country/FR"}
    keighley = {q.graph_name.value for q in result.quads if q.subject.value == B + "locality/keighley"}
    assert keighley == {B + "graph/localities.csv"}


def test_base_iri_is_configurable_and_checked():
    result = build(parse_tables([FIXTURE]), base_iri="https://example.org/twins/")
    assert all(q.subject.value.startswith("https://example.org/twins/") for q in result.quads)
    with pytest.raises(iris.BaseIRIError):
        build(RecordSet(), base_iri="not an iri")


def test_unsafe_keys_get_a_readable_slug_and_a_hash():
    assert iris.slug("keighley") == "keighley"
    assert iris.slug("Q64") == "Q64"
    s1, s2 = iris.slug("Poznań|PL"), iris.slug("Poznan|PL")
    assert s1.startswith("poznan-pl-") and s2.startswith("poznan-pl-") and s1 != s2
    assert iris.slug("東京").startswith("dong-jing-")
    assert iris.partner_set_slug(["b", "a"]) == iris.partner_set_slug(["a", "b"]) == "a--b"
    assert iris.partner_set_slug(["a--b", "c"]) != iris.partner_set_slug(["a", "b--c"])


def test_seed_dataset_builds_without_rejects():
    if not SEED.is_dir():
        pytest.skip("examples/seed not there yet")
    result = build(parse_tables([SEED]))
    assert result.rejects == []
    assert result.summary.rows_output == result.summary.rows_read > 100


def test_literals_are_escaped_and_every_writer_path_agrees(tmp_path):
    from twinrdf import rdfio

    tricky = 'He said "twin" \\ then\nleft\ttab\r\x01end Ü 東京'
    records = RecordSet(localities=[Locality("x", [(tricky, "en"), ("Ünïcode", "de-AT")], note=tricky),
                                    _loc("y", "Y")],
                        agreements=[Agreement("xy", ["x", "y"], label=tricky)])
    result = build(records)
    # the fast text is exactly pyoxigraph's canonical N-Triples of the same statements
    canonical = ox.serialize(result.quads, format=ox.RdfFormat.N_TRIPLES)
    assert result.ntriples == canonical
    labels = _objects(result.quads, B + "locality/x", "http://www.w3.org/2000/01/rdf-schema#label")
    assert labels == {ox.Literal(tricky, language="en")}
    assert ox.Literal("Ünïcode", language="de-at") in _objects(
        result.quads, B + "locality/x", "http://www.w3.org/2004/02/skos/core#altLabel")
    fast, slow = tmp_path / "fast.ttl", tmp_path / "slow.ttl"
    assert rdfio.write_rdf(result, fast) == rdfio.write_rdf(result.quads, slow) == result.summary.triples
    assert fast.read_bytes() == slow.read_bytes()


def test_bad_language_tags_and_iris_from_other_parsers_are_rejected_not_written():
    records = RecordSet(
        localities=[Locality("x", [("X", "not a tag")], origin=Origin("w.json", 3)), _loc("y", "Y")],
        documents=[Document("d", url="http://exa mple.org/", origin=Origin("w.json", 4))],
        rows_read=2,
    )
    result = build(records)
    assert {(r.line, r.column) for r in result.rejects} == {(3, "names"), (4, "url")}
    assert ox.parse(result.nquads, format=ox.RdfFormat.N_QUADS)  # still valid N-Quads


def test_wikidata_extras_and_countries_named_without_a_code():
    records = RecordSet(localities=[
        Locality("leningrad", [("Leningrad", "en")], country_name="Soviet Union", instance_of=["Q515"],
                 descriptions=[("city in the USSR", "en"), ("Stadt", "de")]),
    ])
    result = build(records)
    loc = B + "locality/leningrad"
    country = next(iter(_objects(result.quads, loc, TWIN + "country")))
    assert country.value.startswith(B + "country/soviet-union-")
    assert _objects(result.quads, country.value, "http://www.w3.org/2000/01/rdf-schema#label") == {
        ox.Literal("Soviet Union")}
    assert _objects(result.quads, loc, "http://purl.org/dc/terms/type") == {
        _n("http://www.wikidata.org/entity/Q515")}
    assert _objects(result.quads, loc, "http://purl.org/dc/terms/description") == {
        ox.Literal("city in the USSR", language="en"), ox.Literal("Stadt", language="de")}
    assert result.summary.localities == 2


def test_provenance_describes_the_dataset():
    result = build(RecordSet(), provenance={"title": "Seed", "license": "https://creativecommons.org/licenses/by-sa/4.0/"})
    ds = B + "dataset"
    assert _objects(result.quads, ds, "http://purl.org/dc/terms/title") == {ox.Literal("Seed")}
    assert _objects(result.quads, ds, "http://purl.org/dc/terms/license") == {
        _n("https://creativecommons.org/licenses/by-sa/4.0/")}


def test_statements_added_after_the_build_stay_consistent():
    result = build(parse_tables([FIXTURE]))
    before = result.summary.triples
    assert len(result.quads) == before
    extra = ox.Quad(_n(B + "dataset"), _n("http://purl.org/dc/terms/title"), ox.Literal('a "run"'),
                    _n(B + "graph/run"))
    result.extend([extra, extra])
    assert result.summary.triples == before + 1 and result.named_graphs
    assert extra in result.quads
    triples = list(ox.parse(result.ntriples, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == before + 1
