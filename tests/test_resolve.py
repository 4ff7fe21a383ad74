"""Entity resolution and country normalisation, on rows taken from the shared files.

Each case quotes the real row (file and line) it comes from, so that a regression points back
at the data that motivated the rule.
"""

from __future__ import annotations

import csv
import functools

import pytest

from tests.support.paths import WIKIPEDIA_GEOCODED, WIKIPEDIA_RAW
from twinrdf.countries import country_records, normalise_country
from twinrdf.names import clean_name, fold, is_kind_qualifier, split_qualifier
from twinrdf.records import Origin
from twinrdf.resolve import Resolver, distance_km


@functools.cache
def _all_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [{**row, "line": line} for line, row in enumerate(csv.DictReader(f), start=2)]


def _rows(path, *predicates):
    """The real rows of a shared file for which any predicate holds (row dicts with 'line')."""
    return [row for row in _all_rows(path) if any(p(row) for p in predicates)]


def _resolve(rows, geo=False, **kw):
    r = Resolver(**kw)
    pairs = []
    for row in rows:
        o = Origin("t.csv", row["line"])
        a = r.add(row["city1"], row["country1"], *(
            (float(row["lat1"]), float(row["lng1"])) if geo else (None, None)), lang="en", origin=o)
        b = r.add(row["city2"], row["country2"], *(
            (float(row["lat2"]), float(row["lng2"])) if geo else (None, None)), lang="en", origin=o)
        pairs.append((a, b))
    res = r.finish()
    return res, [(res.keys[a], res.keys[b]) for a, b in pairs]


# ----------------------------------------------------------------------------- countries


@pytest.mark.parametrize(("text", "code", "how"), [
    ("England", "GB-ENG", "alias"),
    ("England, United Kingdom", "GB-ENG", "alias"),
    ("Scotland, United Kingdom", "GB-SCT", "alias"),
    ("Wales", "GB-WLS", "alias"),
    ("Northern Ireland, United Kingdom", "GB-NIR", "alias"),
    ("United Kingdom", "GB", "name"),
    ("UK", "GB", "alias"),
    ("GB-SCT", "GB-SCT", "code"),
    ("DEU", "DE", "code"),
    ("Georgia (country)", "GE", "name"),
    ("Republic of Ireland", "IE", "alias"),
    ("in Italy", "IT", "name"),
    ("São Tomé and Príncipe", "ST", "name"),
    ("Russia", "RU", "alias"),
    ("Kosovo", "XK", "alias"),
    ("Réunion, France", "RE", "name"),
    ("Åland Islands, Finland", "AX", "name"),
    ("USSR", "SUHH", "historic"),
    ("Yugoslavia", "YUCS", "historic"),
    ("Czechoslovakia", "CSHH", "historic"),
    ("German Democratic Republic", "DDDE", "historic"),
    ("East Germany", "DDDE", "alias"),
    ("West Germany", "DE", "alias"),
])
def test_country_strings_of_the_wikipedia_lists(text, code, how):
    m = normalise_country(text)
    assert m is not None and m.code == code and m.how == how


def test_every_country_string_of_the_raw_list_is_resolved_or_known_to_have_no_code():
    values = {r[k] for r in _rows(WIKIPEDIA_RAW, lambda r: True) for k in ("country1", "country2")}
    unresolved = sorted(v for v in values if v and (normalise_country(v) is None))
    assert unresolved == []
    # "Island" (Norðurþing's country) is Iceland in German, Danish and Swedish; "Grece" is French.
    assert normalise_country("Island").code == "IS" and normalise_country("Grece").code == "GR"
    assert normalise_country("Allemagne").code == "DE" and normalise_country("Niemcy").code == "DE"
    assert normalise_country("Northern Cyprus").code is None  # real, but no ISO 3166 code


def test_region_before_the_country_is_kept_apart_from_the_code():
    m = normalise_country("Brandenburg, Germany")
    assert (m.code, m.region, m.how) == ("DE", "Brandenburg", "region")
    assert normalise_country("New York, United States").code == "US"


def test_typos_are_resolved_but_flagged_uncertain():
    for text, code in [("Kazakhstah", "KZ"), ("Japa", "JP")]:
        m = normalise_country(text)
        assert m.code == code and m.how == "fuzzy" and not m.certain


