"""``twinrdf convert`` on every shared data file: the counts add up, nothing is lost.

For each file: rows_read is the number of data rows in the file; every row is either in the
output or in the rejects report (rows_read == rows_output + rows_rejected, and the rejects
report names exactly rows_rejected distinct rows); the output parses. Malformed files exit
with code 2 and one line of error, never a traceback.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pyoxigraph as ox
import pytest

from tests.support.paths import P190_CRAWL, WIKIBASE_SDK, WIKIPEDIA_GEOCODED, WIKIPEDIA_RAW
from twinrdf.convert import convert
from twinrdf.resources import as_path, examples_dir

MAPPINGS = as_path(examples_dir()) / "mappings"
OPTIONAL_MAPPING = """
from: {wikidata: composer, name: composerLabel, lang: composerLabel@lang}
to: {wikidata: director, name: directorLabel, lang: directorLabel@lang}
agreement: {start_date: publicationDate}
"""


def _data_rows(path, header=True):
    with open(path, encoding="utf-8", newline="") as f:
        n = sum(1 for _ in csv.reader(f, delimiter="\t" if path.suffix == ".tsv" else ","))
    return n - 1 if header else n


CASES = {
    "twin_cities_raw": ([WIKIPEDIA_RAW], MAPPINGS / "wikipedia-twin-lists-raw.yaml",
                        _data_rows(WIKIPEDIA_RAW)),
    "twin_cities_geocoded": ([WIKIPEDIA_GEOCODED], MAPPINGS / "wikipedia-twin-lists-geocoded.yaml",
                             _data_rows(WIKIPEDIA_GEOCODED)),
    "p190_crawl": ([P190_CRAWL / "relations.tsv"], MAPPINGS / "wikidata-p190-crawl-2016.yaml",
                   _data_rows(P190_CRAWL / "relations.tsv", header=False)),
    "Q2112": ([WIKIBASE_SDK / "Q2112.json"], None, 1),
    "weimar": ([P190_CRAWL / "weimar.json"], None, 1),
    "wdqs_labels": ([WIKIBASE_SDK / "results_with_labels_descriptions_and_aliases.json"], None, 50),
    "wdqs_multi_vars": ([WIKIBASE_SDK / "multi_vars_sparql_results.json"], None, 3),
    "wdqs_optional": ([WIKIBASE_SDK / "sparql_results_with_optional_values.json"], "optional", 1),
}


def _convert(case, tmp_path):
    inputs, mapping, expected_rows = CASES[case]
    if mapping == "optional":
        mapping = tmp_path / "optional.yaml"
        mapping.write_text(OPTIONAL_MAPPING, encoding="utf-8")
    out, rej, summ = tmp_path / "out.nt", tmp_path / "rejects.csv", tmp_path / "summary.json"
    summary, rejects = convert(inputs, out, mapping=mapping, rejects_path=rej, summary_path=summ)
    return expected_rows, out, rej, summ, summary, rejects


@pytest.mark.parametrize("case", list(CASES))
def test_every_row_of_every_shared_file_is_accounted_for(case, tmp_path):
    expected_rows, out, rej, summ, summary, rejects = _convert(case, tmp_path)
    s = json.loads(summ.read_text(encoding="utf-8"))
    assert s["rows_read"] == expected_rows
    assert s["rows_read"] == s["rows_output"] + s["rows_rejected"]
    with open(rej, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(rejects)
    assert len({(r["file"], r["line"]) for r in rows if r["file"]}) == s["rows_rejected"]
    assert all(r["reason"] for r in rows)
    triples = list(ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == s["triples_written"] > 0
    assert s["localities"] > 0
    if case == "twin_cities_raw":  # the largest input is converted once, so its checks live here
        _raw_list_counts_and_merges(out, summary, rejects)


def _raw_list_counts_and_merges(out, summary, rejects):
    # Three rows list a town as its own twin once names are resolved (e.g. line 12171
    # "Nienburg,Germany,Nienburg,Germany": two different Nienburgs the scrape cannot tell apart).
    assert {(r.line, r.reason) for r in rejects} >= {(12171, "both partners resolve to the same locality")}
    assert summary.merged_pairs > 1000  # A-lists-B and B-lists-A became one agreement
    assert summary.one_sided_pairs > 20 * summary.merged_pairs / 2  # the well-known one-sidedness
    assert summary.agreements == summary.merged_pairs + (summary.agreements - summary.merged_pairs)
    g = ox.Store()
    g.bulk_load(path=str(out), format=ox.RdfFormat.N_TRIPLES)
    q = """PREFIX twin: <https://w3id.org/twinrdf/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE {
      ?a twin:listing ?l ; twin:partner ?k . ?k rdfs:label "Keighley"@en }"""
    (row,) = list(g.query(q))
    assert int(row["n"].value) >= 2


@pytest.mark.parametrize(("content", "name", "mapping"), [
    (b"", "empty.csv", True),
    (b"\x00\x01\x02\x03", "binary.csv", True),
    (b"city1;country1;city2;country2\nBerat;Albania;Amasya;Turkey\n", "semicolons.csv", True),
    (b'{"entities": {"Q2112": {"id": "Q2112", "claims": {', "truncated.json", False),
    (b"", "empty.json", False),
])
def test_malformed_files_exit_2_with_one_clear_line(tmp_path, content, name, mapping):
    p = tmp_path / name
    p.write_bytes(content)
    cmd = [sys.executable, "-m", "twinrdf.cli", "convert", str(p), "-o", str(tmp_path / "o.ttl")]
    if mapping:
        cmd += ["--mapping", str(MAPPINGS / "wikipedia-twin-lists-raw.yaml")]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.startswith("error: ") and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "o.ttl").exists()


def test_reports_provenance_and_graph_per_source(tmp_path):
    import hashlib

    with open(WIKIPEDIA_RAW, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f)
                if r[0] in ("city1", "Kłodzko", "Halle (Saale)")
                or r[2] in ("Kłodzko (rural gmina)", "Halle")]
    table = tmp_path / "halle.csv"
    with open(table, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    mapping = MAPPINGS / "wikipedia-twin-lists-raw.yaml"
    out = tmp_path / "out.nq"
    inputs = [WIKIBASE_SDK / "Q2112.json", P190_CRAWL / "weimar.json"]
    r = subprocess.run([sys.executable, "-m", "twinrdf.cli", "convert", *map(str, inputs), "-o", str(out),
                        "--graph-per-source", "--provenance", "--one-sided", str(tmp_path / "one.csv")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "one.csv", encoding="utf-8", newline="") as f:
        one = list(csv.DictReader(f))
    assert len(one) == 13 and {x["listed_by"] for x in one} == {"Q2112", "Q3955"}
    assert next(x for x in one if x["partner"] == "Q3138")["listed_by_name"] == "Weimar"
    store = ox.Store()
    store.bulk_load(path=str(out), format=ox.RdfFormat.N_QUADS)
    graphs = {g.value.rsplit("/", 1)[-1] for g in store.named_graphs()}
    assert graphs == {"Q2112.json", "weimar.json"}
    q = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX spdx: <http://spdx.org/rdf/terms#>
    SELECT ?name ?sum WHERE { ?ds prov:wasGeneratedBy ?run . ?run a prov:Activity ; prov:used ?f .
      ?f rdfs:label ?name ; spdx:checksum/spdx:checksumValue ?sum }"""
    got = {(b["name"].value, b["sum"].value) for b in store.query(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + q)}
    assert got == {(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in inputs}

    review = tmp_path / "review.csv"
    r = subprocess.run([sys.executable, "-m", "twinrdf.cli", "convert", str(table), "--mapping", str(mapping),
                        "-o", str(tmp_path / "t.ttl"), "--review", str(review), "--provenance"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    with open(review, encoding="utf-8", newline="") as f:
        items = {x["kind"]: x for x in csv.DictReader(f)}
    dropped = items["qualifier-dropped"]
    assert dropped["merged"] == "yes" and "Halle (Saale)" in dropped["names"]
    assert items["kind-qualifier"]["merged"] == "no"
    assert "to review" in r.stdout
    ttl = (tmp_path / "t.ttl").read_text(encoding="utf-8")
    assert "prov#Plan" in ttl or "prov:Plan" in ttl  # the mapping is recorded as the plan


def test_strict_writes_nothing_when_a_row_is_rejected(tmp_path):
    out = tmp_path / "o.ttl"
    r = subprocess.run([sys.executable, "-m", "twinrdf.cli", "convert",
                        str(WIKIBASE_SDK / "multi_vars_sparql_results.json"), "-o", str(out), "--strict"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 1 and not out.exists()
    assert "blank node" in r.stderr
