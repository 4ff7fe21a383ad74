"""Wikidata entity JSON: Bielefeld (Q2112, bare entity) and Weimar (Q3955, wbgetentities),
and dumps built from those real entities (plain, gzip, bz2), streamed."""

from __future__ import annotations

import bz2
import copy
import gzip
import json

import pytest

from tests.support.paths import P190_CRAWL, WIKIBASE_SDK
from twinrdf.dates import PartialDate
from twinrdf.parse import InputError, detect_and_parse
from twinrdf.parse.wikidata_json import parse_entity_file

Q2112 = WIKIBASE_SDK / "Q2112.json"
WEIMAR = P190_CRAWL / "weimar.json"


def _bielefeld():
    return json.loads(Q2112.read_text(encoding="utf-8"))


def _weimar():
    return json.loads(WEIMAR.read_text(encoding="utf-8"))["entities"]["Q3955"]


def test_bielefeld_bare_entity():
    rs = parse_entity_file(Q2112)
    assert rs.rows_read == 1 and not rs.rejects and rs.excluded == {}
    b = next(x for x in rs.localities if x.key == "Q2112")
    assert b.wikidata == "Q2112" and b.names[0] == ("Bielefeld", "en")
    langs = {lang for _, lang in b.names}
    assert len(langs) > 100  # labels and aliases in every language
    assert b.country == "Q183"  # the preferred P17 of three
    assert (b.lat, b.lon) == pytest.approx((52.0167, 8.5333), abs=1e-3)
    assert "Q1964689" not in b.instance_of and "Q1549591" in b.instance_of  # deprecated P31 left out
    assert b.population and b.population_date is not None
    assert any(lang == "de" for _, lang in b.descriptions)
    assert len(rs.agreements) == 8
    by_partner = {a.partners[1]: a for a in rs.agreements}
    assert all(a.partners[0] == "Q2112" for a in rs.agreements)
    assert sum(1 for a in rs.agreements if a.start_date) == 7
    rochdale = by_partner["Q474605"]
    assert rochdale.start_date == PartialDate(1953) and rochdale.start_date.precision == "year"
    assert rochdale.wikidata_statement == "Q2112$fa2b9dbe-44c4-e3aa-b1b7-6725768477cf"
    ref = next(s for s in rs.sources if s.key in rochdale.sources and s.url and "rochdale" in s.url)
    assert ref.url == "http://www.rochdale.gov.uk/leisure-and-culture/Pages/20-things-to-know.aspx"
    listing = rochdale.listings[0]
    assert (listing.listed_by, listing.listed_partner) == ("Q2112", "Q474605")
    partner = next(x for x in rs.localities if x.key == "Q474605")
    assert partner.wikidata == "Q474605" and partner.names == [("Q474605", None)]
    country = next(x for x in rs.localities if x.key == "Q183")
    assert country.scope == "Country"


def test_weimar_wbgetentities_day_precision_and_references():
    rs = parse_entity_file(WEIMAR)
    assert rs.rows_read == 1 and len(rs.agreements) == 5
    dates = sorted(str(a.start_date) for a in rs.agreements)
    assert dates == ["1970-09-06", "1987-05-24", "1994-04-15", "1995-02-18", "2012-05-25"]
    assert all(a.start_date.precision == "day" for a in rs.agreements)
    urls = {s.url for s in rs.sources}
    assert "http://stadt.weimar.de/ueber-weimar/partnerstaedte/" in urls
    assert all(len(a.sources) == 2 for a in rs.agreements)  # the item page and the reference


def test_ranks_qualifiers_and_retrieved_dates(tmp_path):
    e = _bielefeld()
    stmts = e["claims"]["P190"]
    stmts[0]["rank"] = "deprecated"
    stmts[1]["qualifiers"]["P582"] = [{
        "snaktype": "value", "property": "P582",
        "datavalue": {"type": "time", "value": {"time": "+2019-03-00T00:00:00Z", "precision": 10}},
    }]
    stmts[1]["references"][0]["snaks"]["P813"] = [{
        "snaktype": "value", "property": "P813",
        "datavalue": {"type": "time", "value": {"time": "+2023-04-01T00:00:00Z", "precision": 11}},
    }]
    stmts[2]["mainsnak"] = {"snaktype": "somevalue", "property": "P190"}
    p = tmp_path / "Special_EntityData_Q2112.json"
    p.write_text(json.dumps({"entities": {"Q2112": e}}), encoding="utf-8")
    rs = parse_entity_file(p)
    assert rs.excluded == {"deprecated P190 statements": 1}
    assert [(r.column, r.reason) for r in rs.rejects] == [("P190", "P190 statement without an item value "
                                                                   "(somevalue)")]
    assert len(rs.agreements) == 6
    rochdale = next(a for a in rs.agreements if a.partners[1] == "Q474605")
    assert rochdale.end_date == PartialDate(2019, 3) and rochdale.end_date.precision == "month"
    ref = next(s for s in rs.sources if s.url and "rochdale" in s.url)
    assert ref.retrieved == PartialDate(2023, 4, 1)


