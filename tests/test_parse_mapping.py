"""The mapping-file parser: validation, table formats, encodings, lookups, row rejects.

Tables are made from real rows of the shared files (the first rows of the Wikipedia-derived
list, the Weimar edges of the 2016 P190 crawl), written in the format under test.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.support.paths import P190_CRAWL, WIKIPEDIA_GEOCODED, WIKIPEDIA_RAW
from twinrdf.parse import InputError, detect_and_parse
from twinrdf.parse.mapping import MappingError, load_mapping, parse_mapped, parse_mapping
from twinrdf.resources import as_path, examples_dir

MAPPINGS = as_path(examples_dir()) / "mappings"
RAW_MAPPING = MAPPINGS / "wikipedia-twin-lists-raw.yaml"


def _head_rows(path, n):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        return [next(r) for _ in range(n + 1)]


RAW = _head_rows(WIKIPEDIA_RAW, 40)  # header + Berat, Durrës, Elbasan, Fier, ... (Albania)


def _write_delimited(path, rows, delim, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delim).writerows(rows)
    return path


def _summary(rs):
    return len(rs.agreements), sorted({k for a in rs.agreements for k in a.partners})


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("text", "message"), [
    ("from: {name: city1}\n", "'to' is a required property"),
    ("from: {name: city1}\nto: {name: city2}\ncolour: red\n", "unknown key"),
    ("from: {country: c1}\nto: {name: city2}\n", "from: needs a 'name' or a 'wikidata' field"),
    ("from: {name: city1, lat: 5}\nto: {name: city2}\n", "from.lat: expected a column name"),
    ("format: xls\nfrom: {name: a}\nto: {name: b}\n", "format: 'xls' is not one of"),
    ("encoding: klingon\nfrom: {name: a}\nto: {name: b}\n", "unknown encoding 'klingon'"),
    ("header: false\nfrom: {name: a}\nto: {name: b}\n", "needs a 'columns' list"),
    ("from: {name: {lookup: names, key: a}}\nto: {name: b}\n", "unknown lookup 'names'"),
    ("from: [unclosed\n", "not valid YAML"),
    ("- a\n- b\n", "a mapping file is a YAML or TOML table"),
])
def test_invalid_mappings_get_a_message_naming_the_key(text, message):
    with pytest.raises(MappingError) as e:
        parse_mapping(text)
    assert message in str(e.value)


def test_toml_and_yaml_mappings_read_alike(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('format = "csv"\nlang = "en"\n[from]\nname = "city1"\ncountry = "country1"\n'
                    '[to]\nname = "city2"\ncountry = "country2"\n', encoding="utf-8")
    data = _write_delimited(tmp_path / "t.csv", RAW, ",")
    a = parse_mapped(data, load_mapping(toml))
    b = parse_mapped(data, load_mapping(RAW_MAPPING))
    assert _summary(a) == _summary(b) and len(a.agreements) == 40
    bad = tmp_path / "bad.toml"
    bad.write_text("from = [", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(bad)


def test_the_shipped_mappings_are_valid():
    names = sorted(p.name for p in MAPPINGS.glob("*.yaml"))
    assert names == ["wikidata-p190-crawl-2016.yaml", "wikipedia-twin-lists-geocoded.yaml",
                     "wikipedia-twin-lists-raw.yaml"]
    for p in MAPPINGS.glob("*.yaml"):
        load_mapping(p)


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("fmt", "delim", "suffix"), [("csv", ",", ".csv"), ("tsv", "\t", ".tsv"),
                                                      ("psv", "|", ".psv")])
def test_delimited_formats(tmp_path, fmt, delim, suffix):
    data = _write_delimited(tmp_path / f"t{suffix}", RAW, delim)
    m = parse_mapping(RAW_MAPPING.read_text(encoding="utf-8").replace("format: csv", f"format: {fmt}"))
    rs = parse_mapped(data, m)
    assert rs.rows_read == 40 and len(rs.agreements) == 40 and not rs.rejects
    berat = next(x for x in rs.localities if x.key == "al.berat")
    assert berat.names == [("Berat", "en")] and berat.country == "AL"
    listing = rs.agreements[0].listings[0]
    assert (listing.listed_by, listing.listed_partner) == ("al.berat", "tr.amasya")
    assert listing.source == "wikipedia-twin-lists" and listing.origin.line == 2


def test_json_and_json_lines(tmp_path):
    header, *rows = RAW
    objs = [dict(zip(header, r, strict=True)) for r in rows]
    (tmp_path / "t.json").write_text(json.dumps({"data": {"pairs": objs}}), encoding="utf-8")
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(o) for o in objs) + "\n[1]\n{broken\n",
                                      encoding="utf-8")
    spec = RAW_MAPPING.read_text(encoding="utf-8")
    a = parse_mapped(tmp_path / "t.json", parse_mapping(spec.replace("format: csv", "format: json\n"
                                                                     "records: data.pairs")))
    b = parse_mapped(tmp_path / "t.jsonl", parse_mapping(spec.replace("format: csv", "format: jsonl")))
    assert _summary(a) == _summary(b) and len(a.agreements) == 40
    assert b.rows_read == 42 and [(r.line, r.reason[:16]) for r in b.rejects] == [
        (41, "expected a JSON "), (42, "invalid JSON: Ex")]


def test_utf8_bom_and_a_declared_legacy_encoding(tmp_path):
    rows = [RAW[0], *[r for r in RAW[1:] if any(ch in "ëçş" for ch in "".join(r))]]
    assert rows[1:], "rows with non-ASCII letters are expected among the first rows"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + _write_delimited(tmp_path / "x.csv", rows, ",").read_bytes())
    legacy = _write_delimited(tmp_path / "cp1252.csv", [r for r in rows if "ş" not in "".join(r)], ",",
                              encoding="cp1252")
    a = parse_mapped(bom, load_mapping(RAW_MAPPING))
    assert a.rows_read == len(rows) - 1 and not a.rejects
    assert "Gjirokastër" in {n for x in a.localities for n, _ in x.names}
    with pytest.raises(InputError, match="declare the file's encoding"):
        parse_mapped(legacy, load_mapping(RAW_MAPPING))
    m = parse_mapping(RAW_MAPPING.read_text(encoding="utf-8").replace("encoding: utf-8", "encoding: cp1252"))
    b = parse_mapped(legacy, m)
    assert "Gjirokastër" in {n for x in b.localities for n, _ in x.names}


def test_coordinates_from_the_geocoded_file_and_row_rejects(tmp_path):
    rows = _head_rows(WIKIPEDIA_GEOCODED, 6)
    rows[2][2] = "forty"  # lat1 of Berat -> Bağcılar
    rows[3][7] = "200.5"  # lng2 out of range
    rows[4] = rows[4][:5]  # a short row
    rows[5][4] = ""  # no city2
    data = _write_delimited(tmp_path / "g.csv", rows, ",")
    rs = parse_mapped(data, load_mapping(MAPPINGS / "wikipedia-twin-lists-geocoded.yaml"))
    got = sorted((r.line, r.column, r.reason) for r in rs.rejects)
    assert got == [
        (3, "lat1", "latitude is not a number"),
        (4, "lng2", "longitude 200.5 outside [-180, 180]"),
        (5, None, "row has 5 fields, the header has 8"),
        (6, "city2", "no name for the 'to' partner"),
    ]
    assert rs.rows_read == 6 and len(rs.agreements) + len(rs.rejects) == 6
    berat = next(x for x in rs.localities if x.key == "al.berat")
    assert (berat.lat, berat.lon) == (40.7022, 19.9583)


def test_constant_and_mapped_agreement_fields(tmp_path):
    rows = [["a", "b", "type", "since", "ref"],
            ["Bielefeld", "Rochdale", "twin town", "1953", "http://www.rochdale.gov.uk/"],
            ["Weimar", "Trier", "partner", "1987-05-24", ""],
            ["Weimar", "Siena", "partner", "24/05/1987", ""]]
    data = _write_delimited(tmp_path / "t.csv", rows, ",")
    m = parse_mapping("""
