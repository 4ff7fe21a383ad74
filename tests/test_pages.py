"""Resource pages: every IRI of the data and the vocabulary dereferences on the server, under its
own path, with content negotiation (HTML, Turtle, N-Triples, JSON-LD, RDF/XML), 404 and 406."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from twinrdf.endpoint import create_app

from tests.support.server import make_store, running_server
from twinrdf.resources import examples_dir

DATA = Path(__file__).parent / "data" / "publishing" / "pages.ttl"
BASE = "https://w3id.org/twinrdf/data/"
COVENTRY = BASE + "locality/coventry"
AGREEMENT = BASE + "agreement/coventry--volgograd"
TWIN = rdflib.Namespace("https://w3id.org/twinrdf/ns#")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    store = make_store(tmp_path_factory.mktemp("pages") / "store", [DATA])
    with running_server(store, {"query_workers": 1}) as url:
        yield url


def path_of(iri: str) -> str:
    return "/" + iri.split("/", 3)[3]


def get(server: str, iri_or_path: str, accept: str | None = None) -> requests.Response:
    path = path_of(iri_or_path) if iri_or_path.startswith("http") else iri_or_path
    headers = {"Accept": accept} if accept is not None else {}
    return requests.get(server + path, headers=headers, timeout=30)


def parse(resp: requests.Response, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=resp.content, format=fmt)


def test_locality_page_for_a_browser(server: str) -> None:
    r = get(server, COVENTRY, BROWSER)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Accept" in r.headers["Vary"]
    html = r.text
    # names, country (a local link: the path of the country's IRI on this server)
    assert "<h1>Coventry</h1>" in html
    assert "Cofentreu" in html
    assert 'href="/twinrdf/data/country/GB-ENG"' in html and ">England</a>" in html
    # coordinates, and a map drawn inline: no tiles, no scripts
    assert "52.4081, -1.5106" in html
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg is not None and 'class="here"' in svg.group(0)
    assert svg.group(0).count('class="twin"') == 2  # Dresden and Volgograd have coordinates
    assert "<script" not in html and " src=" not in html
    # twins, with kind, dates and status of each agreement
    twins = re.search(r'<table class="twins">.*?</table>', html, re.S).group(0)
    dresden_row = re.search(
        r"<tr>\s*<td><a href=\"/twinrdf/data/locality/dresden\".*?</tr>", twins, re.S
    ).group(0)
    assert "twin town" in dresden_row and "1959" in dresden_row and ">active<" in dresden_row
    volgograd_row = re.search(r"<tr>\s*<td><a href=\"/twinrdf/data/locality/volgograd\".*?</tr>", twins, re.S)
    assert ">suspended<" in volgograd_row.group(0) and "1944" in volgograd_row.group(0)
    assert 'href="/twinrdf/data/agreement/coventry--volgograd"' in twins
    # activities and Wikidata
    assert "Telegram to the people of Stalingrad" in html
    assert 'href="http://www.wikidata.org/entity/Q180673"' in html
    # links to the query UI and to the data itself
    assert 'href="/sparql"' in html
    assert 'href="/twinrdf/data/locality/coventry.ttl"' in html


def test_agreement_page_shows_partners_history_signatories_sources(server: str) -> None:
    r = get(server, AGREEMENT, BROWSER)
    assert r.status_code == 200
    html = r.text
    partners = re.search(r'<dd class="partners">.*?</dd>', html, re.S).group(0)
    assert "/twinrdf/data/locality/coventry" in partners and "/twinrdf/data/locality/volgograd" in partners
    history = re.search(r'<table class="history">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td>(.*?)</td>", history)
    assert rows == ["1944", "2022-04"]  # in date order
    assert "Russian invasion of Ukraine" in history
    signatories = re.search(r'<table class="signatories">.*?</table>', html, re.S).group(0)
    assert "Alfred Robert Grindlay" in signatories and "Mayor of Coventry" in signatories
    assert 'href="https://en.wikipedia.org/wiki/Sister_city"' in html


@pytest.mark.parametrize(
    ("accept", "mimetype", "fmt"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("*/*", "text/turtle", "turtle"),
        (None, "text/turtle", "turtle"),
        ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_machine_formats_by_accept(server: str, accept: str | None, mimetype: str, fmt: str) -> None:
    r = get(server, COVENTRY, accept)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == mimetype
    assert "Accept" in r.headers["Vary"]
    g = parse(r, fmt)
    node = rdflib.URIRef(COVENTRY)
    assert (node, rdflib.RDFS.label, rdflib.Literal("Coventry", lang="en")) in g
    assert (node, TWIN.wikidata, rdflib.URIRef("http://www.wikidata.org/entity/Q180673")) in g
    # incoming links too: the agreements that name Coventry as a partner
    assert (rdflib.URIRef(AGREEMENT), TWIN.partner, node) in g


def test_all_formats_say_the_same_and_suffixes_fix_the_format(server: str) -> None:
    graphs = {}
    for suffix, fmt, mimetype in [
        ("ttl", "turtle", "text/turtle"),
        ("nt", "nt", "application/n-triples"),
        ("jsonld", "json-ld", "application/ld+json"),
        ("rdf", "xml", "application/rdf+xml"),
    ]:
        r = get(server, f"{path_of(COVENTRY)}.{suffix}", "text/html")  # the suffix wins over Accept
        assert r.status_code == 200
        assert r.headers["Content-Type"].split(";")[0] == mimetype
        assert "Vary" not in r.headers
        graphs[suffix] = parse(r, fmt)
    assert len(graphs["ttl"]) > 5
    for g in graphs.values():
        assert isomorphic(g, graphs["ttl"])
    # the data is served as it is stored: no IRI rewritten to the server's host
    assert all(
        str(s).startswith(("https://w3id.org/", "http://www.wikidata.org/"))
        for s in graphs["nt"].all_nodes()
        if isinstance(s, rdflib.URIRef)
    )


def test_jsonld_is_compacted_with_the_project_context(server: str) -> None:
    doc = get(server, COVENTRY, "application/ld+json").json()
    context = json.loads((examples_dir().parent / "ontology" / "context.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == context["@context"]
    text = json.dumps(doc)
    assert '"wikidata"' in text and "https://w3id.org/twinrdf/ns#wikidata" not in text


def test_406_404_and_the_vocabulary(server: str) -> None:
    assert get(server, COVENTRY, "image/png").status_code == 406
    assert get(server, BASE + "locality/atlantis", "text/turtle").status_code == 404
    assert get(server, BASE + "locality/atlantis", BROWSER).status_code == 404
    # the vocabulary: RDF for machines, documentation for browsers, same IRI
    r = get(server, "/twinrdf/ns", "text/turtle")
    assert r.status_code == 200 and "Accept" in r.headers["Vary"]
    g = parse(r, "turtle")
    assert (TWIN.Locality, rdflib.RDF.type, rdflib.OWL.Class) in g
    html = get(server, "/twinrdf/ns", BROWSER)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "pylode" in html.text.lower() and "Locality" in html.text  # the pyLODE documentation
    assert get(server, "/twinrdf/ns.rdf").headers["Content-Type"].startswith("application/rdf+xml")


def test_another_base_iri_is_served_under_its_own_path(tmp_path: Path) -> None:
    """The base IRI is a setting: the bundled example data uses https://example.org/twinning/."""
    example = examples_dir().parent / "ontology" / "examples" / "example.ttl"
    store = make_store(tmp_path / "store", [example])
    with running_server(store, {"query_workers": 1, "data_base_iri": "https://example.org/twinning/"}) as url:
        r = requests.get(
            url + "/twinning/place/coventry", headers={"Accept": "application/n-triples"}, timeout=30
        )
        assert r.status_code == 200
        assert "<https://example.org/twinning/place/coventry>" in r.text
        page = requests.get(
            url + "/twinning/agreement/coventry--volgograd", headers={"Accept": BROWSER}, timeout=30
        )
        assert page.status_code == 200 and "Coventry City Council" in page.text
        # paths outside the configured base are not resources
        assert requests.get(url + "/twinrdf/data/locality/coventry", timeout=30).status_code == 404


