"""Resource pages: every IRI of the data and of the vocabulary dereferences on this server.

Path mapping: an IRI is served under its own *path* on whatever host runs the app. With the
default base IRI ``https://w3id.org/twinrdf/data/``, the IRI
``https://w3id.org/twinrdf/data/locality/coventry`` is served at
``http://HOST/twinrdf/data/locality/coventry`` and the vocabulary ``https://w3id.org/twinrdf/ns``
at ``http://HOST/twinrdf/ns``. The request path is turned back into the full IRI by prefixing the
scheme and host of the base IRI, so the data is never rewritten: the same store works on a laptop,
in tests and behind w3id.org (which redirects to the production host keeping the path).

One IRI, several representations (``Vary: Accept``): HTML for browsers, Turtle, N-Triples,
JSON-LD (compacted with ``ontology/context.jsonld``) and RDF/XML for machines, chosen with
Werkzeug's Accept matching, or fixed by a suffix (``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``,
``.html``). 406 when nothing fits, 404 when the IRI has no triples.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, abort, g, has_request_context, render_template, request, url_for
from markupsafe import Markup, escape
from twinrdf.endpoint.rdfviews import (
    BY_SUFFIX,
    RdfOutput,
    base_iri,
    construct,
    negotiate_rdf,
    prefixes,
    serialize,
    vocab_iri,
)

from twinrdf.resources import ontology_file

TWIN = "https://w3id.org/twinrdf/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GEO = "http://www.opengis.net/ont/geosparql#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
WD = "http://www.wikidata.org/entity/"

LABEL_PROPS = (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name", FOAF + "name", DCT + "title")
NAME_PROPS = LABEL_PROPS + (SKOS + "altLabel",)
SOURCE_PROPS = (PROV + "wasDerivedFrom", PROV + "hadPrimarySource", DCT + "source")
MAX_NEIGHBOURS = 2000
HTML_SUFFIX = "html"


def _origin(iri: str) -> str:
    parts = urlsplit(iri)
    return f"{parts.scheme}://{parts.netloc}"


def served_spaces() -> list[str]:
    """The IRI spaces this server dereferences: the data's base IRI and the vocabulary."""
    if has_request_context():
        if "twinrdf_spaces" not in g:
            g.twinrdf_spaces = [base_iri(), vocab_iri()]
        return g.twinrdf_spaces
    return [base_iri(), vocab_iri()]


def iri_to_path(iri: str) -> str | None:
    """The local path of an IRI this server dereferences, or None for a foreign IRI."""
    for space in served_spaces():
        if iri.startswith(space) or iri.split("#")[0] == space:
            parts = urlsplit(iri)
            return (
                parts.path
                + (f"?{parts.query}" if parts.query else "")
                + (f"#{parts.fragment}" if parts.fragment else "")
            )
    return None


def path_to_iri(path: str) -> str | None:
    """The IRI served at a local path (the inverse of :func:`iri_to_path`)."""
    for space in served_spaces():
        space_path = urlsplit(space).path
        if path.startswith(space_path) or path == space_path.rstrip("/"):
            return _origin(space) + path
    return None


def local_href(iri: str) -> str:
    """Where a page links for an IRI: its local path when served here, the IRI itself otherwise."""
    path = iri_to_path(iri)
    if path is None:
        return iri
    return request.script_root + path


# ---------------------------------------------------------------------------------------------
# Fetching a resource's description


def _iri_ok(iri: str) -> bool:
    return all(c not in iri for c in '<>"{}|^`\\ \n')