from: {name: a, country: {value: Germany}}
to: {name: b}
agreement:
  kind: {column: type, map: {twin town: TwinTown, partner: PartnerCity}}
  start_date: since
  source_url: ref
""")
    rs = parse_mapped(data, m)
    a, b = rs.agreements
    assert (a.kind, str(a.start_date), b.kind, str(b.start_date)) == ("TwinTown", "1953", "PartnerCity",
                                                                      "1987-05-24")
    assert a.start_date.precision == "year" and b.start_date.precision == "day"
    assert rs.rejects[0].line == 4 and "not a date" in rs.rejects[0].reason
    assert [s.url for s in rs.sources] == ["http://www.rochdale.gov.uk/"] and a.sources == [rs.sources[0].key]


# ----------------------------------------------------------------------------- lookups (P190 crawl)


def test_p190_crawl_edges_joined_with_their_names(tmp_path):
    rels = [line for line in (P190_CRAWL / "relations.tsv").read_text(encoding="utf-8").splitlines()
            if "Q3955" in line.split("\t")]  # Weimar's edges
    assert len(rels) >= 10
    (tmp_path / "relations.tsv").write_text("\n".join(rels) + "\n", encoding="utf-8")
    shutil.copy(P190_CRAWL / "names.tsv", tmp_path / "names.tsv")
    rs = detect_and_parse([tmp_path / "relations.tsv"], MAPPINGS / "wikidata-p190-crawl-2016.yaml")
    weimar = next(x for x in rs.localities if x.key == "Q3955")
    assert weimar.wikidata == "Q3955" and weimar.names[0][0] == "Weimar"
    assert all(x.key == x.wikidata for x in rs.localities)
    assert rs.rows_read == len(rels) == len(rs.agreements)
    out = {a.partners[1] for a in rs.agreements if a.partners[0] == "Q3955"}
    into = {a.partners[0] for a in rs.agreements if a.partners[1] == "Q3955"}
    assert out and into  # both directions are in the crawl
    assert rs.sources[0].retrieved is not None and str(rs.sources[0].retrieved) == "2016-09-12"


def test_a_missing_lookup_file_is_an_input_error(tmp_path):
    (tmp_path / "relations.tsv").write_text("Q3955\tQ2112\n", encoding="utf-8")
    with pytest.raises(InputError, match="lookup 'names': file 'names.tsv' not found"):
        parse_mapped(tmp_path / "relations.tsv", load_mapping(MAPPINGS / "wikidata-p190-crawl-2016.yaml"))


# ----------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"\n \n", "the file is empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary content"),
    (b"city1;country1;city2;country2\nBerat;Albania;Amasya;Turkey\n", "wrong delimiter"),
    (b"city1,country1,town2,country2\nBerat,Albania,Amasya,Turkey\n", "no column 'city2'"),
    (b'city1,country1,city2,country2\n"Berat,Albania,Amasya,Turkey\n', None),
])
def test_malformed_tables_raise_one_clear_error(tmp_path, content, message):
    p = tmp_path / "t.csv"
    p.write_bytes(content)
    if message is None:  # an unterminated quote swallows the rest: one malformed row, rejected
        rs = parse_mapped(p, load_mapping(RAW_MAPPING))
        assert rs.rows_read == 1 and len(rs.rejects) == 1
        return
    with pytest.raises(InputError, match=message):
        parse_mapped(p, load_mapping(RAW_MAPPING))
