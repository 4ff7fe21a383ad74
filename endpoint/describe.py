"""Self-description: SPARQL 1.1 Service Description, VoID + DCAT, and the data dumps.

Everything here is computed from the store by SPARQL at request time (and cached until the data
changes), never written by hand: the triple counts, the class and property partitions, the size
of the linkset to Wikidata (the ``twin:wikidata`` links) and the named graphs.

- ``GET /sparql`` with no query and no ``Accept: text/html``: the service description
  (``service_description()``; the sparql blueprint delegates to it). Turtle by default.
- ``GET /.well-known/void``: VoID and DCAT for the dataset, with its dumps and endpoint.
- ``GET /dumps/data.nt.gz`` and ``/dumps/data.ttl``: the whole store, produced by the same
  function as ``twinrdf dump`` into the ``dumps_dir`` setting (or a cache directory), on first
  request and again whenever the data changes.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, request, send_file, url_for
from twinrdf.endpoint.rdfviews import (
    BY_SUFFIX,
    RdfOutput,
    base_iri,
    negotiate_rdf,
    prefixes,
    select,
    serialize,
    setting,
    vocab_iri,
)

bp = Blueprint("describe", __name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
FOAF = "http://xmlns.com/foaf/0.1/"
TWIN = "https://w3id.org/twinrdf/ns#"
WIKIDATA_DATASET = "http://www.wikidata.org/"
WDQS = "https://query.wikidata.org/sparql"
IANA = "https://www.iana.org/assignments/media-types/"

DEFAULT_LICENSE = "https://creativecommons.org/licenses/by-sa/4.0/"
DEFAULT_TITLE = "twinrdf: town twinning and city diplomacy as linked data"

#: name -> (media type, compression or None); the dumps offered for download
DUMPS: dict[str, tuple[str, str | None]] = {
    "data.nt.gz": ("application/n-triples", "application/gzip"),
    "data.ttl": ("text/turtle", None),
}


def hidden_graphs() -> list[str]:
    """Graphs that are not part of the dataset: with a remote store, the graph that serves as its
    default graph (already counted as the default graph) and the store's own system graphs."""
    spec = str(setting("store", "") or "")
    if not spec.startswith("sparql+"):
        return []
    from twinrdf.store_remote import SYSTEM_GRAPHS, RemoteSpec

    graph = RemoteSpec.parse(spec).graph
    return sorted(SYSTEM_GRAPHS | ({graph} if graph else set()))


def _graph_filter() -> str:
    hidden = hidden_graphs()
    return f"FILTER(?g NOT IN ({', '.join(f'<{g}>' for g in hidden)}))" if hidden else ""


def _all(p: str) -> str:
    """A pattern matched in the default graph and in every named graph of the dataset."""
    return f"{{ {p} }} UNION {{ GRAPH ?g {{ {p} }} {_graph_filter()} }}"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=_n(XSD + "integer"))


def _count(query: str) -> int:
    rows = select(query)
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


def dataset_statistics() -> dict[str, Any]:
    """Counts for VoID, by SPARQL over the default graph and every named graph."""
    stats: dict[str, Any] = {}
    stats["triples"] = _count(f"SELECT (COUNT(*) AS ?n) WHERE {{ {_all('?s ?p ?o')} }}")
    stats["entities"] = _count(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_all('?s ?p ?o')} FILTER(isIRI(?s)) }}"
    )
    stats["distinct_subjects"] = _count(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_all('?s ?p ?o')} }}")
    stats["distinct_objects"] = _count(f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {_all('?s ?p ?o')} }}")
    stats["classes"] = [
        (r["c"].value, int(r["n"].value))
        for r in select(
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_all(f'?s <{RDF}type> ?c')} "
            "FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c"
        )
    ]
    stats["properties"] = [
        (r["p"].value, int(r["n"].value))
        for r in select(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {_all('?s ?p ?o')} }} GROUP BY ?p ORDER BY ?p")
    ]
    stats["wikidata_links"] = _count(f"SELECT (COUNT(*) AS ?n) WHERE {{ {_all(f'?s <{TWIN}wikidata> ?o')} }}")
    stats["graphs"] = [
        (r["g"].value, int(r["n"].value))
        for r in select(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_graph_filter()} }} "
            "GROUP BY ?g ORDER BY ?g"
        )
        if isinstance(r.get("g"), ox.NamedNode)
    ]
    examples = select(
        f"SELECT ?s WHERE {{ {_all(f'?s <{RDF}type> ?c')} "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{base_iri()}")) }} ORDER BY ?s LIMIT 3'
    )
    stats["examples"] = [r["s"].value for r in examples]
    return stats