def describe(iri: str) -> list[ox.Triple]:
    """A symmetric concise description: outgoing triples (with blank-node closure) and incoming
    triples, from the default graph and every named graph."""
    q = f"""
CONSTRUCT {{ <{iri}> ?p ?o . ?o ?p2 ?o2 . ?s ?pi <{iri}> }}
WHERE {{
  {{ {{ <{iri}> ?p ?o OPTIONAL {{ ?o ?p2 ?o2 FILTER(isBlank(?o)) }} }}
    UNION {{ GRAPH ?g {{ <{iri}> ?p ?o OPTIONAL {{ ?o ?p2 ?o2 FILTER(isBlank(?o)) }} }} }} }}
  UNION
  {{ {{ SELECT DISTINCT ?s ?pi WHERE {{ {{ ?s ?pi <{iri}> }} UNION {{ GRAPH ?g2 {{ ?s ?pi <{iri}> }} }} }}
      LIMIT {MAX_NEIGHBOURS} }} }}
}}"""
    return construct(q)


class TripleIndex:
    """The few triples of one page, indexed by subject and by object: the page's questions are
    lookups in a small local graph, and a dict answers them faster than building a store."""

    def __init__(self, triples: list[ox.Triple]):
        self.by_subject: dict[Any, list[ox.Triple]] = defaultdict(list)
        self.by_object: dict[Any, list[ox.Triple]] = defaultdict(list)
        for t in dict.fromkeys(triples):  # CONSTRUCT results may repeat a triple
            self.by_subject[t.subject].append(t)
            self.by_object[t.object].append(t)

    def quads_for_pattern(self, s: Any, p: Any, o: Any) -> list[ox.Triple]:
        """Triples matching (s, p, o), None as a wildcard; s or o must be given."""
        if s is not None:
            found = self.by_subject.get(s, [])
            return [t for t in found if (p is None or t.predicate == p) and (o is None or t.object == o)]
        found = self.by_object.get(o, [])
        return [t for t in found if p is None or t.predicate == p]


def neighbourhood(iri: str) -> TripleIndex:
    """The resource and the nodes around it (two hops), fetched with one CONSTRUCT so that the
    page's questions are asked locally: one round trip, even to a remote store."""
    q = f"""
CONSTRUCT {{ ?s ?p ?o }}
WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{
      {{ BIND(<{iri}> AS ?s) }}
      UNION {{ {{ ?s ?x <{iri}> }} UNION {{ GRAPH ?g1 {{ ?s ?x <{iri}> }} }} }}
      UNION {{ {{ <{iri}> ?x ?s }} UNION {{ GRAPH ?g2 {{ <{iri}> ?x ?s }} }} }}
      UNION {{ {{ ?a ?x <{iri}> . ?a ?y ?s }} UNION {{ GRAPH ?g3 {{ ?a ?x <{iri}> . ?a ?y ?s }} }} }}
      UNION {{ {{ <{iri}> ?x ?a . ?a ?y ?s }} UNION {{ GRAPH ?g4 {{ <{iri}> ?x ?a . ?a ?y ?s }} }} }}
      FILTER(!isLiteral(?s))
    }} LIMIT {MAX_NEIGHBOURS} }}
  {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
}}"""
    return TripleIndex(construct(q))


# ---------------------------------------------------------------------------------------------
# The vocabulary: read once from the bundled files