def test_country_records_for_codes_the_builder_cannot_mint():
    recs = {r.key: r for r in country_records(["GB-ENG", "DE", "SUHH", "XK", None])}
    assert set(recs) == {"GB-ENG", "SUHH", "XK"}
    assert recs["GB-ENG"].country == "GB" and recs["GB-ENG"].names == [("England", "en")]
    assert recs["GB-ENG"].scope == "Country" and recs["XK"].names == [("Kosovo", "en")]


# ----------------------------------------------------------------------------- names


def test_wiki_markup_and_footnotes_are_cleaned():
    assert clean_name("[[Keighley]]") == "Keighley"
    assert clean_name("[[Halle (Saale)|Halle]]<ref>Partnerstädte</ref>") == "Halle"
    assert clean_name("''Bielefeld''[1]") == "Bielefeld"
    assert clean_name("{{lang|pl|Świdnica}} &amp; co") == "Świdnica & co"
    assert clean_name("Rochdale[citation needed]") == "Rochdale"


def test_fold_ignores_case_diacritics_and_punctuation():
    assert fold("Świdnica") == fold("SWIDNICA")
    assert fold("Saint-Étienne") == fold("saint etienne")
    assert fold("Ch’ŏngjin") == "chongjin"
    assert fold("Łódź") == "lodz"
    assert fold("Vienna 1 – Innere Stadt") == "vienna 1 innere stadt"


def test_qualifiers_are_split_and_kinds_recognised():
    assert split_qualifier("Świdnica (rural gmina)") == ("Świdnica", "rural gmina")
    assert split_qualifier("Kinross, Perth and Kinross") == ("Kinross", "Perth and Kinross")
    assert split_qualifier("Bielefeld") == ("Bielefeld", None)
    assert is_kind_qualifier("rural gmina") and is_kind_qualifier("district")
    assert not is_kind_qualifier("Saale") and not is_kind_qualifier("Tokyo")


# ----------------------------------------------------------------------------- resolution


def test_england_and_england_united_kingdom_are_one_locality():
    # Keighley is listed as "England" on its own page and "England, United Kingdom" abroad.
    rows = _rows(WIKIPEDIA_RAW, lambda r: "Keighley" in (r["city1"], r["city2"]))
    countries = {r["country1"] if r["city1"] == "Keighley" else r["country2"] for r in rows}
    assert len(countries) > 1, countries  # the noise is really there
    res, pairs = _resolve(rows)
    keys = {k for p, r in zip(pairs, rows, strict=True) for k, c in zip(p, ("city1", "city2"), strict=True)
            if r[c] == "Keighley"}
    assert keys == {"gb.keighley"}
    loc = next(x for x in res.localities if x.key == "gb.keighley")
    assert loc.country == "GB-ENG"  # the most specific code wins


@pytest.mark.parametrize("pair", [("Bury", "Angoulême"), ("Kutaisi", "Gomel"), ("Dublin", "Liverpool")])
def test_a_pair_listed_from_both_sides_resolves_to_the_same_two_keys(pair):
    # Bury is "England" on its own page, "England, United Kingdom" on Angoulême's; Kutaisi is
    # "Georgia (country)" and "Georgia"; Dublin "Republic of Ireland" and "Ireland".
    rows = _rows(WIKIPEDIA_RAW, lambda r: (r["city1"], r["city2"]) in (pair, pair[::-1]))
    assert len(rows) == 2
    spelled = {r["country1"] if r["city1"] == pair[0] else r["country2"] for r in rows}
    assert len(spelled) == 2  # the first city's country is written differently on the two pages
    _res, pairs = _resolve(rows)
    assert pairs[0] == pairs[1][::-1] and pairs[0][0] != pairs[0][1]


def test_place_qualifier_dropped_when_it_is_the_only_variant():
    halle = ("Halle", "Halle (Saale)")
    rows = _rows(WIKIPEDIA_RAW, lambda r: r["city1"] in halle and r["country1"] == "Germany",
                 lambda r: r["city2"] in halle and r["country2"] == "Germany")
    assert {r[c] for r in rows for c in ("city1", "city2")} >= set(halle)
    res, pairs = _resolve(rows)
    keys = {k for p, r in zip(pairs, rows, strict=True)
            for k, c in zip(p, ("city1", "city2"), strict=True) if r[c] in halle}
    assert len(keys) == 1
    pairs = [(None, next(iter(keys)))]
    merged = [x for x in res.review if x.kind == "qualifier-dropped"]
    assert merged and merged[0].merged and "Halle (Saale)" in merged[0].names
    loc = next(x for x in res.localities if x.key == pairs[0][1])
    assert loc.names[0] == ("Halle", "en") and ("Halle (Saale)", "en") in loc.names


