"""The seed dataset (examples/seed): current, complete, sourced, and honest about Wikidata ids.

- seed.ttl is what ``twinrdf convert examples/seed/ -o seed.ttl`` writes now (same graph, same bytes);
- every row converts, none is rejected;
- every sentence and caption of the seed text is quoted by a source row, and the source rows
  are cited by the nodes they support;
- every Wikidata id is one that ../shared/data states, as docs/seed.md records it;
- dates keep their precision and names their language in the output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import to_isomorphic

from tests.support.paths import P190_CRAWL, ROOT, SEED_TEXT
from tests.support.seed import SEED_DIR, SEED_TTL, table_rows
from twinrdf.cli import main
from twinrdf.convert import convert

TABLES = ("sources", "localities", "agents", "agreements", "status_changes", "signings", "documents",
          "activities", "territorial")
# Source rows that quote general statements of the article, about no node of the dataset.
GENERAL_STATEMENTS = {"wp-definition-r1", "wp-any-scope"}
PROV = "http://www.w3.org/ns/prov#"
TWIN = "https://w3id.org/twinrdf/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, list]:
    out = tmp_path_factory.mktemp("seed") / "seed.ttl"
    summary, rejects = convert([SEED_DIR], out)
    return out, summary, rejects


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(path=str(SEED_TTL), format=ox.RdfFormat.TURTLE)
    return s


def test_committed_seed_ttl_is_the_current_conversion(converted):
    out, _summary, _rejects = converted
    fresh, committed = Graph().parse(out), Graph().parse(SEED_TTL)
    assert to_isomorphic(fresh) == to_isomorphic(committed), (
        "examples/seed/seed.ttl is stale: run twinrdf convert examples/seed/ -o examples/seed/seed.ttl")
    assert out.read_bytes() == SEED_TTL.read_bytes(), "the writer is deterministic: same bytes expected"


def test_the_cli_converts_the_seed_folder(tmp_path: Path):
    out = tmp_path / "seed.ttl"
    result = CliRunner().invoke(main, ["convert", str(SEED_DIR), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SEED_TTL.read_bytes()


def test_every_row_is_converted_and_none_rejected(converted):
    _out, summary, rejects = converted
    data_rows = sum(len(table_rows(t)) for t in TABLES)
    assert rejects == []
    assert summary.rows_read == data_rows
    assert summary.rows_output == data_rows and summary.rows_rejected == 0
    assert summary.agreements == len(table_rows("agreements"))
    assert summary.localities == len(table_rows("localities"))


def _seed_passages() -> list[str]:
    """Sentences and captions of the seed text: footnote markers removed, spacing normalised."""
    lines = SEED_TEXT.read_text(encoding="utf-8").splitlines()[1:]  # the first line is the title
    out = []
    for line in lines:
        text = re.sub(r"\[\d+\]", "", line)
        text = re.sub(r"\s+([,.;])", r"\1", text)
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            out.append(text)
    return out


def test_every_sentence_and_caption_of_the_seed_text_is_quoted():
    quotations = sorted({r["quotation"] for r in table_rows("sources")}, key=len, reverse=True)
    passages = _seed_passages()
    assert len(passages) >= 25
    for passage in passages:
        rest = passage
        for q in quotations:
            rest = rest.replace(q, " ")
        assert rest.strip(" ,.;") == "", f"not quoted by any source row: {rest.strip()!r} in {passage!r}"


def test_every_source_row_supports_a_node_except_general_statements(store: ox.Store):
    cited = {
        r["s"].value.rsplit("/", 1)[1]
        for r in store.query(f"SELECT DISTINCT ?s WHERE {{ ?x <{PROV}wasDerivedFrom> ?s }}")
    }
    ids = {r["id"] for r in table_rows("sources")}
    assert ids - cited == GENERAL_STATEMENTS


def test_reference_numbers_are_single_numbers_of_the_article():
    for r in table_rows("sources"):
        assert r["url"] == "https://en.wikipedia.org/wiki/Sister_city" and r["title"] == "Sister city"
        assert r["reference_number"] == "" or r["reference_number"].isdigit(), r["id"]
        if r["reference_number"]:
            assert r["id"].endswith(f"-r{r['reference_number']}"), r["id"]


def _names_tsv() -> dict[str, str]:
    out = {}
    for line in (P190_CRAWL / "names.tsv").read_text(encoding="utf-8").splitlines():
        qid, _, label = line.partition("\t")
        out[qid] = label
    return out


def test_every_wikidata_id_is_stated_by_shared_data_and_documented():
    names = _names_tsv()
    doc = (ROOT / "docs" / "seed.md").read_text(encoding="utf-8")
    rows = [r for t in ("localities", "agents") for r in table_rows(t) if r["wikidata"]]
    assert len(rows) >= 15
    for r in rows:
        qid = r["wikidata"]
        assert qid in names, f"{r['id']}: {qid} is not stated in {P190_CRAWL / 'names.tsv'}"
        label = names[qid]
        assert sum(1 for v in names.values() if v == label) == 1, f"{label!r} is ambiguous in names.tsv"
        assert f"| {r['id']} | {qid} | {label} (" in doc, f"docs/seed.md does not record {r['id']} = {qid}"


def test_dates_keep_their_precision_and_names_their_language(store: ox.Store):
    base = "https://w3id.org/twinrdf/data/"
    checks = [
        (f"<{base}agreement/tromso-anchorage> <{TWIN}startDate> \"1969-09\"^^<{XSD}gYearMonth>"),
        (f"<{base}agreement/keighley-poix-du-nord> <{TWIN}startDate> \"1920\"^^<{XSD}gYear>"),
        (f"<{base}activity/early-links-9th-century> <{TWIN}notBefore> \"0801\"^^<{XSD}gYear>"),
        (f"<{base}activity/lords-debate-2014> <{TWIN}date> \"2014-03\"^^<{XSD}gYearMonth>"),
        (f"<{base}locality/volgograd> <http://www.w3.org/2004/02/skos/core#altLabel> \"Волгоград\"@ru"),
        (f"<{base}locality/tromso> <http://www.w3.org/2000/01/rdf-schema#label> \"Tromsø\"@en"),
        (f"<{base}locality/shusha> <{TWIN}disputed> true"),
    ]
    for triple in checks:
        assert store.query(f"ASK {{ {triple} }}"), triple


def test_readme_counts_match_the_tables():
    readme = (SEED_DIR / "README.md").read_text(encoding="utf-8")
    for t in TABLES:
        m = re.search(rf"^\| `{t}\.csv` \| (\d+) \|", readme, re.M)
        assert m, f"README.md does not list {t}.csv"
        assert int(m.group(1)) == len(table_rows(t)), t


def test_the_seed_conforms_to_the_shapes():
    from twinrdf.validate import validate

    outcome = validate([str(SEED_TTL)], engine="oxigraph")  # same results as pyshacl, 8x faster
    assert outcome.triples > 1000  # the seed (and the ontology) were read
    assert outcome.conforms, [r.as_dict() for r in outcome.results if r.severity == "Violation"]