class _Vocab:
    """The ontology graph and its labels, loaded once per process."""

    _lock = threading.Lock()
    _store: ox.Store | None = None
    _labels: dict[str, str] = {}
    _locality_classes: set[str] = set()
    _html: str | None = None

    @classmethod
    def store(cls) -> ox.Store:
        with cls._lock:
            if cls._store is None:
                s = ox.Store()
                for name in ("twin.ttl", "alignments.ttl"):
                    f = ontology_file(name)
                    if f.is_file():
                        s.load(f.read_bytes(), format=ox.RdfFormat.TURTLE)
                labels: dict[str, str] = {}
                for sol in s.query(
                    f"SELECT ?s ?l WHERE {{ ?s <{RDFS}label> ?l FILTER(lang(?l) = 'en' || lang(?l) = '') }}"
                ):
                    labels[sol["s"].value] = sol["l"].value
                cls._labels = labels
                cls._locality_classes = {
                    sol["c"].value
                    for sol in s.query(f"SELECT ?c WHERE {{ ?c <{RDFS}subClassOf>* <{TWIN}Locality> }}")
                }
                cls._store = s
            return cls._store

    @classmethod
    def label(cls, iri: str) -> str | None:
        cls.store()
        return cls._labels.get(iri)

    @classmethod
    def locality_classes(cls) -> set[str]:
        cls.store()
        return cls._locality_classes

    @classmethod
    def document(cls, path_rest: str) -> list[ox.Triple] | None:
        """Triples of the vocabulary document at ``ns`` (or ``ns/alignments``, ``ns/VERSION``)."""
        name = "alignments.ttl" if path_rest == "alignments" else "twin.ttl"
        if path_rest not in ("", "alignments") and not path_rest[:1].isdigit():
            return None
        f = ontology_file(name)
        if not f.is_file():
            return None
        return list(ox.parse(f.read_bytes(), format=ox.RdfFormat.TURTLE))

    @classmethod
    def html(cls) -> str | None:
        """The pyLODE documentation of the vocabulary (built by twinrdf.docs), cached."""
        with cls._lock:
            if cls._html is None:
                cls._html = _build_vocab_html()
            return cls._html or None


def _build_vocab_html() -> str:
    """The pyLODE page from the docs stage (``twinrdf.docs.ontology_html``), or "" when the docs
    stage cannot build it here (the generic resource page is served instead).

    pyLODE takes seconds, so the page is kept in a file of the temp directory keyed by the
    ontology's content and the package version: every worker process, and the next start, reuse
    it instead of building it again."""
    import hashlib
    import logging
    import os
    import tempfile
    from pathlib import Path

    from twinrdf import __version__

    h = hashlib.sha256(__version__.encode())
    for name in ("twin.ttl", "alignments.ttl"):
        f = ontology_file(name)
        if f.is_file():
            h.update(f.read_bytes())
    cache = Path(tempfile.gettempdir()) / f"twinrdf-vocab-{os.getuid()}-{h.hexdigest()[:16]}.html"
    if cache.is_file():
        return cache.read_text(encoding="utf-8")
    try:
        from twinrdf.docs import ontology_html
    except ImportError:
        return ""
    try:
        html = ontology_html()
    except Exception:  # pyLODE problems must not take the vocabulary IRI down
        logging.getLogger(__name__).exception("pyLODE documentation could not be built")
        return ""
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)
    return html


# ---------------------------------------------------------------------------------------------
# Presentation helpers


def _term_key(t: Any) -> str:
    return t.value if isinstance(t, ox.NamedNode | ox.BlankNode) else str(t)


