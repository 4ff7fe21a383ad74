"""The one place where records become triples.

Every converter (the twinrdf tables, Wikipedia lists, Wikidata JSON, WDQS results) parses its
source into a :class:`twinrdf.records.RecordSet` and calls :func:`build`; IRIs, pair merging,
dates with precision, language tags, provenance and the checks against the vocabulary therefore
behave the same for every source.

Public API (stable; issue 4's converters build on it)::

    from twinrdf.build import build, BuildResult, BuildSummary, DEFAULT_BASE
    result = build(records, base_iri=DEFAULT_BASE, graph_per_source=False, provenance=None)
    result.summary    # BuildSummary: localities, agreements, merged_pairs, one_sided_pairs,
                      #   triples, rows_read, rows_output, rows_rejected
    result.rejects    # list[Reject]: the parser's rejects followed by the builder's own
    result.quads      # list[pyoxigraph.Quad], deduplicated, in a deterministic order (parsed
                      #   from result.nquads on first use: ~1 s per 400k quads)
    result.nquads     # the same as N-Quads bytes (result.ntriples without graph names)
    twinrdf.rdfio.write_rdf(result, path)   # fastest way out: pass the result, not .quads

``len(result.quads)`` is ``result.summary.triples``.

What the builder does:

- **IRIs** come from :mod:`twinrdf.iris` (docs/identifiers.md): ``<base>locality/<slug>``,
  ``<base>agreement/<slug>`` and so on; sub-nodes (geometry, status change, signing, listing)
  hang under their parent's IRI. No blank nodes, so outputs diff cleanly.
- **Records with the same key merge** (a locality that many rows mention becomes one node):
  lists are united in order, and a single value is taken from the first record that has one,
  records taken in input order (file, line).
- **Agreements merge per set of partners**: records with the same partner set become one node
  unless they carry distinct explicit keys (then they are distinct agreements, such as a 1942
  solidarity link and a later twinning of the same pair). Keyless records join the one keyed
  agreement of their partner set if there is exactly one, else a node minted from the sorted
  partner keys. Each side's ``Listing`` is kept with its source. ``merged_pairs`` counts
  agreement nodes made from two or more records; ``one_sided_pairs`` counts agreement nodes
  that have listings and are listed by only one partner.
- **Checks**: a value outside the vocabulary (kind, status, purpose, scope, role, ...) or a
  reference to an unknown or rejected record rejects the record (a ``Reject`` naming the file,
  line, column = record field, value and the allowed values); references are re-checked until
  nothing changes, so a row that refers to a rejected row is rejected too.
- **Countries**: ``country`` may be the key of a locality, the ``country_code`` of one, or an
  ISO 3166-1 alpha-2 code; an unknown code of the latter kind becomes ``<base>country/<CODE>``
  (a ``twin:Country`` labelled from pycountry). A locality with no ``country`` but a
  ``country_name`` (a country no ISO code fits) links to ``<base>country/<slug(name)>``,
  labelled with the name.
- Wikidata extras of a locality: ``descriptions`` -> ``dcterms:description`` with their
  language tags; ``instance_of`` -> ``dcterms:type wd:Q…``.
- **Triples**: scope -> ``rdf:type twin:Locality, twin:<Scope>``; names -> ``rdfs:label`` (first)
  and ``skos:altLabel`` with their language tags; dates -> ``xsd:gYear``/``xsd:gYearMonth``/
  ``xsd:date`` per :class:`twinrdf.dates.PartialDate`; coordinates -> ``wgs84:lat``/``wgs84:long``
  as ``xsd:decimal`` and a GeoSPARQL geometry ``<locality>/geometry`` with ``geo:asWKT
  "POINT(lon lat)"``; ``twin:twinnedWith`` both ways between the partners of each agreement;
  sources -> ``prov:wasDerivedFrom`` ``twin:Source`` nodes; status history -> ``twin:statusChange``
  nodes (when ``status`` is not given, the latest dated change gives it).
- With ``graph_per_source`` each record's triples go to the named graph
  ``<base>graph/<file name>`` of the file it was read from (records without an origin, and
  auto-minted countries, stay in the default graph).
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cached_property
from typing import Any

import pyoxigraph as ox

from twinrdf import concepts, iris
from twinrdf.dates import PartialDate
from twinrdf.iris import DEFAULT_BASE
from twinrdf.records import (
    Activity,
    Agent,
    Agreement,
    Document,
    Locality,
    Origin,
    RecordSet,
    Reject,
    Signing,
    Source,
    StatusChange,
    TerritorialStatus,
)
from twinrdf.resources import VOCAB_NS

__all__ = ["DEFAULT_BASE", "PREFIXES", "BuildResult", "BuildSummary", "build", "term_to_rdflib"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GEO = "http://www.opengis.net/ont/geosparql#"
WD = "http://www.wikidata.org/entity/"
WDS = "http://www.wikidata.org/entity/statement/"

PREFIXES = {
    "twin": VOCAB_NS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCT,
    "prov": PROV,
    "foaf": FOAF,
    "wgs84": WGS84,
    "geo": GEO,
    "wd": WD,
}



def _N(iri: str) -> str:
    """An IRI term in N-Triples syntax (the builder writes statements as N-Quads text: see BuildResult)."""
    return f"<{iri}>"


TYPE = _N(RDF + "type")
LABEL = _N(RDFS + "label")
ALT = _N(SKOS + "altLabel")
NOTE = _N(SKOS + "note")
TITLE = _N(DCT + "title")
DESCRIPTION = _N(DCT + "description")
DCT_TYPE = _N(DCT + "type")
PUBLISHER = _N(DCT + "publisher")
DERIVED = _N(PROV + "wasDerivedFrom")
PAGE = _N(FOAF + "page")
LAT = _N(WGS84 + "lat")
LONG = _N(WGS84 + "long")
HAS_GEOMETRY = _N(GEO + "hasGeometry")
AS_WKT = _N(GEO + "asWKT")
GEOMETRY = _N(GEO + "Geometry")
WKT = _N(GEO + "wktLiteral")
DECIMAL = _N(XSD + "decimal")
BOOLEAN = _N(XSD + "boolean")
NNI = _N(XSD + "nonNegativeInteger")
ANYURI = _N(XSD + "anyURI")
DATETYPES = {dt: _N(dt) for dt in (XSD + "gYear", XSD + "gYearMonth", XSD + "date")}

# Canonical N-Triples escapes (https://www.w3.org/TR/n-triples/#canonical-ntriples)
_ESCAPES = {i: f"\\u{i:04X}" for i in [*range(0x00, 0x08), 0x0B, *range(0x0E, 0x20), 0x7F]}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"',
                 0x5C: "\\\\"})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _esc(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _typed(text: str, datatype: str) -> str:
    return f'"{_esc(text)}"^^{datatype}'


TRUE = _typed("true", BOOLEAN)
CHUNK = 4096  # statements handed on at a time (BuildResult.chunks, build's sink)
LANG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def _twin(name: str) -> str:
    return _N(VOCAB_NS + name)


class _T:
    """twin: terms used here (each must exist in ontology/twin.ttl; tests/test_build.py checks)."""

    def __getattr__(self, name: str) -> str:
        node = _twin(name)
        setattr(self, name, node)
        return node


T = _T()
T_AGREEMENT, T_PARTNER, T_LISTING = T.TwinningAgreement, T.partner, T.listing
T_LISTING_CLASS, T_LISTED_BY, T_LISTED_PARTNER = T.Listing, T.listedBy, T.listedPartner


@dataclass
class BuildSummary:
    """What one build produced (rows_* count input rows by (file, line))."""

    localities: int = 0
    agreements: int = 0
    merged_pairs: int = 0
    one_sided_pairs: int = 0
    triples: int = 0
    rows_read: int = 0
    rows_output: int = 0
    rows_rejected: int = 0


@dataclass
class BuildResult:
    """The statements of one build, with its summary and rejects.

    For speed the builder writes each statement once as an N-Quads line (``lines``, without the
    final `` .``), deduplicated, in a deterministic order: pyoxigraph parses that text several
    times faster than Python constructs term objects. ``quads`` gives pyoxigraph Quads (parsed
    once, on first use); ``nquads`` and ``ntriples`` the text, which
    :func:`twinrdf.rdfio.write_rdf` writes or streams through pyoxigraph's serialisers.
    Every term in it is checked or escaped by the builder (IRIs from validated parts, external
    IRIs validated, literals escaped as canonical N-Triples, language tags checked).
    """

    lines: list[str]
    summary: BuildSummary
    rejects: list[Reject] = field(default_factory=list)
    named_graphs: bool = False

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add statements made elsewhere (a run's provenance record, say), keeping the text,
        the graph flag and the counts consistent."""
        known = set(self.lines)
        for q in quads:
            line = str(q)  # pyoxigraph prints canonical N-Quads terms
            if line not in known:
                known.add(line)
                self.lines.append(line)
                self.named_graphs |= not isinstance(q.graph_name, ox.DefaultGraph)
        self.summary.triples = len(self.lines)
        for cached in ("nquads", "ntriples", "quads"):
            self.__dict__.pop(cached, None)

    def chunks(self, size: int = 4096) -> Iterator[bytes]:
        """The N-Quads text (``nquads``) in pieces of ``size`` statements: writing or parsing
        them one after another never holds the whole text in memory (issue 4: building the
        40 MB text of the Wikipedia list costs more than writing it)."""
        if "nquads" in self.__dict__:
            yield self.nquads
            return
        lines = self.lines
        for i in range(0, len(lines), size):
            yield (" .\n".join(lines[i:i + size]) + " .\n").encode("utf-8")

    def reader(self) -> io.BufferedReader:
        """A binary stream of the N-Quads text (for pyoxigraph's parser), built piece by piece."""
        return io.BufferedReader(_ChunkReader(self.chunks()), 1 << 20)

    @cached_property
    def nquads(self) -> bytes:
        return ((" .\n".join(self.lines) + " .\n") if self.lines else "").encode("utf-8")

    @cached_property
    def ntriples(self) -> bytes:
        if not self.named_graphs:
            return self.nquads
        triples = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in self.quads)
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)

    @cached_property
    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.nquads, format=ox.RdfFormat.N_QUADS, lenient=True))


