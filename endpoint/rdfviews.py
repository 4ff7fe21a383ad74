"""Shared helpers for the publishing blueprints: store access, RDF formats and negotiation.

The pages, VoID, dumps and query UI all need the same three things: the configured store, the
list of RDF serialisations a machine can ask for, and Werkzeug's Accept matching applied the
same way. They live here so that every blueprint negotiates identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from flask import current_app, request

from twinrdf.resources import VOCAB_IRI, ontology_file

DEFAULT_BASE_IRI = "https://w3id.org/twinrdf/data/"


@dataclass(frozen=True)
class RdfOutput:
    """One machine-readable serialisation: its media type, URL suffix and writer."""

    mimetype: str
    suffix: str
    oxformat: ox.RdfFormat | None  # None: JSON-LD, written by rdflib with the project's context


RDF_OUTPUTS: tuple[RdfOutput, ...] = (
    RdfOutput("text/turtle", "ttl", ox.RdfFormat.TURTLE),
    RdfOutput("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
    RdfOutput("application/ld+json", "jsonld", None),
    RdfOutput("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML),
)
BY_SUFFIX = {o.suffix: o for o in RDF_OUTPUTS}
BY_MIMETYPE = {o.mimetype: o for o in RDF_OUTPUTS}
# Aliases a client may send; each resolves to one of RDF_OUTPUTS.
MIMETYPE_ALIASES = {
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
}


def negotiate(offers: list[str]) -> str | None:
    """The best of ``offers`` for this request (Werkzeug's matching); no Accept header means */*."""
    if not request.headers.get("Accept", "").strip():
        return offers[0] if offers else None
    return request.accept_mimetypes.best_match(offers)


def negotiate_rdf(html: bool) -> tuple[str, RdfOutput | None] | None:
    """Pick HTML or an RDF output for this request; Turtle first so that ``*/*`` gets data.

    Returns (mimetype, output) where output is None for HTML, or None when nothing fits (406).
    """
    offers = [o.mimetype for o in RDF_OUTPUTS]
    if html:
        offers.insert(1, "text/html")
        offers.append("application/xhtml+xml")
    offers += list(MIMETYPE_ALIASES)
    best = negotiate(offers)
    if best is None:
        return None
    if best in ("text/html", "application/xhtml+xml"):
        return "text/html", None
    best = MIMETYPE_ALIASES.get(best, best)
    return best, BY_MIMETYPE[best]


def settings() -> dict[str, Any]:
    """The app's settings dict (``endpoint.settings``), or the Flask config as a fallback."""
    state = current_app.extensions.get("twinrdf")
    if state is not None and getattr(state, "settings", None) is not None:
        return state.settings
    return {k.lower(): v for k, v in current_app.config.items()}


def setting(name: str, default: Any = None) -> Any:
    value = settings().get(name)
    return default if value in (None, "") else value


def base_iri() -> str:
    """The base IRI under which the data's IRIs are minted (not the server's own URL)."""
    return setting("data_base_iri", DEFAULT_BASE_IRI)


def vocab_iri() -> str:
    return setting("vocab_iri", VOCAB_IRI)


class QueryUnavailable(Exception):
    """The store did not answer in time (the query pool is busy or the query timed out)."""


def run_query(query: str) -> Any:
    """Run a read query on the served store, through the app's query pool (so the page's
    queries get the same timeout and isolation as /sparql), and return pyoxigraph results:
    ``QuerySolutions``, a bool, or a list of ``Triple``."""
    from twinrdf.endpoint.executor import PoolBusy, QueryFailed, QueryJob, QueryTimeout

    state = current_app.extensions["twinrdf"]
    try:
        ex = state.pool.execute(QueryJob(query=query, fmt_results="json", fmt_graph="ntriples", max_rows=0))
        body = b"".join(ex.chunks)
    except (PoolBusy, QueryTimeout) as exc:
        raise QueryUnavailable(str(exc)) from exc
    except QueryFailed as exc:
        raise QueryUnavailable(f"{exc.kind}: {exc.message}") from exc
    form = ex.info.get("form")
    if form == "graph":
        return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return bool(result) if form == "ask" else result


def select(query: str) -> list[dict[str, Any]]:
    """SELECT rows as dicts of variable name -> pyoxigraph term (unbound variables absent)."""
    sols = run_query(query)
    names = [v.value for v in sols.variables]
    rows = []
    for sol in sols:
        row = {}
        for n in names:
            t = sol[n]
            if t is not None:
                row[n] = t
        rows.append(row)
    return rows


def construct(query: str) -> list[ox.Triple]:
    return list(run_query(query))


@lru_cache(maxsize=1)
def jsonld_context() -> dict[str, Any]:
    """The project's JSON-LD context (ontology/context.jsonld), parsed once."""
    with ontology_file("context.jsonld").open("r", encoding="utf-8") as f:
        return json.load(f)["@context"]


def serialize(
    triples: Iterable[ox.Triple], output: RdfOutput, prefixes: dict[str, str] | None = None
) -> bytes:
    """Write triples in ``output``'s format; JSON-LD is compacted with the project's context."""
    triples = list(triples)
    if output.oxformat is not None:
        used = _used_prefixes(triples, prefixes or {}) if output.oxformat != ox.RdfFormat.N_TRIPLES else {}
        return ox.serialize(triples, format=output.oxformat, prefixes=used)
    import rdflib

    g = rdflib.Graph()
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    g.parse(data=nt.decode("utf-8"), format="nt")
    return g.serialize(format="json-ld", context=jsonld_context(), auto_compact=True).encode("utf-8")


def _used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes whose namespace some IRI in the triples starts with (tidier Turtle)."""
    iris = {
        t.value
        for tr in triples
        for t in (tr.subject, tr.predicate, tr.object)
        if isinstance(t, ox.NamedNode)
    }
    iris |= {tr.object.datatype.value for tr in triples if isinstance(tr.object, ox.Literal)}
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


PREFIXES = {
    "twin": "https://w3id.org/twinrdf/ns#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "wgs84": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def prefixes() -> dict[str, str]:
    """Prefixes for output and the query UI (the data's own IRIs are written in full)."""
    return dict(PREFIXES)