class View:
    """Questions a template asks about a small local graph (the resource's neighbourhood)."""

    def __init__(self, store: TripleIndex, iri: str):
        self.store = store
        self.iri = iri
        self.node = ox.NamedNode(iri)
        self._labels: dict[Any, str] = {}

    def objects(self, s: Any, p: str) -> list[Any]:
        return [q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None)]

    def subjects(self, p: str, o: Any) -> list[Any]:
        return [q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), o)]

    def one(self, s: Any, p: str) -> Any | None:
        objs = self.objects(s, p)
        return sorted(objs, key=str)[0] if objs else None

    def types(self, s: Any) -> list[str]:
        return sorted(o.value for o in self.objects(s, RDF_TYPE) if isinstance(o, ox.NamedNode))

    def label(self, term: Any) -> str:
        """A human label: English or untagged label from the data, then the vocabulary, then the IRI."""
        if isinstance(term, ox.Literal):
            return term.value
        if term not in self._labels:
            self._labels[term] = self._label(term)
        return self._labels[term]

    def _label(self, term: Any) -> str:
        if isinstance(term, ox.NamedNode | ox.BlankNode):
            best: tuple[int, str] | None = None
            for rank, p in enumerate(LABEL_PROPS):
                for o in self.objects(term, p):
                    if isinstance(o, ox.Literal):
                        lang = o.language or ""
                        score = rank * 10 + (0 if lang in ("en", "") else 5 if lang.startswith("en") else 8)
                        if best is None or (score, o.value) < best:
                            best = (score, o.value)
            if best:
                return best[1]
            if isinstance(term, ox.NamedNode):
                vl = _Vocab.label(term.value)
                if vl:
                    return vl
                curie = _curie(term.value)
                if curie:
                    return curie
                tail = term.value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                return tail or term.value
            return "(unnamed)"
        return str(term)

    def names(self, s: Any) -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        for p in NAME_PROPS:
            for o in self.objects(s, p):
                if isinstance(o, ox.Literal) and (o.value, o.language or "") not in seen:
                    seen.append((o.value, o.language or ""))
        return seen

    def coords(self, s: Any) -> tuple[float, float] | None:
        lat, lon = self.one(s, WGS84 + "lat"), self.one(s, WGS84 + "long")
        try:
            if lat is not None and lon is not None:
                return float(lat.value), float(lon.value)
        except ValueError:
            pass
        for geom in self.objects(s, GEO + "hasGeometry") + [s]:
            wkt = self.one(geom, GEO + "asWKT")
            if wkt is not None and "POINT" in wkt.value.upper():
                try:
                    inner = wkt.value[wkt.value.index("(") + 1 : wkt.value.index(")")].split()
                    return float(inner[1]), float(inner[0])
                except (ValueError, IndexError):
                    return None
        return None

    def wikidata(self, s: Any) -> list[str]:
        out = [o.value for o in self.objects(s, TWIN + "wikidata") if isinstance(o, ox.NamedNode)]
        out += [
            o.value
            for o in self.objects(s, OWL_SAMEAS)
            if isinstance(o, ox.NamedNode) and o.value.startswith(WD)
        ]
        return sorted(set(out))

    def sources(self, s: Any) -> list[dict[str, Any]]:
        out = []
        for p in SOURCE_PROPS:
            for src in self.objects(s, p):
                url = self.one(src, TWIN + "url")
                out.append(
                    {
                        "term": src,
                        "label": self.label(src),
                        "url": url.value
                        if url is not None
                        else (
                            src.value
                            if isinstance(src, ox.NamedNode) and iri_to_path(src.value) is None
                            else None
                        ),
                        "ref": (self.one(src, TWIN + "referenceNumber") or ox.Literal("")).value,
                        "retrieved": (self.one(src, TWIN + "retrieved") or ox.Literal("")).value,
                        "quotation": (self.one(src, TWIN + "quotation") or ox.Literal("")).value,
                    }
                )
        return sorted(out, key=lambda d: d["label"])

    def statements(self, s: Any) -> list[dict[str, Any]]:
        """Every outgoing statement, grouped by property, for the 'all statements' table."""
        groups: dict[str, list[Any]] = defaultdict(list)
        for q in self.store.quads_for_pattern(s, None, None):
            groups[q.predicate.value].append(q.object)
        return [
            {"p": ox.NamedNode(p), "objects": sorted(objs, key=_term_key)}
            for p, objs in sorted(groups.items(), key=lambda kv: _Vocab.label(kv[0]) or kv[0])
        ]

    def incoming(self, s: Any) -> list[dict[str, Any]]:
        groups: dict[str, list[Any]] = defaultdict(list)
        for q in self.store.quads_for_pattern(None, None, s):
            groups[q.predicate.value].append(q.subject)
        return [
            {"p": ox.NamedNode(p), "subjects": sorted(subs, key=_term_key)}
            for p, subs in sorted(groups.items())
        ]


def _date(v: View, s: Any, *props: str) -> str:
    for p in props:
        o = v.one(s, TWIN + p)
        if o is not None:
            return o.value
    return ""