class _Cache:
    """Statistics cached per data version (the store fingerprint), so VoID costs one pass."""

    lock = threading.Lock()
    key: Any = None
    value: dict[str, Any] | None = None


def _data_version() -> Any:
    state = current_app.extensions.get("twinrdf")
    info = getattr(state, "data_info", None) or {}
    gen = _generation(state)
    return (info.get("hash"), info.get("modified"), gen, id(state))


def _generation(state: Any) -> Any:
    """The pool's store generation (bumped after each update), whatever its representation."""
    generation = getattr(getattr(state, "pool", None), "generation", None)
    return getattr(generation, "value", generation)


def cached_statistics() -> dict[str, Any]:
    key = _data_version()
    with _Cache.lock:
        if _Cache.key == key and _Cache.value is not None and key[0] is not None:
            return _Cache.value
    value = dataset_statistics()
    with _Cache.lock:
        _Cache.key, _Cache.value = key, value
    return value


def _root() -> str:
    public = setting("base_iri")
    return public.rstrip("/") if public else request.url_root.rstrip("/")


def void_triples(stats: dict[str, Any], *, root: str, endpoint: str) -> list[ox.Triple]:
    """The VoID + DCAT description of the dataset from its statistics."""
    doc = f"{root}/.well-known/void"
    ds = _n(doc + "#dataset")
    t: list[ox.Triple] = []

    def add(s: Any, p: str, o: Any) -> None:
        t.append(ox.Triple(s, _n(p), o))

    lic = _n(setting("dataset_license", DEFAULT_LICENSE))
    add(_n(doc), RDF + "type", _n(VOID + "DatasetDescription"))
    add(_n(doc), FOAF + "primaryTopic", ds)
    add(_n(doc), DCT + "title", ox.Literal("VoID description of the twinrdf dataset", language="en"))
    add(ds, RDF + "type", _n(VOID + "Dataset"))
    add(ds, RDF + "type", _n(DCAT + "Dataset"))
    add(ds, DCT + "title", ox.Literal(setting("dataset_title", DEFAULT_TITLE), language="en"))
    add(
        ds,
        DCT + "description",
        ox.Literal(
            "Twinning agreements, sister cities, partner cities and city-diplomacy activity between "
            "localities, with sources, status history and links to Wikidata.",
            language="en",
        ),
    )
    add(ds, DCT + "license", lic)
    add(ds, VOID + "sparqlEndpoint", _n(endpoint))
    add(ds, VOID + "uriSpace", ox.Literal(base_iri()))
    add(ds, VOID + "vocabulary", _n(vocab_iri()))
    add(ds, VOID + "triples", _int(stats["triples"]))
    add(ds, VOID + "entities", _int(stats["entities"]))
    add(ds, VOID + "distinctSubjects", _int(stats["distinct_subjects"]))
    add(ds, VOID + "distinctObjects", _int(stats["distinct_objects"]))
    add(ds, VOID + "classes", _int(len(stats["classes"])))
    add(ds, VOID + "properties", _int(len(stats["properties"])))
    for ex in stats["examples"]:
        add(ds, VOID + "exampleResource", _n(ex))
    add(ds, VOID + "rootResource", _n(endpoint))
    for i, (cls, n) in enumerate(stats["classes"]):
        part = _n(f"{doc}#class-{i}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", _n(cls))
        add(part, VOID + "entities", _int(n))
    for i, (prop, n) in enumerate(stats["properties"]):
        part = _n(f"{doc}#property-{i}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", _n(prop))
        add(part, VOID + "triples", _int(n))
    for i, (g, n) in enumerate(stats["graphs"]):
        sub = _n(f"{doc}#graph-{i}")
        add(ds, VOID + "subset", sub)
        add(sub, RDF + "type", _n(VOID + "Dataset"))
        add(sub, SD + "name", _n(g))
        add(sub, VOID + "triples", _int(n))
    # the dumps, as VoID data dumps and DCAT distributions
    for name, (mt, compress) in DUMPS.items():
        url = _n(f"{root}/dumps/{name}")
        add(ds, VOID + "dataDump", url)
        dist = _n(f"{doc}#dump-{name.replace('.', '-')}")
        add(ds, DCAT + "distribution", dist)
        add(dist, RDF + "type", _n(DCAT + "Distribution"))
        add(dist, DCAT + "downloadURL", url)
        add(dist, DCAT + "accessURL", url)
        add(dist, DCAT + "mediaType", _n(IANA + mt))
        add(dist, DCT + "format", ox.Literal(mt))
        add(dist, DCT + "license", lic)
        if compress:
            add(dist, DCAT + "compressFormat", _n(IANA + compress))
    service = _n(f"{doc}#sparql-service")
    dist = _n(f"{doc}#sparql")
    add(ds, DCAT + "distribution", dist)
    add(dist, RDF + "type", _n(DCAT + "Distribution"))
    add(dist, DCAT + "accessURL", _n(endpoint))
    add(dist, DCAT + "accessService", service)
    add(dist, DCT + "license", lic)
    add(service, RDF + "type", _n(DCAT + "DataService"))
    add(service, DCAT + "endpointURL", _n(endpoint))
    add(service, DCAT + "endpointDescription", _n(endpoint))
    add(service, DCT + "conformsTo", _n("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCAT + "servesDataset", ds)
    # the links to Wikidata
    wd = _n(WIKIDATA_DATASET)
    ls = _n(f"{doc}#wikidata-links")
    add(ds, VOID + "subset", ls)
    add(ls, RDF + "type", _n(VOID + "Linkset"))
    add(ls, VOID + "subjectsTarget", ds)
    add(ls, VOID + "objectsTarget", wd)
    add(ls, VOID + "linkPredicate", _n(TWIN + "wikidata"))
    add(ls, VOID + "triples", _int(stats["wikidata_links"]))
    add(wd, RDF + "type", _n(VOID + "Dataset"))
    add(wd, DCT + "title", ox.Literal("Wikidata", language="en"))
    add(wd, VOID + "sparqlEndpoint", _n(WDQS))
    add(wd, VOID + "uriSpace", ox.Literal("http://www.wikidata.org/entity/"))
    return t


def service_description_triples(stats: dict[str, Any], *, endpoint: str, root: str) -> list[ox.Triple]:
    """SPARQL 1.1 Service Description of this endpoint (what it supports, its dataset)."""
    t: list[ox.Triple] = []
    svc = _n(endpoint)

    def add(s: Any, p: str, o: Any) -> None:
        t.append(ox.Triple(s, _n(p), o))

    add(svc, RDF + "type", _n(SD + "Service"))
    add(svc, SD + "endpoint", svc)
    add(svc, SD + "supportedLanguage", _n(SD + "SPARQL11Query"))
    if setting("enable_updates", False):
        add(svc, SD + "supportedLanguage", _n(SD + "SPARQL11Update"))
    for f in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
        "TriG",
        "N-Quads",
    ):
        add(svc, SD + "resultFormat", _n(FORMATS + f))
    add(svc, SD + "feature", _n(SD + "BasicFederatedQuery"))
    add(svc, SD + "defaultEntailmentRegime", _n("http://www.w3.org/ns/entailment/Simple"))
    add(svc, RDFS + "seeAlso", _n(f"{root}/.well-known/void"))
    add(svc, DCT + "title", ox.Literal("twinrdf SPARQL endpoint", language="en"))
    dset = _n(f"{endpoint}#dataset")
    dgraph = _n(f"{endpoint}#default-graph")
    add(svc, SD + "defaultDataset", dset)
    add(dset, RDF + "type", _n(SD + "Dataset"))
    add(dset, SD + "defaultGraph", dgraph)
    add(dgraph, RDF + "type", _n(SD + "Graph"))
    named_total = sum(n for _, n in stats["graphs"])
    add(dgraph, VOID + "triples", _int(max(0, stats["triples"] - named_total)))
    for i, (g, n) in enumerate(stats["graphs"]):
        ng = _n(f"{endpoint}#named-graph-{i}")
        gr = _n(f"{endpoint}#graph-{i}")
        add(dset, SD + "namedGraph", ng)
        add(ng, RDF + "type", _n(SD + "NamedGraph"))
        add(ng, SD + "name", _n(g))
        add(ng, SD + "graph", gr)
        add(gr, RDF + "type", _n(SD + "Graph"))
        add(gr, VOID + "triples", _int(n))
    return t


def _rdf(triples: list[ox.Triple], output: RdfOutput, negotiated: bool) -> Response:
    extra = {"void": VOID, "dcat": DCAT, "sd": SD, "formats": FORMATS, "foaf": FOAF}
    resp = Response(serialize(triples, output, dict(prefixes(), **extra)), mimetype=output.mimetype)
    if negotiated:
        resp.headers["Vary"] = "Accept"
    return resp


def _choose_rdf() -> tuple[RdfOutput, bool]:
    fmt = request.args.get("format")
    if fmt in BY_SUFFIX:
        return BY_SUFFIX[fmt], False
    chosen = negotiate_rdf(html=False)
    if chosen is None:
        abort(
            406,
            description="Available as text/turtle, application/n-triples, application/ld+json "
            "and application/rdf+xml.",
        )
    assert chosen[1] is not None
    return chosen[1], True


def service_description(endpoint: str | None = None) -> Response:
    """The service description response for ``GET /sparql`` (called by the sparql blueprint)."""
    output, negotiated = _choose_rdf()
    endpoint = endpoint or request.base_url
    stats = cached_statistics()
    resp = _rdf(service_description_triples(stats, endpoint=endpoint, root=_root()), output, negotiated)
    resp.headers["Vary"] = "Accept"
    return resp


@bp.get("/")
def home() -> Response:
    """The site root: browsers go to the query UI, machines to the dataset's description."""
    from flask import redirect
    from twinrdf.endpoint.rdfviews import negotiate

    best = negotiate(["text/turtle", "text/html", "application/xhtml+xml"])
    target = _sparql_path() if best in ("text/html", "application/xhtml+xml") else "/.well-known/void"
    resp = redirect(request.script_root + target if target.startswith("/.") else target, code=303)
    resp.headers["Vary"] = "Accept"
    return resp


@bp.get("/.well-known/void")
def void() -> Response:
    output, negotiated = _choose_rdf()
    root = _root()
    endpoint = root + _sparql_path()
    return _rdf(void_triples(cached_statistics(), root=root, endpoint=endpoint), output, negotiated)


def _sparql_path() -> str:
    try:
        return url_for("sparql.sparql")
    except Exception:
        return request.script_root + "/sparql"


# --- dumps ------------------------------------------------------------------------------------

_dump_lock = threading.Lock()


def dumps_dir() -> Path:
    configured = setting("dumps_dir")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"twinrdf-dumps-{os.getuid()}"


def ensure_dump(name: str) -> Path:
    """The dump file ``name``, written (atomically, by ``twinrdf.store.dump_store``) if missing or
    older than the data; a publisher may also pre-build it with ``twinrdf dump``."""
    from twinrdf.store import dump_store, open_store

    state = current_app.extensions["twinrdf"]
    info = getattr(state, "data_info", None) or {}
    version = (info.get("hash") or "nohash").replace(":", "-")
    gen = _generation(state)
    folder = dumps_dir()
    target = folder / name
    stamp = folder / f".{name}.version"
    want = f"{version}:{gen}:{state.settings.get('store')}"
    with _dump_lock:
        fresh = target.is_file() and stamp.is_file() and stamp.read_text() == want
        if not fresh and target.is_file() and not stamp.is_file():
            fresh = True  # written by the publisher with `twinrdf dump`: serve as is
        if not fresh:
            folder.mkdir(parents=True, exist_ok=True)
            store = open_store(state.settings["store"], read_only=True)
            try:
                dump_store(store, target)
            finally:
                store.close()
            tmp = stamp.with_suffix(".tmp")
            tmp.write_text(want)
            os.replace(tmp, stamp)
    return target


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    if name not in DUMPS:
        abort(404)
    mt, compress = DUMPS[name]
    path = ensure_dump(name)
    resp = send_file(
        path,
        mimetype=compress or mt,
        as_attachment=True,
        download_name=name,
        max_age=0,
        conditional=True,
        etag=True,
    )
    resp.headers["X-Content-Generated"] = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime)
    )
    return resp
