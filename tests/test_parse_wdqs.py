"""WDQS SPARQL JSON results: the three real answers from wikibase-sdk, and the usual twin-pair
query shape, answered with Weimar's real P190 statements and the crawl's labels."""

from __future__ import annotations

import json

import pytest

from tests.support.paths import P190_CRAWL, WIKIBASE_SDK
from twinrdf.parse import InputError, detect_and_parse
from twinrdf.parse.mapping import parse_mapping
from twinrdf.parse.wdqs import parse_results

WD = "http://www.wikidata.org/entity/"


def test_label_service_output_entity_mode():
    rs = parse_results(WIKIBASE_SDK / "results_with_labels_descriptions_and_aliases.json")
    assert rs.rows_read == 50 and len(rs.localities) == 50 and not rs.rejects and not rs.agreements
    k = next(x for x in rs.localities if x.key == "Q6512")
    assert k.names[0] == ("Søren Kierkegaard", "en")
    assert ("Victor Eremita", "en") in k.names and ("Anti-Climacus", "en") in k.names  # itemAltLabel split
    assert k.descriptions == [("Danish philosopher and theologian, founder of Existentialism", "en")]


def test_blank_node_rows_are_rejected():
    rs = parse_results(WIKIBASE_SDK / "multi_vars_sparql_results.json")
    assert rs.rows_read == 3 and [x.key for x in rs.localities] == ["Q3731207", "Q505932"]
    (r,) = rs.rejects
    assert (r.line, r.column, r.value) == (2, "entity", "t284055162") and "blank node" in r.reason


def test_optional_values_through_a_mapping():
    path = WIKIBASE_SDK / "sparql_results_with_optional_values.json"
    with pytest.raises(InputError, match="no variable names an item or a twin pair"):
        parse_results(path)
    m = parse_mapping("""
from: {wikidata: composer, name: composerLabel, lang: composerLabel@lang, country: countryOfOriginLabel}
to: {wikidata: director, name: directorLabel, lang: directorLabel@lang}
agreement: {start_date: publicationDate, note: genreLabel}
""")
    rs = parse_results(path, m)
    (a,) = rs.agreements
    assert a.partners == ["Q952428", "Q13704719"]
    assert str(a.start_date) == "2013-01-01" and a.note is None  # the optional ?genreLabel is unbound
    composer = next(x for x in rs.localities if x.key == "Q952428")
    assert composer.names == [("David Newman", "fr")]
    assert composer.country_name is None and composer.country == "DE"  # "Allemagne"
    bad = parse_mapping("from: {wikidata: composer}\nto: {wikidata: nobody}\n")
    with pytest.raises(InputError, match="variables the answer does not have: nobody"):
        parse_results(path, bad)


def _weimar_answer():
    """What ``SELECT ?city ?cityLabel ?twin ?twinLabel ?start ?country ?countryLabel ?coord`` gives."""
    e = json.loads((P190_CRAWL / "weimar.json").read_text(encoding="utf-8"))["entities"]["Q3955"]
    names = dict(line.split("\t", 1) for line in (P190_CRAWL / "names.tsv").read_text(encoding="utf-8")
                 .splitlines())
    coord = e["claims"]["P625"][0]["mainsnak"]["datavalue"]["value"]
    rows = []
    for s in e["claims"]["P190"]:
        twin = s["mainsnak"]["datavalue"]["value"]["id"]
        t = s["qualifiers"]["P580"][0]["datavalue"]["value"]["time"].lstrip("+")
        rows.append({
            "city": {"type": "uri", "value": WD + "Q3955"},
            "cityLabel": {"type": "literal", "xml:lang": "en", "value": "Weimar"},
            "twin": {"type": "uri", "value": WD + twin},
            "twinLabel": {"type": "literal", "xml:lang": "en", "value": names[twin]},
            "start": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "value": t},
            "country": {"type": "uri", "value": WD + "Q183"},
            "countryLabel": {"type": "literal", "xml:lang": "en", "value": "Germany"},
            "coord": {"type": "literal", "datatype": "http://www.opengis.net/ont/geosparql#wktLiteral",
                      "value": f"Point({coord['longitude']} {coord['latitude']})"},
        })
    rows.append({"city": {"type": "uri", "value": WD + "Q3955"}, "twin": {"type": "bnode", "value": "b0"}})
    return {"head": {"vars": ["city", "cityLabel", "twin", "twinLabel", "start", "country", "countryLabel",
                              "coord"]}, "results": {"bindings": rows}}


def test_twin_pair_query_pair_mode(tmp_path):
    p = tmp_path / "query.json"
    p.write_text(json.dumps(_weimar_answer()), encoding="utf-8")
    rs = detect_and_parse([p])
    assert rs.rows_read == 6 and len(rs.agreements) == 5
    assert [(r.line, r.reason) for r in rs.rejects] == [(6, "a partner is a blank node, not a Wikidata item")]
    weimar = next(x for x in rs.localities if x.key == "Q3955")
    assert weimar.names[0] == ("Weimar", "en") and weimar.country == "DE"
    assert (weimar.lat, weimar.lon) == pytest.approx((50.9833, 11.3167), abs=1e-3)
    trier = next(a for a in rs.agreements if a.partners[1] == "Q3138")
    assert str(trier.start_date) == "1987-05-24" and trier.listings[0].listed_by == "Q3955"
    assert next(x for x in rs.localities if x.key == "Q3138").names[0][0] == "Trier"


@pytest.mark.parametrize(("content", "message"), [
    (b'{"head": {"vars": ["city"]}, "results": {"bindings": [', "looks truncated"),
    (b'{"head": {}, "boolean": true}', "an ASK answer"),
    (b'{"head": {"vars": ["city", "twin"]}}', "no results.bindings"),
])
def test_malformed_answers(tmp_path, content, message):
    p = tmp_path / "answer.json"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        detect_and_parse([p])
