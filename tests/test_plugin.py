"""The rdflib parser plugin ``twin-tables``, found through the package's entry point."""

from __future__ import annotations

import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from twinrdf import rdfio
from twinrdf.build import build
from twinrdf.parse.tables import parse_tables

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "tables"
TWIN = rdflib.Namespace("https://w3id.org/twinrdf/ns#")
DATA = rdflib.Namespace("https://w3id.org/twinrdf/data/")


def _expected(folder: Path = FIXTURE, **kw) -> rdflib.Graph:
    return rdfio.to_rdflib(build(parse_tables([folder]), **kw).quads)


def test_plugin_is_registered_through_the_entry_point():
    names = {ep.name: ep.value for ep in entry_points(group="rdf.plugins.parser")}
    assert names.get("twin-tables") == "twinrdf.plugin:TwinTablesParser"


def test_one_table_file_reads_its_sibling_tables():
    g = rdflib.Graph().parse(str(FIXTURE / "agreements.csv"), format="twin-tables")
    assert isomorphic(g, _expected())
    agreement = DATA["agreement/keighley-poix"]
    assert (agreement, TWIN.partner, DATA["locality/poix"]) in g
    assert g.value(DATA["locality/poix"], rdflib.RDFS.label) == rdflib.Literal("Poix-du-Nord", lang="fr")


def test_path_objects_work_too():
    assert isomorphic(rdflib.Graph().parse(FIXTURE / "localities.csv", format="twin-tables"), _expected())


def test_data_string_needs_the_table_name():
    text = (FIXTURE / "sources.csv").read_text(encoding="utf-8")
    g = rdflib.Graph().parse(data=text, format="twin-tables", table="sources")
    assert (DATA["source/wp"], rdflib.RDF.type, TWIN.Source) in g
    with pytest.raises(ValueError, match="table="):
        rdflib.Graph().parse(data=text, format="twin-tables")


def test_only_file_and_base_iri(tmp_path: Path):
    g = rdflib.Graph().parse(str(FIXTURE / "sources.csv"), format="twin-tables", only_file=True,
                             base_iri="https://example.org/d/")
    assert set(g.subjects()) == {rdflib.URIRef("https://example.org/d/source/wp")}


def test_rejected_rows_warn_or_raise_with_strict(tmp_path: Path):
    folder = tmp_path / "t"
    shutil.copytree(FIXTURE, folder)
    path = folder / "agreements.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",1920,", ",19xx,"), encoding="utf-8")
    with pytest.warns(UserWarning, match="1 rows rejected.*19xx"):
        g = rdflib.Graph().parse(str(path), format="twin-tables")
    assert (DATA["agreement/keighley-poix"], None, None) not in g
    assert (DATA["agreement/coventry-volgograd"], rdflib.RDF.type, TWIN.TwinningAgreement) in g
    with pytest.raises(ValueError, match="rows rejected"):
        rdflib.Graph().parse(str(path), format="twin-tables", strict=True)


def test_graph_per_source_into_a_dataset():
    ds = rdflib.Dataset()
    ds.parse(str(FIXTURE / "localities.csv"), format="twin-tables", graph_per_source=True)
    named = ds.graph(DATA["graph/localities.csv"])
    assert (DATA["locality/keighley"], rdflib.RDF.type, TWIN.Town) in named
    assert (DATA["agreement/keighley-poix"], None, None) not in named
    assert (DATA["agreement/keighley-poix"], None, None) in ds.graph(DATA["graph/agreements.csv"])