def locality_context(v: View) -> dict[str, Any]:
    loc = v.node
    twins = []
    points = []
    here = v.coords(loc)
    for agr in v.subjects(TWIN + "partner", loc):
        partners = [p for p in v.objects(agr, TWIN + "partner") if p != loc]
        status = v.one(agr, TWIN + "status")
        kind = v.one(agr, TWIN + "kind")
        for other in partners or [None]:
            twins.append(
                {
                    "agreement": agr,
                    "agreement_label": v.label(agr),
                    "other": other,
                    "other_label": v.label(other) if other is not None else "",
                    "other_country": v.one(other, TWIN + "country") if other is not None else None,
                    "kind": kind,
                    "status": status,
                    "signed": _date(v, agr, "signingDate"),
                    "start": _date(v, agr, "startDate"),
                    "end": _date(v, agr, "endDate"),
                }
            )
            c = v.coords(other) if other is not None else None
            if c is not None:
                points.append({"lat": c[0], "lon": c[1], "label": v.label(other), "term": other})
    twins.sort(key=lambda t: (t["other_label"].lower(), t["signed"]))
    activities = []
    for p in (
        TWIN + "involves",
        TWIN + "participant",
        TWIN + "commemorates",
        TWIN + "locatedIn",
        TWIN + "sender",
        TWIN + "recipient",
    ):
        for act in v.subjects(p, loc):
            types = v.types(act)
            if (
                RDF_TYPE
                and any(t.startswith(TWIN) for t in types)
                and TWIN + "TwinningAgreement" not in types
            ):
                activities.append(
                    {
                        "term": act,
                        "label": v.label(act),
                        "types": [ox.NamedNode(t) for t in types],
                        "date": _date(v, act, "date", "startDate", "notBefore"),
                        "role": ox.NamedNode(p),
                    }
                )
    seen: set[str] = set()
    activities = [a for a in activities if not (a["term"].value in seen or seen.add(a["term"].value))]
    activities.sort(key=lambda a: (a["date"], a["label"]))
    return {
        "names": v.names(loc),
        "country": v.one(loc, TWIN + "country"),
        "parent": v.one(loc, TWIN + "administrativeParent"),
        "population": v.one(loc, TWIN + "population"),
        "coords": here,
        "map": svg_map(here, v.label(loc), points) if here or points else None,
        "twins": twins,
        "activities": activities,
        "wikidata": v.wikidata(loc),
    }


def agreement_context(v: View) -> dict[str, Any]:
    agr = v.node
    history = []
    for sc in v.objects(agr, TWIN + "statusChange"):
        history.append(
            {
                "status": v.one(sc, TWIN + "status"),
                "date": _date(v, sc, "date", "startDate", "notBefore"),
                "reason": (v.one(sc, TWIN + "reason") or ox.Literal("")).value,
                "sources": v.sources(sc),
            }
        )
    history.sort(key=lambda h: h["date"])
    signings = []
    for sg in v.objects(agr, TWIN + "signing"):
        person = v.one(sg, TWIN + "signatory")
        signings.append(
            {
                "person": person,
                "person_label": v.label(person) if person is not None else "",
                "office": (
                    v.one(sg, TWIN + "office")
                    or (v.one(person, TWIN + "office") if person else None)
                    or ox.Literal("")
                ).value,
                "on_behalf_of": v.one(sg, TWIN + "onBehalfOf"),
                "date": _date(v, sg, "date", "signingDate"),
            }
        )
    partners = []
    points = []
    for p in v.objects(agr, TWIN + "partner"):
        partners.append(
            {"term": p, "label": v.label(p), "country": v.one(p, TWIN + "country"), "wikidata": v.wikidata(p)}
        )
        c = v.coords(p)
        if c is not None:
            points.append({"lat": c[0], "lon": c[1], "label": v.label(p), "term": p})
    partners.sort(key=lambda d: d["label"])
    activities = [
        {"term": a, "label": v.label(a), "date": _date(v, a, "date", "startDate")}
        for a in v.subjects(TWIN + "relatedAgreement", agr)
    ]
    return {
        "partners": partners,
        "kind": v.one(agr, TWIN + "kind"),
        "status": v.one(agr, TWIN + "status"),
        "signed": _date(v, agr, "signingDate"),
        "start": _date(v, agr, "startDate"),
        "end": _date(v, agr, "endDate"),
        "purposes": v.objects(agr, TWIN + "purpose"),
        "history": history,
        "signings": signings,
        "documents": v.objects(agr, TWIN + "document"),
        "held_by": v.objects(agr, TWIN + "heldBy"),
        "listings": [
            {
                "by": v.one(li, TWIN + "listedBy"),
                "partner": v.one(li, TWIN + "listedPartner"),
                "sources": v.sources(li),
            }
            for li in v.objects(agr, TWIN + "listing")
        ],
        "activities": activities,
        "sources": v.sources(agr),
        "map": svg_map(None, "", points) if points else None,
    }