def test_kind_qualifier_is_reported_not_merged():
    rows = _rows(WIKIPEDIA_RAW, lambda r: r["city2"] in ("Kłodzko", "Kłodzko (rural gmina)"))
    assert {r["city2"] for r in rows} == {"Kłodzko", "Kłodzko (rural gmina)"}
    res, pairs = _resolve(rows)
    assert len({b for _a, b in pairs}) == 2
    item = next(x for x in res.review if x.kind == "kind-qualifier")
    assert not item.merged and "rural gmina" in item.message


def test_several_qualified_variants_make_the_plain_name_ambiguous():
    rows = _rows(WIKIPEDIA_RAW, lambda r: r["city1"].startswith("Bayside"),
                 lambda r: r["city2"].startswith("Bayside"))
    names = {r[c] for r in rows for c in ("city1", "city2") if r[c].startswith("Bayside")}
    assert {"Bayside", "Bayside, New South Wales", "Bayside, Victoria"} <= names
    res, pairs = _resolve(rows)
    keys = {k for p in pairs for k in p if k.startswith("au.bayside")}
    assert len(keys) == 3
    assert any(x.kind == "ambiguous-qualifier" and not x.merged for x in res.review)


def test_constituent_countries_keep_homonyms_apart():
    rows = _rows(WIKIPEDIA_RAW, lambda r: "Bangor" in (r["city1"], r["city2"]))
    res, pairs = _resolve(rows)
    by_country = {}
    for p, r in zip(pairs, rows, strict=True):
        for k, c, cc in ((p[0], "city1", "country1"), (p[1], "city2", "country2")):
            if r[c] == "Bangor":
                by_country.setdefault(normalise_country(r[cc]).code, set()).add(k)
    assert by_country["GB-WLS"].isdisjoint(by_country["GB-NIR"])
    assert any(x.kind == "same-name-subdivisions" for x in res.review)


def test_country_taken_from_the_name_when_the_column_is_empty():
    rows = _rows(WIKIPEDIA_RAW, lambda r: r["city2"] == "Varna, Bulgaria" or r["city1"] == "Varna")
    assert any(r["country2"] == "" for r in rows)
    _res, pairs = _resolve(rows)
    assert {p[1] for p, r in zip(pairs, rows, strict=True) if r["city2"].startswith("Varna")} == {"bg.varna"}


def test_coordinates_keep_namesakes_apart_and_merge_spelling_variants():
    rows = _rows(WIKIPEDIA_GEOCODED, lambda r: {r["city1"], r["city2"]} & {"Munster", "Münster"},
                 lambda r: {r["city1"], r["city2"]} & {"Feodosia", "Feodosiya"})
    res, pairs = _resolve(rows, geo=True)
    keys = {}
    for p, r in zip(pairs, rows, strict=True):
        for k, c in zip(p, ("city1", "city2"), strict=True):
            keys.setdefault(r[c], set()).add(k)
    assert keys["Munster"].isdisjoint(keys["Münster"])  # Lower Saxony vs Westphalia, 170 km apart
    assert keys["Feodosia"] == keys["Feodosiya"]
    kinds = {x.kind for x in res.review}
    assert {"same-name-apart", "near-duplicate-merged"} <= kinds


def test_without_coordinates_similar_names_are_only_reported():
    rows = _rows(WIKIPEDIA_RAW, lambda r: {r["city1"], r["city2"]} & {"Feodosia", "Feodosiya"})
    res, pairs = _resolve(rows)
    keys = {r[c]: k for p, r in zip(pairs, rows, strict=True)
            for k, c in zip(p, ("city1", "city2"), strict=True)}
    assert keys["Feodosia"] != keys["Feodosiya"]
    assert any(x.kind == "similar-names" and not x.merged for x in res.review)


def test_wikidata_ids_decide_before_names():
    r = Resolver()
    a = r.add("Weimar", "Germany", wikidata="Q3955")
    b = r.add("[[Weimar]]", "Deutschland", wikidata="Q3955")
    c = r.add("Springfield", "United States", wikidata="Q28515")
    d = r.add("Springfield", "United States", wikidata="Q49219")
    res = r.finish()
    assert res.keys[a] == res.keys[b] == "Q3955"
    assert res.keys[c] != res.keys[d]
    assert any(x.kind == "homonyms" for x in res.review)


def test_distance():
    assert distance_km((52.0167, 8.5333), (50.9833, 11.3167)) == pytest.approx(220, abs=5)  # Bielefeld-Weimar
