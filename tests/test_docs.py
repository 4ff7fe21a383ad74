"""`twinrdf docs OUTDIR`: pyLODE pages of the vocabulary and a page of the shapes, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from tests.support.ontology import once
from twinrdf.cli import main
from twinrdf.docs import make_offline, remote_references
from twinrdf.resources import as_path, shapes_file
from twinrdf.vocab import load_ontology, vocabulary_terms


def _build_site(out: Path) -> None:
    result = CliRunner().invoke(main, ["docs", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out / "index.html") in result.output


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return once(tmp_path_factory, "docs-site", _build_site)


def test_index_documents_every_class_and_property_and_concepts_page_every_concept(site):
    page = (site / "index.html").read_text(encoding="utf-8")
    concepts = (site / "concepts.html").read_text(encoding="utf-8")
    terms = vocabulary_terms()
    skos = {"Concept", "ConceptScheme", "Datatype"}
    # each class and property is documented under the id of its local name (hash IRIs land on it)
    missing = [t.name for t in terms if t.kind not in skos and f'id="{t.name}"' not in page]
    missing += [t.name for t in terms if t.kind in skos and f'id="{t.name}"' not in concepts]
    assert not missing, missing
    assert "<title>Twinning vocabulary (twin:)</title>" in page  # not a concept scheme's title
    assert 'href="concepts.html"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids"
    internal = set(re.findall(r'href="#([^"]+)"', page))
    assert not internal - set(ids), sorted(internal - set(ids))[:10]


@pytest.mark.parametrize("name", ["index.html", "concepts.html", "shapes.html"])
def test_pages_load_nothing_from_another_host(site, name):
    path = site / name
    if name == "shapes.html" and not as_path(shapes_file()).is_file():
        pytest.skip("no shapes yet")
    page = path.read_text(encoding="utf-8")
    assert remote_references(page) == []
    lowered = page.lower()
    for needle in ("fonts.googleapis", "cdn.", "cdnjs", "jsdelivr", "unpkg", "<script src=\"http"):
        assert needle not in lowered


def test_shapes_page_lists_every_rule(site):
    shapes_path = as_path(shapes_file())
    if not shapes_path.is_file():
        pytest.skip("no shapes yet")
    shapes = Graph().parse(shapes_path)
    rules = {str(s).rsplit("#", 1)[1] for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef)}
    assert rules
    page = (site / "shapes.html").read_text(encoding="utf-8")
    missing = sorted(r for r in rules if f'id="{r}"' not in page)
    assert not missing, missing


def test_machine_readable_files_are_published_alongside(site):
    assert isomorphic(Graph().parse(site / "twin.jsonld", format="json-ld"), load_ontology())
    assert isomorphic(Graph().parse(site / "twin.ttl"), load_ontology())
    assert (site / "context.jsonld").is_file() and (site / "alignments.ttl").is_file()


def test_offline_post_processing_removes_remote_resources():
    page = (
        '<html><head><link rel="stylesheet" href="https://cdn.example.com/x.css">'
        '<link rel="preconnect" href="//fonts.gstatic.com">'
        '<script src="https://cdn.example.com/x.js"></script>'
        "<style>@import url('https://fonts.googleapis.com/css?family=Roboto'); "
        "body { background: url(https://example.com/bg.png) }</style></head>"
        '<body><a href="https://schema.org/Place">schema:Place</a><img src="http://example.com/i.png">'
        '<link rel="alternate" href="https://example.com/ns.ttl"></body></html>'
    )
    assert len(remote_references(page)) == 6
    cleaned = make_offline(page)
    assert remote_references(cleaned) == []
    assert '<a href="https://schema.org/Place">' in cleaned  # hyperlinks stay
    assert 'rel="alternate"' in cleaned


def test_docs_into_a_file_path_is_a_usage_error(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = CliRunner().invoke(main, ["docs", str(target)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_w3id_redirects_point_at_files_the_docs_build_writes(site):
    """Every target of the .htaccess in docs/vocabulary.md is a file that `twinrdf docs` writes,
    and the vocabulary IRI, version IRIs, shapes and context are all negotiated."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "vocabulary.md").read_text(encoding="utf-8")
    block = re.search(r"```apache\n(.*?)```", text, re.S)
    assert block, "docs/vocabulary.md has no ```apache block"
    rules = block.group(1)
    targets = set(re.findall(r"/(?:latest|\$1)/([\w.-]+) \[R=30[23]", rules))
    written = {p.name for p in site.iterdir()}
    assert targets and targets <= written, sorted(targets - written)
    for pattern in (r"^ns$", r"^ns/([0-9]+\.[0-9]+\.[0-9]+)$", r"^shapes$", r"^context\.jsonld$"):
        assert f"RewriteRule {pattern} " in rules, pattern
    assert "text/turtle" in rules and r"application/ld\+json" in rules


def test_unparseable_shapes_are_a_clear_error(tmp_path, monkeypatch):
    import twinrdf.docs as docs

    bad = tmp_path / "twin-shapes.ttl"
    bad.write_text("this is not turtle")
    monkeypatch.setattr(docs, "shapes_file", lambda name="twin-shapes.ttl": bad)
    monkeypatch.setattr(docs, "ontology_html", lambda: "<html></html>")  # skip the slow pyLODE part
    result = CliRunner().invoke(main, ["docs", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Error" in result.output