def test_every_iri_of_the_seed_dereferences(tmp_path: Path) -> None:
    """Every IRI minted in the bundled seed dataset answers a machine, and every locality and
    agreement page renders for a browser (none is a 404 or a 500)."""
    import pyoxigraph as ox

    seed = examples_dir() / "seed" / "seed.ttl"
    quads = list(ox.parse(seed.read_bytes(), format=ox.RdfFormat.TURTLE))
    iris = sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})
    iris = [i for i in iris if i.startswith(BASE)]
    pages = sorted(i for i in iris if "/locality/" in i or "/agreement/" in i and i.count("/") == 5)
    assert len(iris) > 50 and len(pages) > 20
    store = make_store(tmp_path / "seed", [seed])
    jobs = [(iri, "application/n-triples", f"<{iri}>") for iri in iris]
    jobs += [(iri, BROWSER, f"&lt;{iri}&gt;") for iri in pages]
    # through the WSGI app directly (the HTTP path is covered above): the sweep is about the app
    app = create_app({"store": str(store), "query_workers": 2})
    try:
        client = app.test_client()
        failures = []
        for iri, accept, mark in jobs:
            r = client.get(path_of(iri), headers={"Accept": accept})
            if r.status_code != 200 or mark not in r.get_data(as_text=True):
                failures.append((iri, accept, r.status_code))
    finally:
        app.extensions["twinrdf_close"]()
    assert failures == []
