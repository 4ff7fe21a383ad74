"""Real SPARQL clients against the live endpoint: SPARQLWrapper, rdflib's SPARQLStore and
roqet (rasqal-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, N3, XML, SPARQLWrapper

from tests.support.sample import BASE, TWIN, sample_store
from tests.support.server import running_server

TWINS_OF_KEIGHLEY = f"""PREFIX twin: <{TWIN}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE {{ <{BASE}city0> twin:twinnedWith ?t . ?t rdfs:label ?label }}"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    store = sample_store(tmp_path_factory.mktemp("clients"))
    with running_server(store) as base:
        yield base + "/sparql"


def test_sparqlwrapper_select_ask_construct(endpoint):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(TWINS_OF_KEIGHLEY)
    sw.setReturnFormat(JSON)
    res = sw.query().convert()
    assert [b["label"]["value"] for b in res["results"]["bindings"]] == ["Poix-du-Nord"]
    assert res["results"]["bindings"][0]["label"]["xml:lang"] == "en"

    sw.setMethod("POST")
    sw.setReturnFormat(XML)
    sw.setQuery(f"ASK {{ <{BASE}city5> <{TWIN}twinnedWith> <{BASE}city6> }}")
    xml = sw.query().convert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "true"

    sw.setReturnFormat(N3)
    sw.setQuery(f"CONSTRUCT {{ ?a <{TWIN}partner> ?c }} WHERE {{ ?a <{TWIN}partner> ?c }}")
    g = Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == 18


def test_sparqlwrapper_gets_a_clear_error_for_bad_syntax(endpoint):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(endpoint)
    sw.setQuery("SELECT ?x WHERE { ?x ")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        sw.query()


def test_rdflib_sparqlstore(endpoint):
    store = SPARQLStore(endpoint, returnFormat="json")
    g = Graph(store=store)
    labels = {str(r.label) for r in g.query(TWINS_OF_KEIGHLEY)}
    assert labels == {"Poix-du-Nord"}
    triples = list(g.triples((URIRef(f"{BASE}city3"), None, None)))
    assert (
        URIRef(f"{BASE}city3"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        Literal("Dieburg", lang="en"),
    ) in triples
    assert len(triples) == 5  # type, label, countryCode, twinnedWith x2


@pytest.mark.skipif(shutil.which("roqet") is None, reason="roqet (rasqal-utils) is not installed")
def test_roqet(endpoint):
    out = subprocess.run(
        ["roqet", "-q", "-p", endpoint, "-r", "csv", "-e", TWINS_OF_KEIGHLEY],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Poix-du-Nord" in out.stdout
    # roqet reads the endpoint's SPARQL XML results (its default Accept) and re-serializes them
    out = subprocess.run(
        [
            "roqet",
            "-q",
            "-p",
            endpoint,
            "-r",
            "xml",
            "-e",
            f'SELECT ?c WHERE {{ ?c <{TWIN}countryCode> "FR" }}',
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert sorted(re.findall(r"<uri>([^<]+)</uri>", out.stdout)) == [
        f"{BASE}city1",
        f"{BASE}city4",
        f"{BASE}city5",
    ]
    # roqet asks for SPARQL results XML whatever the query form, so a CONSTRUCT gets a 406 (the
    # endpoint offers RDF formats only for graph results) and roqet reports the failure
    out = subprocess.run(
        ["roqet", "-q", "-p", endpoint, "-e", f"CONSTRUCT WHERE {{ <{BASE}city1> ?p ?o }}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "406" in out.stderr
