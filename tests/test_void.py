"""Self-description, computed from the store: VoID + DCAT at /.well-known/void, the SPARQL 1.1
Service Description at /sparql, the dumps, the example queries, the query UI page."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from click.testing import CliRunner
from rdflib import RDF, Namespace, URIRef

from tests.support.server import make_store, running_server
from twinrdf.resources import as_path, examples_dir

DATA = Path(__file__).parent / "data" / "publishing" / "pages.ttl"
EXAMPLE = as_path(examples_dir()).parent / "ontology" / "examples" / "example.ttl"
NAMED = "https://w3id.org/twinrdf/data/graph/example"
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCT = Namespace("http://purl.org/dc/terms/")
TWIN = Namespace("https://w3id.org/twinrdf/ns#")


def count(path: Path) -> int:
    return len(list(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """pages.ttl in the default graph, the ontology's example data in a named graph; a dump of the
    N-Triples prebuilt by `twinrdf dump` in the dumps folder, the Turtle one left to the server."""
    tmp = tmp_path_factory.mktemp("void")
    store = make_store(tmp / "store", [DATA])
    make_store(tmp / "store", [EXAMPLE], graph=NAMED)
    dumps = tmp / "dumps"
    from twinrdf.store import dump_command

    result = CliRunner().invoke(dump_command, ["--store", str(store), "-o", str(dumps / "data.nt.gz")])
    assert result.exit_code == 0, result.output
    with running_server(store, {"query_workers": 1, "dumps_dir": str(dumps)}) as url:
        yield url, dumps


def values(g: rdflib.Graph) -> set[tuple]:
    """The graph's triples with literals compared by value (the data has no blank nodes)."""
    return {tuple(t.toPython() if isinstance(t, rdflib.Literal) else t for t in triple) for triple in g}


def turtle(url: str, accept: str | None = "text/turtle") -> rdflib.Graph:
    r = requests.get(url, headers={"Accept": accept} if accept else {}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=r.text, format="turtle")


def test_void_is_computed_from_the_store(site: tuple[str, Path]) -> None:
    url, _ = site
    g = turtle(url + "/.well-known/void")
    ds = URIRef(url + "/.well-known/void#dataset")
    assert (ds, RDF.type, VOID.Dataset) in g and (ds, RDF.type, DCAT.Dataset) in g
    total = count(DATA) + count(EXAMPLE)
    assert g.value(ds, VOID.triples).toPython() == total
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(url + "/sparql")
    assert g.value(ds, VOID.uriSpace).toPython() == "https://w3id.org/twinrdf/data/"
    assert g.value(ds, DCT.license) == URIRef("https://creativecommons.org/licenses/by-sa/4.0/")
    classes = {
        g.value(p, VOID["class"]): g.value(p, VOID.entities).toPython()
        for p in g.objects(ds, VOID.classPartition)
    }
    # three cities in pages.ttl, two in the example data (Coventry, Volgograd)
    assert classes[TWIN.City] == 5
    assert classes[TWIN.TwinningAgreement] == 4
    props = {
        g.value(p, VOID.property): g.value(p, VOID.triples).toPython()
        for p in g.objects(ds, VOID.propertyPartition)
    }
    assert props[TWIN.wikidata] == 3 and props[TWIN.partner] == 8
    assert sum(props.values()) == total
    # the linkset to Wikidata: one link per twin:wikidata statement
    ls = URIRef(url + "/.well-known/void#wikidata-links")
    assert (ds, VOID.subset, ls) in g and (ls, RDF.type, VOID.Linkset) in g
    assert g.value(ls, VOID.linkPredicate) == TWIN.wikidata
    assert g.value(ls, VOID.triples).toPython() == 3
    assert g.value(ls, VOID.objectsTarget) == URIRef("http://www.wikidata.org/")
    # the named graph is a subset with its own count
    subsets = {g.value(s, SD.name): g.value(s, VOID.triples) for s in g.objects(ds, VOID.subset)}
    assert subsets[URIRef(NAMED)].toPython() == count(EXAMPLE)
    # DCAT: the two dumps and the SPARQL service, with licence and media types
    dists = list(g.objects(ds, DCAT.distribution))
    downloads = {str(g.value(d, DCAT.downloadURL)) for d in dists if g.value(d, DCAT.downloadURL)}
    assert downloads == {url + "/dumps/data.nt.gz", url + "/dumps/data.ttl"}
    assert {str(o) for o in g.objects(ds, VOID.dataDump)} == downloads
    assert all(g.value(d, DCT.license) is not None for d in dists)
    services = [g.value(d, DCAT.accessService) for d in dists if g.value(d, DCAT.accessService)]
    assert g.value(services[0], DCAT.endpointURL) == URIRef(url + "/sparql")