class _ChunkReader(io.RawIOBase):
    """A raw binary stream over an iterator of byte strings."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._buf = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._buf):
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._buf, self._pos = nxt, 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n


# ----------------------------------------------------------------------------- helpers


def _date(d: PartialDate) -> str:
    return f'"{d}"^^{DATETYPES[d.datatype]}'


def _decimal_text(x: float) -> str:
    """The shortest decimal that reads back as ``x``, never in exponent notation (xsd:decimal)."""
    s = repr(float(x))
    if "e" in s or "E" in s:
        s = format(Decimal(s), "f")
    return s if "." in s else s + ".0"


def _lit(text: str, lang: str | None = None) -> str:
    return f'"{_esc(text)}"@{lang.lower()}' if lang else f'"{_esc(text)}"'


_STATEMENT_RE = re.compile(r"^[A-Za-z0-9$-]+$")


def _valid_iri(text: str) -> bool:
    """True for an absolute IRI that pyoxigraph (and so every output format) accepts."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def term_to_rdflib(term: Any) -> Any:
    """A pyoxigraph term as the equal rdflib term (for the rdflib plugin and JSON-LD output)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == XSD + "string" else URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unexpected term {term!r}")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls) if f.name not in ("key", "origin"))
    return names


def _merge_into(target: Any, other: Any) -> None:
    """Lists united in order, single values from the first record that has one."""
    for name in _field_names(type(target)):
        a, b = getattr(target, name), getattr(other, name)
        if isinstance(a, list):
            for item in b:
                if item not in a:
                    a.append(item)
        elif isinstance(a, bool):
            setattr(target, name, a or b)
        elif a is None and b is not None:
            setattr(target, name, b)


def _copy(rec: Any) -> Any:
    """A copy whose lists can be changed without touching the caller's record."""
    new = object.__new__(type(rec))
    new.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in rec.__dict__.items()})
    return new


def _order(origin: Origin | None, index: int) -> tuple:
    return (0, origin.file, origin.line, index) if origin else (1, "", 0, index)


def _listing_node(agreement_iri: str, listed_by: str, listed_partner: str, source: str | None) -> str:
    """The IRI (N-Triples form) of one side's listing of an agreement, from the keys involved."""
    slug = iris.slug
    tail = f"{slug(listed_by)}--{slug(listed_partner)}"
    if source:
        tail += f"--{slug(source)}"
    return f"<{agreement_iri}/listing/{tail}>"


def _indexed_order(p: tuple[int, Any]) -> tuple:
    """:func:`_order` of an (index, record) pair, in one call."""
    o = p[1].origin
    return (0, o.file, o.line, p[0]) if o else (1, "", 0, p[0])


class _Rejector:
    def __init__(self) -> None:
        self.rejects: list[Reject] = []

    def add(self, origins: Iterable[Origin | None], column: str | None, value: Any, reason: str) -> None:
        text = None if value is None else (value if isinstance(value, str) else str(value))
        got = False
        for o in origins:
            if o is not None:
                self.rejects.append(Reject(o.file, o.line, reason, column=o.column or column, value=text))
                got = True
        if not got:
            self.rejects.append(Reject("", 0, reason, column=column, value=text))


# ----------------------------------------------------------------------------- build