def svg_map(here: tuple[float, float] | None, here_label: str, points: list[dict[str, Any]]) -> Markup:
    """A small equirectangular map as inline SVG: a graticule, the place and its twins, with
    lines between them. No tiles, no scripts; every point is a link with a tooltip."""
    pts = [(here[0], here[1])] if here else []
    pts += [(p["lat"], p["lon"]) for p in points]
    lats = [p[0] for p in pts] or [0.0]
    lons = [p[1] for p in pts] or [0.0]
    pad = 8.0
    west, east = max(-180.0, min(lons) - pad), min(180.0, max(lons) + pad)
    south, north = max(-90.0, min(lats) - pad), min(90.0, max(lats) + pad)
    # keep the box at least 30 x 20 degrees, centred on the points
    if east - west < 30:
        mid = (east + west) / 2
        west, east = mid - 15, mid + 15
    if north - south < 20:
        mid = (north + south) / 2
        south, north = mid - 10, mid + 10
    width, height = east - west, north - south
    r = max(width, height) / 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" '
        f'viewBox="{west:.3f} {-north:.3f} {width:.3f} {height:.3f}" preserveAspectRatio="xMidYMid meet">',
        f"<title>Map: {_esc(here_label) or 'places'}</title>",
        f'<rect x="{west:.3f}" y="{-north:.3f}" width="{width:.3f}" height="{height:.3f}" class="sea"/>',
    ]
    step = 30 if max(width, height) > 90 else 10 if max(width, height) > 25 else 5
    for lon in range(-180, 181, step):
        if west <= lon <= east:
            parts.append(f'<line x1="{lon}" y1="{-north:.3f}" x2="{lon}" y2="{-south:.3f}" class="grid"/>')
    for lat in range(-90, 91, step):
        if south <= lat <= north:
            cls = "grid equator" if lat == 0 else "grid"
            parts.append(f'<line x1="{west:.3f}" y1="{-lat}" x2="{east:.3f}" y2="{-lat}" class="{cls}"/>')
    if here:
        for p in points:
            parts.append(
                f'<line x1="{here[1]:.4f}" y1="{-here[0]:.4f}" x2="{p["lon"]:.4f}" y2="{-p["lat"]:.4f}" '
                f'class="link" stroke-width="{r / 3:.3f}"/>'
            )
    for p in points:
        href = _esc(local_href(p["term"].value)) if isinstance(p["term"], ox.NamedNode) else "#"
        parts.append(
            f'<a href="{href}"><circle cx="{p["lon"]:.4f}" cy="{-p["lat"]:.4f}" r="{r:.3f}" class="twin">'
            f"<title>{_esc(p['label'])} ({p['lat']:.4f}, {p['lon']:.4f})</title></circle></a>"
        )
    if here:
        parts.append(
            f'<circle cx="{here[1]:.4f}" cy="{-here[0]:.4f}" r="{r * 1.4:.3f}" class="here">'
            f"<title>{_esc(here_label)} ({here[0]:.4f}, {here[1]:.4f})</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _esc(s: str) -> str:
    return str(Markup.escape(s))


# ---------------------------------------------------------------------------------------------
# Responses


def _rdf_response(triples: list[ox.Triple], output: RdfOutput, negotiated: bool) -> Response:
    body = serialize(triples, output, prefixes())
    resp = Response(body, mimetype=output.mimetype)
    if output.mimetype in ("text/turtle", "application/n-triples"):
        resp.headers["Content-Type"] = f"{output.mimetype}; charset=utf-8"
    if negotiated:
        resp.headers["Vary"] = "Accept"
    return resp


def _alternates(path: str) -> list[dict[str, str]]:
    return [
        {"mimetype": o.mimetype, "suffix": o.suffix, "href": f"{request.script_root}{path}.{o.suffix}"}
        for o in BY_SUFFIX.values()
    ]


def _split_suffix(path: str) -> tuple[str, str | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and "/" not in ext and (ext in BY_SUFFIX or ext == HTML_SUFFIX):
        return stem, ext
    return path, None


def _choose(suffix: str | None) -> tuple[str, RdfOutput | None]:
    """HTML or an RDF output for this request, from the suffix or the Accept header (406)."""
    if suffix == HTML_SUFFIX:
        return "text/html", None
    if suffix is not None:
        return BY_SUFFIX[suffix].mimetype, BY_SUFFIX[suffix]
    chosen = negotiate_rdf(html=True)
    if chosen is None:
        abort(
            406,
            description="This resource is available as text/html, text/turtle, "
            "application/n-triples, application/ld+json and application/rdf+xml.",
        )
    return chosen


def resource_view(path: str) -> Response:
    """Serve the data IRI at ``path`` (a path under the base IRI's path)."""
    stem, suffix = _split_suffix(path)
    iri = path_to_iri(stem) if suffix else path_to_iri(path)
    if iri is None or not _iri_ok(iri):
        abort(404)
    _, output = _choose(suffix)
    if output is not None:
        triples = describe(iri)
        if not triples and suffix:
            # an IRI that itself ends in ".ttl": try it whole
            whole = path_to_iri(path)
            if whole and _iri_ok(whole):
                iri, suffix, triples = whole, None, describe(whole)
                _, output = _choose(None)
        if not triples:
            abort(404, description=f"No triples about <{iri}> in this dataset.")
        if output is not None:
            return _rdf_response(triples, output, negotiated=suffix is None)
    store = neighbourhood(iri)
    node = ox.NamedNode(iri)
    known = next(iter(store.quads_for_pattern(node, None, None)), None) or next(
        iter(store.quads_for_pattern(None, None, node)), None
    )
    if known is None:
        abort(404, description=f"No triples about <{iri}> in this dataset.")
    v = View(store, iri)
    types = set(v.types(v.node))
    ctx: dict[str, Any] = {
        "v": v,
        "iri": iri,
        "title": v.label(v.node),
        "types": [ox.NamedNode(t) for t in sorted(types)],
        "alternates": _alternates(stem),
        "statements": v.statements(v.node),
        "incoming": v.incoming(v.node),
    }
    if types & _Vocab.locality_classes():
        template = "pages/locality.html"
        ctx.update(locality_context(v))
    elif TWIN + "TwinningAgreement" in types:
        template = "pages/agreement.html"
        ctx.update(agreement_context(v))
    else:
        template = "pages/resource.html"
        ctx.update({"wikidata": v.wikidata(v.node), "sources": v.sources(v.node)})
    resp = Response(render_template(template, **ctx), mimetype="text/html")
    if suffix is None:
        resp.headers["Vary"] = "Accept"
    return resp


def vocab_view(rest: str = "") -> Response:
    """The vocabulary document: pyLODE HTML for browsers, the ontology in RDF for machines."""
    stem, suffix = _split_suffix(rest)
    triples = _Vocab.document(stem.strip("/"))
    if triples is None:
        abort(404)
    mimetype, output = _choose(suffix)
    if output is not None:
        return _rdf_response(triples, output, negotiated=suffix is None)
    html = _Vocab.html() if stem.strip("/") == "" else None
    if html:
        resp = Response(html, mimetype="text/html")
    else:
        v = View(TripleIndex(triples), vocab_iri())
        resp = Response(
            render_template(
                "pages/resource.html",
                v=v,
                iri=vocab_iri(),
                title=v.label(v.node),
                types=[ox.NamedNode(t) for t in v.types(v.node)],
                alternates=_alternates(urlsplit(vocab_iri()).path + (f"/{stem}" if stem else "")),
                statements=v.statements(v.node),
                incoming=[],
                wikidata=[],
                sources=[],
            ),
            mimetype="text/html",
        )
    if suffix is None:
        resp.headers["Vary"] = "Accept"
    return resp


@lru_cache(maxsize=8192)
def _curie(iri: str) -> str | None:
    """``rdfs:label`` for a term of a well-known vocabulary (not for the data's own IRIs)."""
    for prefix, ns in prefixes().items():
        local = iri[len(ns) :] if iri.startswith(ns) else None
        if local and all(c.isalnum() or c in "_-" for c in local):
            return f"{prefix}:{local}"
    return None


def _term_html(term: Any, v: View | None = None) -> Markup:
    """A term as HTML: local link for IRIs served here, outward link for others, literal text.
    (Plain escaping and f-strings: this runs hundreds of times per page.)"""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        label = v.label(term) if v is not None else (_Vocab.label(iri) or _curie(iri) or iri)
        href = local_href(iri)
        ext = "" if href != iri else ' rel="external"'
        return Markup(f'<a href="{escape(href)}" title="{escape(iri)}"{ext}>{escape(label)}</a>')
    if isinstance(term, ox.BlankNode):
        return Markup(f"<span class='bnode'>{escape(v.label(term) if v else '_:' + term.value)}</span>")
    if isinstance(term, ox.Literal):
        extra = ""
        if term.language:
            extra = f"@{term.language}"
        elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            extra = term.datatype.value.rsplit("#", 1)[-1]
        small = f"<small class='dt'> {escape(extra)}</small>" if extra else "<small class='dt'></small>"
        return Markup(f"{escape(term.value)}{small}")
    return escape("" if term is None else str(term))


def register(app: Flask) -> None:
    """Add the dereferencing routes under the paths of the configured base IRI and vocabulary."""
    bp = Blueprint("pages", __name__, template_folder="templates")
    with app.app_context():
        data_path = urlsplit(base_iri()).path.rstrip("/")
        ns_path = urlsplit(vocab_iri()).path.rstrip("/")

    def data_route(rest: str) -> Response:
        return resource_view(f"{data_path}/{rest}")

    bp.add_url_rule(f"{data_path}/<path:rest>", "resource", data_route)
    bp.add_url_rule(ns_path, "vocab", vocab_view)
    bp.add_url_rule(f"{ns_path}.<ext>", "vocab_suffix", lambda ext: vocab_view("." + ext))
    bp.add_url_rule(f"{ns_path}/<path:rest>", "vocab_doc", vocab_view)

    @bp.app_template_filter("term")
    def term_filter(term: Any, v: View | None = None) -> Markup:
        return _term_html(term, v)

    @bp.app_template_filter("href")
    def href_filter(iri: Any) -> str:
        return local_href(iri.value if isinstance(iri, ox.NamedNode) else str(iri))

    @bp.app_context_processor
    def inject() -> dict[str, Any]:
        def query_ui() -> str:
            try:
                return url_for("sparql.sparql")
            except Exception:
                return request.script_root + "/sparql"

        return {"query_ui_url": query_ui, "fmt_coord": lambda x: f"{x:.4f}", "isfinite": math.isfinite}

    app.register_blueprint(bp)