def test_void_in_other_formats_and_406(site: tuple[str, Path]) -> None:
    url, _ = site
    r = requests.get(url + "/.well-known/void", headers={"Accept": "application/ld+json"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/ld+json")
    assert "Accept" in r.headers["Vary"]
    g = rdflib.Graph().parse(data=r.text, format="json-ld")
    assert (URIRef(url + "/.well-known/void#dataset"), RDF.type, VOID.Dataset) in g
    assert (
        requests.get(url + "/.well-known/void", headers={"Accept": "image/png"}, timeout=30).status_code
        == 406
    )


def test_dumps_hold_the_whole_store(site: tuple[str, Path]) -> None:
    url, dumps = site
    nt = requests.get(url + "/dumps/data.nt.gz", timeout=30)
    assert nt.status_code == 200
    # the dump prebuilt by `twinrdf dump` is served as it is
    assert nt.content == (dumps / "data.nt.gz").read_bytes()
    lines = [line for line in gzip.decompress(nt.content).decode().splitlines() if line.strip()]
    assert len(lines) == count(DATA) + count(EXAMPLE)
    ttl = requests.get(url + "/dumps/data.ttl", timeout=30)
    assert ttl.status_code == 200 and ttl.headers["Content-Type"].startswith("text/turtle")
    served = rdflib.Graph().parse(data=ttl.text, format="turtle")
    expected = rdflib.Graph().parse(DATA).parse(EXAMPLE)
    assert values(served) == values(expected)  # (Oxigraph writes decimals canonically: 48.708)
    assert requests.get(url + "/dumps/secrets.txt", timeout=30).status_code == 404


def test_service_description_at_the_endpoint(site: tuple[str, Path]) -> None:
    url, _ = site
    for accept in (None, "text/turtle", "*/*"):
        g = turtle(url + "/sparql", accept)
        svc = URIRef(url + "/sparql")
        assert (svc, RDF.type, SD.Service) in g
        assert g.value(svc, SD.endpoint) == svc
        assert (svc, SD.supportedLanguage, SD.SPARQL11Query) in g
        assert (svc, SD.supportedLanguage, SD.SPARQL11Update) not in g  # updates are off
        assert (svc, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in g
        ds = g.value(svc, SD.defaultDataset)
        assert g.value(g.value(ds, SD.defaultGraph), VOID.triples).toPython() == count(DATA)
        names = {g.value(n, SD.name) for n in g.objects(ds, SD.namedGraph)}
        assert names == {URIRef(NAMED)}
    rdfxml = requests.get(url + "/sparql", headers={"Accept": "application/rdf+xml"}, timeout=30)
    assert rdfxml.headers["Content-Type"].startswith("application/rdf+xml")
    # a query still gets results, not the description
    r = requests.get(
        url + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.json()["boolean"] is True


def test_browser_gets_the_query_ui_with_examples(site: tuple[str, Path]) -> None:
    url, _ = site
    r = requests.get(url + "/sparql", headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    html = r.text
    assert "/-/static/vendor/yasgui-4.6.2.min.js" in html and "/-/static/vendor/yasgui-4.6.2.min.css" in html
    # nothing is loaded from another host
    linked = re.findall(r"""(?:src|href|action)=["'](https?://[^"']+)""", html)
    assert [u for u in linked if not u.startswith(url + "/")] == []
    assert "001-first-modern-twinning" in html
    js = requests.get(url + "/-/static/vendor/yasgui-4.6.2.min.js", timeout=30)
    assert js.status_code == 200 and len(js.content) > 500_000
    lic = requests.get(url + "/-/static/vendor/yasgui-4.6.2.LICENSE.txt", timeout=30)
    assert "MIT" in lic.text
    prefixes = requests.get(url + "/-/prefixes.json", timeout=30).json()
    assert prefixes["twin"] == "https://w3id.org/twinrdf/ns#"


def test_example_queries_are_published(site: tuple[str, Path]) -> None:
    url, _ = site
    g = turtle(url + "/.well-known/sparql-examples")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    executables = set(g.subjects(RDF.type, sh.SPARQLExecutable))
    files = [p for p in (as_path(examples_dir()) / "queries").rglob("*.ttl") if p.name != "prefixes.ttl"]
    assert len(executables) == len(files) >= 10
    for ex in executables:
        text = str(g.value(ex, sh.select) or g.value(ex, sh.ask) or g.value(ex, sh.construct))
        assert text.strip()


def test_site_root_points_browsers_to_the_ui_and_machines_to_void(site: tuple[str, Path]) -> None:
    url, _ = site
    r = requests.get(url + "/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"].endswith("/sparql")
    r = requests.get(url + "/", headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"].endswith("/.well-known/void")


def test_head_of_the_endpoint_matches_get(site: tuple[str, Path]) -> None:
    url, _ = site
    r = requests.head(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