class _Builder:
    def __init__(self, records: RecordSet, base: str, graph_per_source: bool,
                 sink: Callable[[list[str]], None] | None = None) -> None:
        self.records = records
        self.base = iris.check_base(base)
        self.per_source = graph_per_source
        self.rej = _Rejector()
        self.quads: list[str] = []  # emitted, not yet deduplicated into ``lines`` (see _drain)
        self.lines: list[str] = []
        self._seen: set[str] = set()
        self.sink = sink
        self.pending: list[str] = []
        self.graph = ""  # "" for the default graph, else " <graph IRI>"
        self._iri_cache: dict[str, dict[str, str]] = defaultdict(dict)
        self._graph_cache: dict[str, str] = {}
        self.dropped: set[int] = set()  # ids of nested status changes / signings rejected on their own
        self.emitted_rows: set[tuple[str, int]] = set()
        self._country_iris: dict[str, str | None] = {}  # resolve_country per value, once the checks are done
        self._good_langs: set[str] = set()  # language tags that LANG_RE accepted

    # -- terms
    def node(self, kind: str, key: str) -> str:
        cache = self._iri_cache[kind]
        n = cache.get(key)
        if n is None:
            n = cache[key] = _N(iris.mint(self.base, kind, key))
        return n

    def set_graph(self, origin: Origin | None) -> None:
        if self.per_source and origin is not None:
            g = self._graph_cache.get(origin.file)
            if g is None:
                g = self._graph_cache[origin.file] = " " + _N(iris.graph_iri(self.base, origin.file))
            self.graph = g
        else:
            self.graph = ""

    def emit(self, s: str, p: str, o: str) -> None:
        self.quads.append(f"{s} {p} {o}{self.graph}")

    def sub(self, s: str, p: str, o: str) -> None:
        """A triple about a sub-node, held back so that each subject's triples stay together."""
        self.pending.append(f"{s} {p} {o}{self.graph}")

    def flush(self) -> None:
        self.quads.extend(self.pending)
        self.pending.clear()

    def _drain(self) -> None:
        """Move the statements emitted so far into ``lines`` (deduplicated, first occurrence
        kept: the order ``dict.fromkeys`` over all of them would give) and hand ``lines`` to
        the sink, which sends the new ones to the output writers while the build goes on."""
        q = self.quads
        if q:
            seen = self._seen
            if seen.isdisjoint(q):  # none emitted before (the usual case)
                n = len(seen)
                seen.update(q)
                self.lines += q if len(seen) - n == len(q) else dict.fromkeys(q)
            else:
                lines = self.lines
                for line in q:
                    if line not in seen:
                        seen.add(line)
                        lines.append(line)
            q.clear()
        if self.sink is not None:
            self.sink(self.lines)

    def row(self, origin: Origin | None) -> None:
        if origin is not None:
            self.emitted_rows.add((origin.file, origin.line))

    # -- merging records with the same key
    def _dedupe(self, items: list[Any], kind: str) -> tuple[list[Any], dict[int, list[Origin | None]]]:
        by_key: dict[str, Any] = {}
        origins: dict[int, list[Origin | None]] = {}
        copied: set[int] = set()
        indexed = sorted(enumerate(items), key=lambda p: _order(p[1].origin, p[0]))
        for _, rec in indexed:
            first = by_key.get(rec.key)
            if first is None:
                by_key[rec.key] = rec
                origins[id(rec)] = [rec.origin]
                continue
            if id(first) not in copied:  # merging never mutates the caller's records
                clone = _copy(first)
                copied.add(id(clone))
                origins[id(clone)] = origins.pop(id(first))
                by_key[rec.key] = first = clone
            _merge_into(first, rec)
            origins[id(first)].append(rec.origin)
        return [by_key[k] for k in sorted(by_key)], origins

    # -- the run
    def run(self, provenance: dict | None) -> BuildResult:
        r = self.records
        localities, loc_origins = self._dedupe(r.localities, "locality")
        agents, agent_origins = self._dedupe(r.agents, "agent")
        sources, src_origins = self._dedupe(r.sources, "source")
        documents, doc_origins = self._dedupe(r.documents, "document")
        activities, act_origins = self._dedupe(r.activities, "activity")
        territorial, ter_origins = self._dedupe(r.territorial, "territorial")
        agreements_l = [a for _, a in sorted(enumerate(r.agreements), key=_indexed_order)]

        self.loc_keys = {x.key for x in localities}
        self.agent_keys = {x.key for x in agents}
        self.src_keys = {x.key for x in sources}
        self.doc_keys = {x.key for x in documents}
        self.code_index: dict[str, str] = {}
        for x in localities:
            if x.country_code:
                self.code_index.setdefault(x.country_code.upper(), x.key)
        self.auto_countries: dict[str, str] = {}
        self.named_countries: set[str] = set()

        # agreement keys: one partner set per key
        self.agr_keys: set[str] = set()
        key_partners: dict[str, frozenset[str]] = {}
        agr_ok: list[Agreement] = []
        for a in agreements_l:
            if a.key is not None:
                ps = frozenset(a.partners)
                prev = key_partners.setdefault(a.key, ps)
                if prev != ps:
                    self.rej.add([a.origin], "partners", "|".join(a.partners),
                                 f"agreement id {a.key!r} is already used with partners "
                                 f"{'|'.join(sorted(prev))}")
                    self._reject_nested(a)
                    continue
                self.agr_keys.add(a.key)
            agr_ok.append(a)

        checks: list[tuple[list[Any], Callable[[Any], list[tuple[str, Any, str]]], set[str] | None, dict]] = [
            (localities, self.check_locality, self.loc_keys, loc_origins),
            (agents, self.check_agent, self.agent_keys, agent_origins),
            (sources, lambda s: [], self.src_keys, src_origins),
            (documents, self.check_document, self.doc_keys, doc_origins),
            (agr_ok, self.check_agreement, None, {}),
            (activities, self.check_activity, None, act_origins),
            (territorial, self.check_territorial, None, ter_origins),
        ]
        rejected: set[int] = set()
        accepted_per_key: dict[str, int] = defaultdict(int)
        for a in agr_ok:
            if a.key is not None:
                accepted_per_key[a.key] += 1
        changed = True
        while changed:
            changed = False
            for items, check, keys, origins in checks:
                for rec in items:
                    if id(rec) in rejected:
                        continue
                    problems = check(rec)
                    if problems:
                        rejected.add(id(rec))
                        changed = True
                        for column, value, reason in problems:
                            self.rej.add(origins.get(id(rec), [rec.origin]), column, value, reason)
                        if isinstance(rec, Agreement):
                            self._reject_nested(rec)
                        if keys is not None:
                            keys.discard(rec.key)
                        elif isinstance(rec, Agreement) and rec.key is not None:
                            accepted_per_key[rec.key] -= 1
                            if not accepted_per_key[rec.key]:
                                self.agr_keys.discard(rec.key)

        def keep(items: list[Any]) -> list[Any]:
            return [x for x in items if id(x) not in rejected] if rejected else items

        localities, agents, sources = keep(localities), keep(agents), keep(sources)
        documents, activities, territorial = keep(documents), keep(activities), keep(territorial)
        groups = self.group_agreements(keep(agr_ok))

        # precomputed links that belong in the locality blocks
        twins: dict[str, set[str]] = defaultdict(set)
        for _, members, _ in groups:
            ps = members[0].partners
            if len(ps) == 2:  # the usual pair (issue 4 speed); same links as below
                a, b = ps
                if a != b:
                    twins[a].add(b)
                    twins[b].add(a)
                continue
            partners = sorted(set(ps))
            for p in partners:
                mine = twins[p]
                for q in partners:
                    if q != p:
                        mine.add(q)
        statuses: dict[str, list[str]] = defaultdict(list)
        for t in territorial:
            statuses[t.locality].append(t.key)

        summary = BuildSummary()
        quads, drain = self.quads, self._drain
        for loc in localities:
            self.emit_locality(loc, loc_origins[id(loc)], twins.get(loc.key, ()), statuses.get(loc.key, ()))
            if len(quads) >= CHUNK:
                drain()
        self.emit_auto_countries()
        for ag in agents:
            self.emit_agent(ag, agent_origins[id(ag)])
            if len(quads) >= CHUNK:
                drain()
        for s in sources:
            self.emit_source(s, src_origins[id(s)])
        for d in documents:
            self.emit_document(d, doc_origins[id(d)])
            if len(quads) >= CHUNK:
                drain()
        # Agreements: every statement's subject is the agreement's IRI or one under it
        # (<iri>/listing/..., <iri>/status-change/..., <iri>/signing/...), and agreement IRIs
        # are distinct and contain no "/" after "agreement/": no statement of one block can
        # equal one of another block or of any other kind of record. So each block is
        # deduplicated on its own (a small set) instead of against every statement so far
        # (issue 4 speed: ~0.1 s of the global dedupe for the Wikipedia list's 24,770 nodes).
        drain()
        lines = self.lines
        emit_agreement = self.emit_agreement
        for iri, members, key in groups:
            start = len(quads)
            emit_agreement(iri, members, key)
            block = quads[start:]
            if len(set(block)) != len(block):
                quads[start:] = dict.fromkeys(block)
            if len(members) > 1:
                summary.merged_pairs += 1
                listed_by = {li.listed_by for m in members for li in m.listings}
            elif len(members[0].listings) == 1:  # one record with one listing: one-sided
                summary.one_sided_pairs += 1
                listed_by = set()
            else:
                listed_by = {li.listed_by for li in members[0].listings}
            if listed_by and len(listed_by) < 2:
                summary.one_sided_pairs += 1
            if len(quads) >= CHUNK:  # _drain without the global set (see above)
                lines += quads
                quads.clear()
                if self.sink is not None:
                    self.sink(lines)
        lines += quads
        quads.clear()
        for act in activities:
            self.emit_activity(act, act_origins[id(act)])
            if len(quads) >= CHUNK:
                drain()
        for t in territorial:
            self.emit_territorial(t, ter_origins[id(t)])
        if provenance:
            self.emit_provenance(provenance)
        drain()

        lines = self.lines
        rejects = list(r.rejects) + self.rej.rejects
        rejected_rows = {(x.file, x.line) for x in rejects if x.file}
        summary.localities = len(localities) + len(self.auto_countries) + len(self.named_countries)
        summary.agreements = len(groups)
        summary.triples = len(lines)
        summary.rows_read = r.rows_read
        summary.rows_rejected = len(rejected_rows)
        summary.rows_output = len(self.emitted_rows - rejected_rows)
        return BuildResult(lines=lines, summary=summary, rejects=rejects,
                           named_graphs=bool(self._graph_cache))

    def _reject_nested(self, agreement: Agreement) -> None:
        """Status changes and signings read from rows of their own go down with their agreement."""
        where = f" ({agreement.origin.file} line {agreement.origin.line})" if agreement.origin else ""
        name = agreement.key or "|".join(agreement.partners)
        for item in [*agreement.status_changes, *agreement.signings]:
            if item.origin is not None and id(item) not in self.dropped:
                self.rej.add([item.origin], "agreement", name,
                             f"its agreement {name!r} was rejected{where}")

    # ------------------------------------------------------------------ checks
    def _concept(self, out: list, column: str, name: str, value: str | None) -> None:
        if value is not None and concepts.normalise(name, value) is None:
            out.append((column, value, f"unknown {column.replace('_', ' ')} {value!r}: "
                                       f"expected {concepts.describe(name)}"))

    def _ref(self, out: list, column: str, what: str, keys: set[str], values: Iterable[str | None]) -> None:
        for v in values:
            if v is not None and v not in keys:
                out.append((column, v, f"unknown {what} id {v!r} in {column} "
                                       f"(no accepted {what} has this id)"))

    def _ref_any(self, out: list, column: str, values: Iterable[str | None]) -> None:
        for v in values:
            if v is not None and v not in self.loc_keys and v not in self.agent_keys:
                out.append((column, v, f"unknown locality or agent id {v!r} in {column}"))

    def _country(self, out: list, column: str, value: str | None) -> None:
        if value is not None and self.resolve_country(value) is None:
            out.append((column, value, f"unknown country {value!r} in {column}: expected the id of a "
                                       "locality or an ISO 3166-1 alpha-2 code"))

    def resolve_country(self, value: str) -> str | None:
        if value in self.loc_keys:
            return self.node("locality", value)
        code = value.upper()
        if code in self.code_index and self.code_index[code] in self.loc_keys:
            return self.node("locality", self.code_index[code])
        if code in self.auto_countries:
            return self.node("country", code)
        import pycountry

        if len(code) == 2 and (c := pycountry.countries.get(alpha_2=code)) is not None:
            self.auto_countries[code] = c.name
            return self.node("country", code)
        return None

    def _wikidata(self, out: list, value: str | None, column: str = "wikidata") -> None:
        if value is not None and not (value[:1] == "Q" and value[1:].isdigit() and value[1:2] != "0"):
            out.append((column, value, f"not a Wikidata item id: {value!r} (expected Q and digits)"))

    def _langs(self, out: list, column: str, names: Iterable[tuple[str, str | None]]) -> None:
        for text, lang in names:
            if lang is not None and lang not in self._good_langs:
                if LANG_RE.match(lang):
                    self._good_langs.add(lang)
                else:
                    out.append((column, f"{text}@{lang}", f"not a BCP 47 language tag: {lang!r}"))

    def check_locality(self, x: Locality) -> list:
        out: list = []
        good = self._good_langs
        if not all(lang is None or lang in good for _, lang in x.names) or x.descriptions:
            self._langs(out, "names", [*x.names, *x.descriptions])
        if x.scope is not None:
            self._concept(out, "scope", "scope", x.scope)
        self._country(out, "country", x.country)
        if x.parent is not None:
            self._ref(out, "parent", "locality", self.loc_keys, [x.parent])
        if x.governing_body is not None:
            self._ref(out, "governing_body", "agent", self.agent_keys, [x.governing_body])
        if x.sources:
            self._ref(out, "sources", "source", self.src_keys, x.sources)
        if x.wikidata is not None:
            self._wikidata(out, x.wikidata)
        for q in x.instance_of:
            self._wikidata(out, q, "instance_of")
        if not x.names:
            out.append(("name", None, "a locality needs a name"))
        if (x.lat is None) != (x.lon is None):
            out.append(("lat" if x.lat is None else "lon", None, "give both lat and lon, or neither"))
        return out

    def check_agent(self, x: Agent) -> list:
        out: list = []
        self._langs(out, "names", x.names)
        self._concept(out, "kind", "agent_kind", x.kind)
        self._country(out, "country", x.country)
        for role in x.roles:
            self._concept(out, "roles", "role", role)
        self._ref(out, "parent", "agent", self.agent_keys, [x.parent])
        self._ref(out, "collaborates_with", "agent", self.agent_keys, x.collaborates_with)
        self._ref(out, "located_in", "locality", self.loc_keys, [x.located_in])
        self._ref(out, "sources", "source", self.src_keys, x.sources)
        self._wikidata(out, x.wikidata)
        return out

    def check_document(self, x: Document) -> list:
        out: list = []
        if x.url is not None and not _valid_iri(x.url):
            out.append(("url", x.url, f"not an absolute IRI: {x.url!r}"))
        self._ref(out, "sources", "source", self.src_keys, x.sources)
        return out

    def check_agreement(self, x: Agreement) -> list:
        out: list = []
        if (x.kind is None and x.status is None and x.wikidata_statement is None and not (
                x.purposes or x.documents or x.held_by or x.coordinated_by or x.initiated_by
                or x.status_changes or x.signings)):
            # issue 4 fast path: the same checks as below, minus those that have nothing to check
            if len(set(x.partners)) < 2:
                out.append(("partners", "|".join(x.partners),
                            "an agreement needs two or more distinct partners"))
            loc_keys, src_keys = self.loc_keys, self.src_keys
            self._ref(out, "partners", "locality", loc_keys, x.partners)
            self._ref(out, "sources", "source", src_keys, x.sources)
            for li in x.listings:
                if li.listed_by not in loc_keys or li.listed_partner not in loc_keys:
                    self._ref(out, "listings", "locality", loc_keys, [li.listed_by, li.listed_partner])
                if li.source is not None and li.source not in src_keys:
                    self._ref(out, "listings", "source", src_keys, [li.source])
            return out
        if len(set(x.partners)) < 2:
            out.append(("partners", "|".join(x.partners), "an agreement needs two or more distinct partners"))
        self._ref(out, "partners", "locality", self.loc_keys, x.partners)
        self._concept(out, "kind", "agreement_kind", x.kind)
        self._concept(out, "status", "status", x.status)
        for p in x.purposes:
            self._concept(out, "purposes", "purpose", p)
        self._ref(out, "documents", "document", self.doc_keys, x.documents)
        self._ref(out, "held_by", "agent", self.agent_keys, x.held_by)
        self._ref(out, "coordinated_by", "agent", self.agent_keys, x.coordinated_by)
        self._ref(out, "initiated_by", "agent", self.agent_keys, x.initiated_by)
        self._ref(out, "sources", "source", self.src_keys, x.sources)
        for li in x.listings:
            self._ref(out, "listings", "locality", self.loc_keys, [li.listed_by, li.listed_partner])
            self._ref(out, "listings", "source", self.src_keys, [li.source])
        # nested rows with an origin of their own are rejected on their own; others reject the agreement
        if x.wikidata_statement is not None and not _STATEMENT_RE.match(x.wikidata_statement):
            out.append(("wikidata_statement", x.wikidata_statement, "not a Wikidata statement id"))
        for item in [*x.status_changes, *x.signings]:
            if id(item) in self.dropped:
                continue
            sub: list = []
            if isinstance(item, StatusChange):
                self._concept(sub, "status", "status", item.status)
                self._ref(sub, "sources", "source", self.src_keys, item.sources)
            else:
                self._ref(sub, "person", "agent", self.agent_keys, [item.person])
                self._ref_any(sub, "on_behalf_of", [item.on_behalf_of])
            if sub and item.origin is not None:
                self.dropped.add(id(item))
                for column, value, reason in sub:
                    self.rej.add([item.origin], column, value, reason)
            else:
                out.extend(sub)
        return out

    def check_activity(self, x: Activity) -> list:
        out: list = []
        self._concept(out, "kind", "activity_kind", x.kind)
        self._ref(out, "involves", "locality", self.loc_keys, x.involves)
        self._ref(out, "participants", "agent", self.agent_keys, x.participants)
        self._ref(out, "agreement", "agreement", self.agr_keys, [x.agreement])
        for p in x.purposes:
            self._concept(out, "purposes", "purpose", p)
        for p in x.themes:
            self._concept(out, "themes", "purpose", p)
        self._ref_any(out, "sender", [x.sender])
        self._ref_any(out, "recipient", [x.recipient])
        self._ref(out, "commemorates", "locality", self.loc_keys, [x.commemorates])
        self._ref(out, "located_in", "locality", self.loc_keys, [x.located_in])
        self._concept(out, "commemoration_form", "commemoration_form", x.commemoration_form)
        self._ref(out, "company", "agent", self.agent_keys, [x.company])
        self._ref(out, "chamber", "agent", self.agent_keys, [x.chamber])
        self._ref(out, "initiated_by", "agent", self.agent_keys, x.initiated_by)
        self._ref(out, "coordinated_by", "agent", self.agent_keys, x.coordinated_by)
        self._country(out, "country", x.country)
        self._ref(out, "according_to", "agent", self.agent_keys, [x.according_to])
        self._ref(out, "sources", "source", self.src_keys, x.sources)
        return out

    def check_territorial(self, x: TerritorialStatus) -> list:
        out: list = []
        self._concept(out, "kind", "territorial_kind", x.kind)
        self._ref(out, "locality", "locality", self.loc_keys, [x.locality])
        self._ref(out, "recognised_by", "locality", self.loc_keys, [x.recognised_by])
        self._ref(out, "recognised_as_part_of", "locality", self.loc_keys, [x.recognised_as_part_of])
        self._concept(out, "basis", "basis", x.basis)
        self._ref(out, "controlled_by", "agent", self.agent_keys, x.controlled_by)
        self._ref(out, "sources", "source", self.src_keys, x.sources)
        return out

    # ------------------------------------------------------------------ agreements
    def group_agreements(self, agreements: list[Agreement]) -> list[tuple[str, list[Agreement], str | None]]:
        """(IRI, member records in input order, key) per agreement node, sorted by IRI."""
        by_set: dict[frozenset[str], list[Agreement]] = defaultdict(list)
        for a in agreements:
            by_set[frozenset(a.partners)].append(a)
        nodes: dict[str, tuple[list[Agreement], str | None]] = {}
        for ps, members in by_set.items():
            if len(members) == 1:  # the common case, as the general rule below would do it
                a = members[0]
                iri = iris.agreement_iri(self.base, a.key, ps)
                if a.key is None and iri in nodes:
                    iri = iri + "-" + iris.short_hash("keyless")
                nodes[iri] = (members, a.key)
                continue
            keys = sorted({a.key for a in members if a.key is not None})
            keyless = [a for a in members if a.key is None]
            for k in keys:
                nodes[iris.agreement_iri(self.base, k, ps)] = ([a for a in members if a.key == k], k)
            if keyless:
                if len(keys) == 1:
                    iri = iris.agreement_iri(self.base, keys[0], ps)
                    merged = nodes[iri][0] + keyless
                    nodes[iri] = (merged, keys[0])
                else:
                    iri = iris.agreement_iri(self.base, None, ps)
                    if iri in nodes:  # an explicit key spelled like the partner set: keep both apart
                        iri = iri + "-" + iris.short_hash("keyless")
                    nodes[iri] = (keyless, None)
        out = []
        for iri in sorted(nodes):
            members, key = nodes[iri]
            if len(members) > 1:
                members = sorted(members, key=lambda a: _order(a.origin, 0))
            out.append((iri, members, key))
        return out

    # ------------------------------------------------------------------ emitters
    def _common(self, s: str, sources: Iterable[str], note: str | None = None) -> None:
        for k in sources:
            self.emit(s, DERIVED, self.node("source", k))
        if note:
            self.emit(s, NOTE, _lit(note))

    def _names(self, s: str, names: list) -> None:
        seen: set = set()
        first = True
        for text, lang in names:
            if (text, lang) in seen:
                continue
            seen.add((text, lang))
            self.emit(s, LABEL if first else ALT, _lit(text, lang))
            first = False

    def _rows(self, origins: Iterable[Origin | None]) -> None:
        for o in origins:
            self.row(o)

    def emit_locality(
        self, x: Locality, origins: list, twins: Iterable[str], statuses: Iterable[str]
    ) -> None:
        self.set_graph(x.origin)
        g = self.graph
        rows = self.emitted_rows
        for o in origins:
            if o is not None:
                rows.add((o.file, o.line))
        s = self.node("locality", x.key)
        out = self.quads.append  # statements written inline, not through emit() (issue 4 speed)
        out(f"{s} {TYPE} {T.Locality}{g}")
        if x.scope:
            out(f"{s} {TYPE} {_twin(concepts.normalise('scope', x.scope))}{g}")
        names = x.names
        if len(names) == 1:
            text, lang = names[0]
            out(f"{s} {LABEL} {_lit(text, lang)}{g}")
        elif names:
            self._names(s, names)
        if x.country:
            country = self._country_iris.get(x.country)
            if country is None:
                country = self._country_iris[x.country] = self.resolve_country(x.country)
            out(f"{s} {T.country} {country}{g}")
        elif x.country_name:
            out(f"{s} {T.country} {self.country_by_name(x.country_name)}{g}")
        if x.country_code:
            out(f"{s} {T.countryCode} {_lit(x.country_code)}{g}")
        if x.parent:
            out(f"{s} {T.administrativeParent} {self.node('locality', x.parent)}{g}")
        geometry = None
        if x.lat is not None and x.lon is not None:
            lat, lon = _decimal_text(x.lat), _decimal_text(x.lon)
            out(f"{s} {LAT} {_typed(lat, DECIMAL)}{g}")
            out(f"{s} {LONG} {_typed(lon, DECIMAL)}{g}")
            geometry = s[:-1] + "/geometry>"
            out(f"{s} {HAS_GEOMETRY} {geometry}{g}")
        if x.population is not None:
            out(f"{s} {T.population} {_typed(str(x.population), NNI)}{g}")
        if x.population_date:
            out(f"{s} {T.populationDate} {_date(x.population_date)}{g}")
        if x.wikidata:
            out(f"{s} {T.wikidata} {_N(WD + x.wikidata)}{g}")
        for q in x.instance_of:
            out(f"{s} {DCT_TYPE} {_N(WD + q)}{g}")
        for text, lang in x.descriptions:
            out(f"{s} {DESCRIPTION} {_lit(text, lang)}{g}")
        if x.geonames:
            out(f"{s} {T.geonamesId} {_lit(x.geonames)}{g}")
        if x.governing_body:
            out(f"{s} {T.governingBody} {self.node('agent', x.governing_body)}{g}")
        if x.disputed:
            out(f"{s} {T.disputed} {TRUE}{g}")
        if twins:
            locs, node, pred = self._iri_cache["locality"], self.node, T.twinnedWith
            for other in sorted(twins):
                out(f"{s} {pred} {locs.get(other) or node('locality', other)}{g}")
        if statuses:
            for key in sorted(statuses):
                out(f"{s} {T.territorialStatus} {self.node('territorial', key)}{g}")
        if x.sources or x.note:
            self._common(s, x.sources, x.note)
        if geometry is not None:  # the geometry node's statements follow its locality's
            out(f"{geometry} {TYPE} {GEOMETRY}{g}")
            out(f"{geometry} {AS_WKT} {_typed(f'POINT({lon} {lat})', WKT)}{g}")
        self.flush()

    def country_by_name(self, name: str) -> str:
        """A country the source names but no ISO 3166 code fits (``Soviet Union``): ``country/<slug>``."""
        self.named_countries.add(name)
        return self.node("country", name)

    def emit_auto_countries(self) -> None:
        self.set_graph(None)
        for code in sorted(self.auto_countries):
            s = self.node("country", code)
            self.emit(s, TYPE, T.Locality)
            self.emit(s, TYPE, T.Country)
            self.emit(s, LABEL, _lit(self.auto_countries[code], "en"))
            self.emit(s, T.countryCode, _lit(code))
        for name in sorted(self.named_countries):
            s = self.node("country", name)
            self.emit(s, TYPE, T.Locality)
            self.emit(s, TYPE, T.Country)
            self.emit(s, LABEL, _lit(name))

    def emit_agent(self, x: Agent, origins: list) -> None:
        self.set_graph(x.origin)
        self._rows(origins)
        s = self.node("agent", x.key)
        kind = concepts.normalise("agent_kind", x.kind)
        self.emit(s, TYPE, T.Agent)
        self.emit(s, TYPE, _twin(kind))
        if kind != "Person":
            self.emit(s, TYPE, T.Organisation)
        self._names(s, x.names)
        if x.office:
            self.emit(s, T.office, _lit(x.office))
        if x.country:
            self.emit(s, T.country, self.resolve_country(x.country))
        for role in x.roles:
            self.emit(s, T.role, _twin(concepts.normalise("role", role)))
        if x.parent:
            self.emit(s, T.subOrganisationOf, self.node("agent", x.parent))
        for other in x.collaborates_with:
            o = self.node("agent", other)
            self.emit(s, T.collaboratesWith, o)
            self.emit(o, T.collaboratesWith, s)
        if x.located_in:
            self.emit(s, T.locatedIn, self.node("locality", x.located_in))
        if x.wikidata:
            self.emit(s, T.wikidata, _N(WD + x.wikidata))
        if x.description:
            self.emit(s, DESCRIPTION if kind == "Person" else T.orgDescription, _lit(x.description))
        self._common(s, x.sources)

    def emit_source(self, x: Source, origins: list) -> None:
        self.set_graph(x.origin)
        self._rows(origins)
        s = self.node("source", x.key)
        self.emit(s, TYPE, T.Source)
        if x.title:
            self.emit(s, TITLE, _lit(x.title))
        if x.url:
            self.emit(s, T.url, _typed(x.url, ANYURI))
        if x.reference_number:
            self.emit(s, T.referenceNumber, _lit(x.reference_number))
        if x.retrieved:
            self.emit(s, T.retrieved, _date(x.retrieved))
        if x.quotation:
            self.emit(s, T.quotation, _lit(x.quotation))
        if x.publisher:
            self.emit(s, PUBLISHER, _lit(x.publisher))

    def emit_document(self, x: Document, origins: list) -> None:
        self.set_graph(x.origin)
        self._rows(origins)
        s = self.node("document", x.key)
        self.emit(s, TYPE, T.Document)
        if x.title:
            self.emit(s, TITLE, _lit(x.title))
        if x.url:
            self.emit(s, PAGE, _N(x.url))
        if x.date:
            self.emit(s, T.date, _date(x.date))
        if x.description:
            self.emit(s, DESCRIPTION, _lit(x.description))
        self._common(s, x.sources)

    def _emit_plain_agreement(self, iri: str, a: Agreement) -> None:
        """Issue 4 fast path, same statements in the same order as the generic path below, for
        the common scraped case: one record with only partners, sources and listings."""
        origin = a.origin
        if origin is not None:
            self.emitted_rows.add((origin.file, origin.line))
        per_source = self.per_source
        if per_source:
            self.set_graph(origin)
        g = self.graph if per_source else ""
        s = f"<{iri}>"
        out = self.quads
        node = self.node
        locs = self._iri_cache["locality"]
        ps = a.partners
        if len(ps) == 2 and ps[0] != ps[1]:
            partners: Iterable[str] = (ps[0], ps[1]) if ps[0] < ps[1] else (ps[1], ps[0])
        else:
            partners = sorted(set(ps))
        out.append(f"{s} {TYPE} {T_AGREEMENT}{g}")
        for p in partners:
            out.append(f"{s} {T_PARTNER} {locs.get(p) or node('locality', p)}{g}")
        if a.sources:
            srcs = self._iri_cache["source"]
            for k in a.sources:
                out.append(f"{s} {DERIVED} {srcs.get(k) or node('source', k)}{g}")
        listings = a.listings
        if not listings:
            return
        pending: list[str] = []
        seen: set[tuple] = set()
        for li in listings:
            if len(listings) > 1:
                k = (li.listed_by, li.listed_partner, li.source)
                if k in seen:
                    continue
                seen.add(k)
            if per_source:
                self.set_graph(li.origin or origin)
            lg = self.graph if per_source else ""
            by_key, partner_key, source = li.listed_by, li.listed_partner, li.source
            n = _listing_node(iri, by_key, partner_key, source)
            out.append(f"{s} {T_LISTING} {n}{lg}")
            by = locs.get(by_key) or node("locality", by_key)
            partner = locs.get(partner_key) or node("locality", partner_key)
            pending += (f"{n} {TYPE} {T_LISTING_CLASS}{lg}", f"{n} {T_LISTED_BY} {by}{lg}",
                        f"{n} {T_LISTED_PARTNER} {partner}{lg}")
            if source:
                pending.append(f"{n} {DERIVED} {node('source', source)}{lg}")
        self.graph = g
        out += pending

    def emit_agreement(self, iri: str, members: list[Agreement], key: str | None) -> None:
        head = members[0]
        if len(members) == 1 and not (
            head.kind or head.status or head.status_changes or head.signing_date or head.start_date
            or head.end_date or head.purposes or head.signings or head.documents or head.held_by
            or head.coordinated_by or head.initiated_by or head.label or head.note
            or head.wikidata_statement or self.pending
        ):
            self._emit_plain_agreement(iri, head)
            return
        if len(members) == 1:
            merged = head  # only read below
        else:
            merged = Agreement(key=key, partners=list(head.partners))
            for m in members:
                _merge_into(merged, m)
        self.set_graph(head.origin)
        for m in members:
            self.row(m.origin)
        s = _N(iri)
        self.emit(s, TYPE, T.TwinningAgreement)
        for p in sorted(set(merged.partners)):
            self.emit(s, T.partner, self.node("locality", p))
        if merged.kind:
            self.emit(s, T.kind, _twin(concepts.normalise("agreement_kind", merged.kind)))
        status = merged.status
        changes = self._status_changes([c for c in merged.status_changes if id(c) not in self.dropped]
                                       ) if merged.status_changes else []
        if status is None:
            dated = [c for c in changes if c.date is not None]
            if dated:
                status = max(dated, key=lambda c: c.date.latest()).status
        if status:
            self.emit(s, T.status, _twin(concepts.normalise("status", status)))
        for name, d in (("signingDate", merged.signing_date), ("startDate", merged.start_date),
                        ("endDate", merged.end_date)):
            if d:
                self.emit(s, _twin(name), _date(d))
        for p in merged.purposes:
            self.emit(s, T.purpose, _twin(concepts.normalise("purpose", p)))
        for k in merged.documents:
            self.emit(s, T.document, self.node("document", k))
        for k in merged.held_by:
            self.emit(s, T.heldBy, self.node("agent", k))
        for k in merged.coordinated_by:
            self.emit(s, T.coordinatedBy, self.node("agent", k))
        for k in merged.initiated_by:
            self.emit(s, T.initiatedBy, self.node("agent", k))
        if merged.label:
            self.emit(s, LABEL, _lit(merged.label))
        if merged.wikidata_statement:
            self.emit(s, DERIVED, _N(WDS + merged.wikidata_statement.replace("$", "-")))
        self._common(s, merged.sources, merged.note)
        default_graph = self.graph
        # status history
        used: set[str] = set()
        for c in changes:
            base = f"{iri}/status-change/{concepts.normalise('status', c.status)}-{c.date or 'undated'}"
            n, i = base, 2
            while n in used:
                n, i = f"{base}-{i}", i + 1
            used.add(n)
            if c.origin:
                self.set_graph(c.origin)
            self.row(c.origin)
            node = _N(n)
            self.emit(s, T.statusChange, node)
            self.sub(node, TYPE, T.StatusChange)
            self.sub(node, T.status, _twin(concepts.normalise("status", c.status)))
            if c.date:
                self.sub(node, T.date, _date(c.date))
            if c.reason:
                self.sub(node, T.reason, _lit(c.reason))
            for k in c.sources:
                self.sub(node, DERIVED, self.node("source", k))
            self.graph = default_graph
        # signings, one node per signatory
        by_person: dict[str, Signing] = {}
        for sg in merged.signings:
            if id(sg) in self.dropped:
                continue
            if sg.person in by_person:
                _merge_into(by_person[sg.person], sg)
            else:
                by_person[sg.person] = Signing(sg.person, sg.on_behalf_of, sg.office, sg.date, sg.origin)
        for person in sorted(by_person):
            sg = by_person[person]
            if sg.origin:
                self.set_graph(sg.origin)
            self.row(sg.origin)
            node = _N(f"{iri}/signing/{iris.slug(person)}")
            self.emit(s, T.signing, node)
            self.sub(node, TYPE, T.Signing)
            self.sub(node, T.signatory, self.node("agent", person))
            if sg.on_behalf_of:
                kind = "locality" if sg.on_behalf_of in self.loc_keys else "agent"
                self.sub(node, T.onBehalfOf, self.node(kind, sg.on_behalf_of))
            if sg.office:
                self.sub(node, T.office, _lit(sg.office))
            if sg.date:
                self.sub(node, T.date, _date(sg.date))
            self.graph = default_graph
        # listings: each side's assertion, with its source
        seen: set[tuple] = set()
        for m in members:
            if not m.listings:
                continue
            for li in m.listings:
                k = (li.listed_by, li.listed_partner, li.source)
                if k in seen:
                    continue
                seen.add(k)
                self.set_graph(li.origin or m.origin)
                node = _listing_node(iri, li.listed_by, li.listed_partner, li.source)
                self.emit(s, T.listing, node)
                self.sub(node, TYPE, T.Listing)
                self.sub(node, T.listedBy, self.node("locality", li.listed_by))
                self.sub(node, T.listedPartner, self.node("locality", li.listed_partner))
                if li.source:
                    self.sub(node, DERIVED, self.node("source", li.source))
        self.graph = default_graph
        self.flush()

    @staticmethod
    def _status_changes(changes: list[StatusChange]) -> list[StatusChange]:
        """One per (status, date), sources united, sorted by date then status."""
        by: dict[tuple, StatusChange] = {}
        for c in changes:
            k = (concepts.normalise("status", c.status), c.date)
            if k in by:
                _merge_into(by[k], c)
            else:
                by[k] = StatusChange(c.status, c.date, c.reason, list(c.sources), c.origin)
        return sorted(by.values(), key=lambda c: (c.date.earliest() if c.date else (10**6, 0, 0),
                                                  c.date.precision if c.date else "", c.status))

    def emit_activity(self, x: Activity, origins: list) -> None:
        self.set_graph(x.origin)
        self._rows(origins)
        s = self.node("activity", x.key)
        kind = concepts.normalise("activity_kind", x.kind)
        self.emit(s, TYPE, _twin(kind))
        if kind != "HistoricalEvent":
            self.emit(s, TYPE, T.DiplomacyActivity)
        if x.label:
            self.emit(s, LABEL, _lit(x.label))
        if x.description:
            self.emit(s, DESCRIPTION, _lit(x.description))
        for name, d in (("date", x.date), ("startDate", x.start_date), ("endDate", x.end_date),
                        ("notBefore", x.not_before), ("notAfter", x.not_after)):
            if d:
                self.emit(s, _twin(name), _date(d))
        if x.period_label:
            self.emit(s, T.periodLabel, _lit(x.period_label))
        if x.frequency:
            self.emit(s, T.frequency, _lit(x.frequency))
        for k in x.involves:
            self.emit(s, T.involves, self.node("locality", k))
        for k in x.participants:
            self.emit(s, T.participant, self.node("agent", k))
        if x.agreement:
            self.emit(s, T.relatedAgreement, self.node("agreement", x.agreement))
        for p in x.purposes:
            self.emit(s, T.purpose, _twin(concepts.normalise("purpose", p)))
        for p in x.themes:
            self.emit(s, T.theme, _twin(concepts.normalise("purpose", p)))
        for pred, v in ((T.sender, x.sender), (T.recipient, x.recipient)):
            if v:
                self.emit(s, pred, self.node("locality" if v in self.loc_keys else "agent", v))
        if x.commemorates:
            self.emit(s, T.commemorates, self.node("locality", x.commemorates))
        if x.located_in:
            self.emit(s, T.locatedIn, self.node("locality", x.located_in))
        if x.commemoration_form:
            form = concepts.normalise("commemoration_form", x.commemoration_form)
            self.emit(s, T.commemorationForm, _twin(form))
        if x.company:
            self.emit(s, T.company, self.node("agent", x.company))
        if x.chamber:
            self.emit(s, T.chamber, self.node("agent", x.chamber))
        for k in x.initiated_by:
            self.emit(s, T.initiatedBy, self.node("agent", k))
        for k in x.coordinated_by:
            self.emit(s, T.coordinatedBy, self.node("agent", k))
        if x.country:
            self.emit(s, T.country, self.resolve_country(x.country))
        if x.according_to:
            self.emit(s, T.accordingTo, self.node("agent", x.according_to))
        self._common(s, x.sources)

    def emit_territorial(self, x: TerritorialStatus, origins: list) -> None:
        self.set_graph(x.origin)
        self._rows(origins)
        s = self.node("territorial", x.key)
        kind = concepts.normalise("territorial_kind", x.kind)
        self.emit(s, TYPE, T.TerritorialStatus)
        self.emit(s, TYPE, _twin(kind))
        if x.recognised_by:
            self.emit(s, T.recognisedBy, self.node("locality", x.recognised_by))
        if x.recognised_as_part_of:
            self.emit(s, T.recognisedAsPartOf, self.node("locality", x.recognised_as_part_of))
        if x.basis:
            self.emit(s, T.basis, _twin(concepts.normalise("basis", x.basis)))
        for k in x.controlled_by:
            self.emit(s, T.controlledBy, self.node("agent", k))
        for name, d in (("date", x.date), ("startDate", x.start_date), ("endDate", x.end_date)):
            if d:
                self.emit(s, _twin(name), _date(d))
        self._common(s, x.sources)

    def emit_provenance(self, provenance: dict) -> None:
        """Describe the dataset itself: ``{"title", "description", "license", "publisher",
        "source", "created"}`` become dcterms statements about ``<base>dataset``."""
        self.set_graph(None)
        s = _N(self.base + "dataset")
        self.emit(s, TYPE, _N(PROV + "Entity"))
        for k in sorted(provenance):
            v = provenance[k]
            values = v if isinstance(v, list | tuple) else [v]
            for item in values:
                text = str(item)
                is_iri = text.startswith(("http://", "https://")) and _valid_iri(text)
                obj = _N(text) if is_iri else _lit(text)
                self.emit(s, _N(DCT + k), obj)


def build(
    records: RecordSet,
    *,
    base_iri: str = DEFAULT_BASE,
    graph_per_source: bool = False,
    provenance: dict | None = None,
    sink: Callable[[list[str]], None] | None = None,
) -> BuildResult:
    """Turn records into deduplicated quads under ``base_iri`` (see the module docstring).

    ``sink``, when given, is called during the build with the statement lines so far (the
    list that becomes ``result.lines``, growing by about ``CHUNK`` at a time; lines never
    change once in it), so that outputs can be written while the build goes on
    (:class:`twinrdf.rdfio.OutputStream`).

    Raises :class:`twinrdf.iris.BaseIRIError` for an unusable base IRI; bad records never
    raise: they become rejects.
    """
    return _Builder(records, base_iri, graph_per_source, sink).run(provenance)