def _dump_lines(n_copies=3):
    """A dump made of the real entities, with renumbered copies so there are several lines."""
    lines = []
    for base in (_bielefeld(), _weimar()):
        for i in range(n_copies):
            e = copy.deepcopy(base)
            if i:
                e["id"] = f"{base['id']}{i}"
            lines.append(json.dumps(e, ensure_ascii=False))
    plain = {"type": "item", "id": "Q42", "labels": {"en": {"language": "en", "value": "Douglas Adams"}},
             "claims": {}}
    prop = {"type": "property", "id": "P190", "claims": {}}
    return [*lines, json.dumps(plain), json.dumps(prop)]


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".json.bz2"])
def test_dump_streamed_plain_gzip_bz2(tmp_path, suffix):
    text = "[\n" + ",\n".join(_dump_lines()) + "\n]\n"
    p = tmp_path / f"latest-all{suffix}"
    opener = {".json": open, ".json.gz": gzip.open, ".json.bz2": bz2.open}[suffix]
    with opener(p, "wt", encoding="utf-8") as f:
        f.write(text)
    rs = detect_and_parse([p])
    assert rs.rows_read == 6  # entities with P190
    assert rs.excluded == {"entities without P190 statements": 1, "entities that are not items (properties, "
                                                                   "lexemes)": 1}
    assert len(rs.agreements) == 3 * 8 + 3 * 5
    assert {o.line for o in (a.origin for a in rs.agreements)} == {2, 3, 4, 5, 6, 7}  # line in the dump
    assert {x.key for x in rs.localities} >= {"Q2112", "Q21121", "Q3955", "Q39552"}


def test_dump_bad_line_is_rejected_and_truncation_is_an_error(tmp_path):
    lines = _dump_lines(1)
    p = tmp_path / "dump.json"
    p.write_text("[\n" + lines[0] + ",\n{\"id\": \"Q1\", broken,\n" + lines[1] + "\n]\n", encoding="utf-8")
    rs = parse_entity_file(p)
    assert rs.rows_read == 3 and [(r.line, r.reason[:12]) for r in rs.rejects] == [(3, "invalid JSON")]
    cut = tmp_path / "cut.json"
    cut.write_text("[\n" + lines[0] + ",\n" + lines[1][: len(lines[1]) // 2], encoding="utf-8")
    with pytest.raises(InputError, match="truncated: no closing ']'; line 3 is cut off"):
        parse_entity_file(cut)
    gz = tmp_path / "cut.json.gz"
    gz.write_bytes(gzip.compress(("[\n" + lines[0] + ",\n" + lines[1] + "\n]\n").encode())[:-200])
    with pytest.raises(InputError, match="truncated"):
        parse_entity_file(gz)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"\x00\x01\x02binary", "binary content"),
    (b"Bielefeld,Germany", "not JSON"),
    (b'{"entities": {"Q2112": {"id": "Q2112", "claims": {"P190": [', "invalid JSON .* looks truncated"),
    (b'{"error": {"code": "no-such-entity", "info": "Could not find an entity"}}',
     "the Wikidata API answered with an error: Could not find an entity"),
])
def test_malformed_entity_files(tmp_path, content, message):
    p = tmp_path / "entity.json"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        detect_and_parse([p])


def test_missing_entity_is_rejected(tmp_path):
    p = tmp_path / "wbgetentities.json"
    missing = {"id": "Q999999999", "missing": ""}
    p.write_text(json.dumps({"entities": {"Q3955": _weimar(), "Q999999999": missing}}), encoding="utf-8")
    rs = parse_entity_file(p)
    assert rs.rows_read == 2 and [r.reason for r in rs.rejects] == ["the entity is missing (deleted or never "
                                                                    "existed)"]
