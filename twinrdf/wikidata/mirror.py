"""A local Wikidata mirror in the WDQS RDF shape, built from entity JSON or the JSON dump.

Users with a dump avoid rate limits, and the tests use the mirror as their Wikidata: the same
portable queries run against it, WDQS, Virtuoso and QLever. The mapping follows the Wikibase
RDF dump format as WDQS indexes it (https://www.mediawiki.org/wiki/Wikibase/Indexing/RDF_Dump_Format):

- ``wd:Q a wikibase:Item``, ``rdfs:label``, ``schema:description``, ``skos:altLabel``,
  ``schema:version``, ``schema:dateModified``, ``wikibase:statements|identifiers|sitelinks``;
- ``wdt:P`` truthy values for best-rank statements (preferred if any, else normal; never
  deprecated), ``wdno:P`` classes for "no value";
- ``p:P wds:ID`` statements with ``ps:``, ``psv:``, ``pq:``, ``pqv:``, ``wikibase:rank``,
  ``wikibase:BestRank`` and ``prov:wasDerivedFrom wdref:HASH`` references with ``pr:``/``prv:``;
- values as WDQS writes them: time ``"1961-01-01T00:00:00Z"^^xsd:dateTime`` with a
  ``wikibase:TimeValue`` node carrying ``wikibase:timePrecision``; coordinates
  ``"Point(lon lat)"^^geo:wktLiteral``; quantities ``xsd:decimal`` with a
  ``wikibase:QuantityValue``; items as ``wd:`` IRIs; URLs and Commons media as IRIs; external
  ids and strings as plain literals.

Not written, as WDQS strips them: the ``wdata:`` data node, ``schema:name`` and
``skos:prefLabel`` copies of labels.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Store, Triple

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
P = "http://www.wikidata.org/prop/"
PS = P + "statement/"
PSV = P + "statement/value/"
PQ = P + "qualifier/"
PQV = P + "qualifier/value/"
PR = P + "reference/"
PRV = P + "reference/value/"
WDNO = P + "novalue/"
WDS = WD + "statement/"
WDV = "http://www.wikidata.org/value/"
WDREF = "http://www.wikidata.org/reference/"
GENID = "http://www.wikidata.org/.well-known/genid/"
WIKIBASE = "http://wikiba.se/ontology#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_ALT = NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
SCHEMA = "http://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV_DERIVED = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
WKT = NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
EARTH = WD + "Q2"

RANKS = {"preferred": "PreferredRank", "normal": "NormalRank", "deprecated": "DeprecatedRank"}
PROPERTY_TYPES = {
    "wikibase-item": "WikibaseItem", "wikibase-property": "WikibaseProperty", "string": "String",
    "external-id": "ExternalId", "time": "Time", "quantity": "Quantity", "url": "Url",
    "globe-coordinate": "GlobeCoordinate", "monolingualtext": "Monolingualtext",
    "commonsMedia": "CommonsMedia", "geo-shape": "GeoShape", "tabular-data": "TabularData",
    "math": "Math", "musical-notation": "MusicalNotation", "wikibase-lexeme": "WikibaseLexeme",
    "wikibase-form": "WikibaseForm", "wikibase-sense": "WikibaseSense",
}


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


@cache
def _wb(name: str) -> NamedNode:
    return NamedNode(WIKIBASE + name)


@lru_cache(maxsize=200_000)
def _prop(base: str, pid: str) -> NamedNode:
    """Predicate nodes (wdt:P31, pq:P580 ...): few distinct ones, created once."""
    return NamedNode(base + pid)


def _typed(value: str, dtype: str) -> Literal:
    return Literal(value, datatype=NamedNode(XSD + dtype))


def _hash(*parts: Any) -> str:
    return hashlib.md5(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def wdqs_time(time: str) -> str:
    """Wikibase time "+1961-00-00T00:00:00Z" to the xsd:dateTime WDQS stores."""
    sign = "-" if time.startswith("-") else ""
    body = time.lstrip("+-")
    date, _, rest = body.partition("T")
    y, m, d = date.split("-")
    m = "01" if m == "00" else m
    d = "01" if d == "00" else d
    year = y.lstrip("0").rjust(4, "0")
    return f"{sign}{year}-{m}-{d}T{rest or '00:00:00Z'}"


def _amount(text: str) -> str:
    return text[1:] if text.startswith("+") else text


def _fmt_num(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(float(x))


class EntityMapper:
    """Entity JSON to WDQS-shaped triples (one entity at a time, no global state)."""

    def triples(self, entity: dict[str, Any]) -> Iterator[Triple]:
        eid = entity["id"]
        s = _n(WD + eid)
        etype = entity.get("type", "item")
        yield Triple(s, RDF_TYPE, _wb("Property" if etype == "property" else "Item"))
        if "lastrevid" in entity:
            yield Triple(s, _prop(SCHEMA, "version"), _typed(str(entity["lastrevid"]), "integer"))
        if "modified" in entity:
            yield Triple(s, _prop(SCHEMA, "dateModified"), _typed(entity["modified"], "dateTime"))
        for lang, lab in sorted((entity.get("labels") or {}).items()):
            yield Triple(s, RDFS_LABEL, Literal(lab["value"], language=lab.get("language", lang)))
        for lang, desc in sorted((entity.get("descriptions") or {}).items()):
            text = Literal(desc["value"], language=desc.get("language", lang))
            yield Triple(s, _prop(SCHEMA, "description"), text)
        for lang, aliases in sorted((entity.get("aliases") or {}).items()):
            for alias in aliases:
                yield Triple(s, SKOS_ALT, Literal(alias["value"], language=alias.get("language", lang)))
        if etype == "property":
            yield from self._property_decl(eid, entity.get("datatype"))
        claims = entity.get("claims") or {}
        n_statements = n_ids = 0
        for pid in sorted(claims):
            statements = claims[pid]
            ranks = {st.get("rank", "normal") for st in statements}
            best = "preferred" if "preferred" in ranks else "normal"
            for st in statements:
                n_statements += 1
                if st.get("mainsnak", {}).get("datatype") == "external-id":
                    n_ids += 1
                yield from self._statement(s, eid, pid, st, best)
        sitelinks = entity.get("sitelinks") or {}
        yield Triple(s, _wb("statements"), _typed(str(n_statements), "integer"))
        yield Triple(s, _wb("identifiers"), _typed(str(n_ids), "integer"))
        yield Triple(s, _wb("sitelinks"), _typed(str(len(sitelinks)), "integer"))
        for site, link in sorted(sitelinks.items()):
            yield from self._sitelink(s, site, link)

    def _property_decl(self, pid: str, datatype: str | None) -> Iterator[Triple]:
        s = _n(WD + pid)
        if datatype in PROPERTY_TYPES:
            yield Triple(s, _wb("propertyType"), _wb(PROPERTY_TYPES[datatype]))
        for pred, base in (("directClaim", WDT), ("claim", P), ("statementProperty", PS),
                           ("statementValue", PSV), ("qualifier", PQ), ("qualifierValue", PQV),
                           ("reference", PR), ("referenceValue", PRV), ("novalue", WDNO)):
            yield Triple(s, _wb(pred), _n(base + pid))

    def _sitelink(self, s: NamedNode, site: str, link: dict[str, Any]) -> Iterator[Triple]:
        if not site.endswith("wiki") or site in {"commonswiki", "specieswiki", "metawiki", "wikidatawiki"}:
            return
        lang = site[: -len("wiki")].replace("_", "-")
        base = f"https://{lang}.wikipedia.org/"
        title = link["title"].replace(" ", "_")
        art = _n(base + "wiki/" + quote(title, safe="/:()',!*$&;=@~-_."))
        yield Triple(art, RDF_TYPE, _n(SCHEMA + "Article"))
        yield Triple(art, _n(SCHEMA + "about"), s)
        yield Triple(art, _n(SCHEMA + "inLanguage"), Literal(lang))
        yield Triple(art, _n(SCHEMA + "isPartOf"), _n(base))
        yield Triple(art, _n(SCHEMA + "name"), Literal(link["title"], language=lang))

    def _statement(self, s: NamedNode, eid: str, pid: str, st: dict[str, Any], best: str) -> Iterator[Triple]:
        rank = st.get("rank", "normal")
        sid = st.get("id") or f"{eid}${_hash(st)}"
        node = _n(WDS + sid.replace("$", "-"))
        yield Triple(s, _prop(P, pid), node)
        yield Triple(node, RDF_TYPE, _wb("Statement"))
        is_best = rank == best
        if is_best:
            yield Triple(node, RDF_TYPE, _wb("BestRank"))
        yield Triple(node, _wb("rank"), _wb(RANKS.get(rank, "NormalRank")))
        snak = st.get("mainsnak", {})
        value, extra = self._snak(snak, PS, PSV, node)
        yield from extra
        if value is None:  # novalue
            yield Triple(node, RDF_TYPE, _prop(WDNO, pid))
            if is_best:
                yield Triple(s, RDF_TYPE, _prop(WDNO, pid))
        else:
            if is_best:
                yield Triple(s, _prop(WDT, pid), value)
        for qpid in st.get("qualifiers-order") or sorted(st.get("qualifiers") or {}):
            for q in (st.get("qualifiers") or {}).get(qpid, []):
                qvalue, qextra = self._snak(q, PQ, PQV, node)
                yield from qextra
                if qvalue is None:
                    yield Triple(node, RDF_TYPE, _prop(WDNO, qpid))
        for ref in st.get("references") or []:
            rnode = _n(WDREF + (ref.get("hash") or _hash(ref)))
            yield Triple(node, PROV_DERIVED, rnode)
            yield Triple(rnode, RDF_TYPE, _wb("Reference"))
            for rpid in ref.get("snaks-order") or sorted(ref.get("snaks") or {}):
                for rs in (ref.get("snaks") or {}).get(rpid, []):
                    _, rextra = self._snak(rs, PR, PRV, rnode)
                    yield from rextra

    def _snak(self, snak: dict[str, Any], simple: str, full: str,
              subject: NamedNode) -> tuple[NamedNode | Literal | None, list[Triple]]:
        """(simple value or None for novalue, triples: subject simple/full value and value node)."""
        pid = snak["property"]
        kind = snak.get("snaktype", "value")
        if kind == "novalue":
            return None, []
        if kind == "somevalue":
            v = _n(GENID + _hash(subject.value, snak))
            return v, [Triple(subject, _prop(simple, pid), v)]
        dv = snak.get("datavalue") or {}
        dtype = snak.get("datatype") or ""
        raw = dv.get("value")
        out: list[Triple] = []
        vtype = dv.get("type")
        if vtype == "wikibase-entityid":
            v: NamedNode | Literal = _n(WD + (raw.get("id") or f"Q{raw['numeric-id']}"))
        elif vtype == "time":
            v = _typed(wdqs_time(raw["time"]), "dateTime")
            vn = _n(WDV + _hash("time", raw))
            out += [Triple(vn, RDF_TYPE, _wb("TimeValue")),
                    Triple(vn, _wb("timeValue"), v),
                    Triple(vn, _wb("timePrecision"), _typed(str(raw.get("precision", 11)), "integer")),
                    Triple(vn, _wb("timeTimezone"), _typed(str(raw.get("timezone", 0)), "integer")),
                    Triple(vn, _wb("timeCalendarModel"), _n(raw.get("calendarmodel", WD + "Q1985727"))),
                    Triple(subject, _prop(full, pid), vn)]
        elif vtype == "globecoordinate":
            globe = raw.get("globe") or EARTH
            point = f"Point({_fmt_num(raw['longitude'])} {_fmt_num(raw['latitude'])})"
            v = Literal(point if globe == EARTH else f"<{globe}> {point}", datatype=WKT)
            vn = _n(WDV + _hash("geo", raw))
            out += [Triple(vn, RDF_TYPE, _wb("GlobecoordinateValue")),
                    Triple(vn, _wb("geoLatitude"), _typed(_fmt_num(raw["latitude"]), "double")),
                    Triple(vn, _wb("geoLongitude"), _typed(_fmt_num(raw["longitude"]), "double")),
                    Triple(vn, _wb("geoGlobe"), _n(globe)),
                    Triple(subject, _prop(full, pid), vn)]
            if raw.get("precision") is not None:
                out.append(Triple(vn, _wb("geoPrecision"), _typed(_fmt_num(raw["precision"]), "double")))
        elif vtype == "quantity":
            v = _typed(_amount(raw["amount"]), "decimal")
            unit = raw.get("unit", "1")
            vn = _n(WDV + _hash("quantity", raw))
            out += [Triple(vn, RDF_TYPE, _wb("QuantityValue")),
                    Triple(vn, _wb("quantityAmount"), v),
                    Triple(vn, _wb("quantityUnit"), _n(WD + "Q199" if unit == "1" else unit)),
                    Triple(subject, _prop(full, pid), vn)]
            for bound, pred in (("upperBound", "quantityUpperBound"), ("lowerBound", "quantityLowerBound")):
                if raw.get(bound) is not None:
                    out.append(Triple(vn, _wb(pred), _typed(_amount(raw[bound]), "decimal")))
        elif vtype == "monolingualtext":
            v = Literal(raw["text"], language=raw["language"])
        elif dtype == "url":
            v = _n(raw)
        elif dtype == "commonsMedia":
            v = _n("http://commons.wikimedia.org/wiki/Special:FilePath/" + quote(raw.replace(" ", "_")))
        elif dtype in ("geo-shape", "tabular-data"):
            v = _n("http://commons.wikimedia.org/data/main/" + quote(raw.replace(" ", "_")))
        else:  # string, external-id, math, musical-notation
            v = Literal(str(raw))
        out.insert(0, Triple(subject, _prop(simple, pid), v))
        return v, out


# --- reading entity JSON --------------------------------------------------------------------


@dataclass
class Reject:
    file: str
    line: int
    reason: str


@dataclass
class MirrorReport:
    entities: int = 0
    triples: int = 0
    rejects: list[Reject] = field(default_factory=list)


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as fh:
        magic = fh.read(3)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic == b"BZh":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def iter_entities(path: str | Path, rejects: list[Reject] | None = None) -> Iterator[dict[str, Any]]:
    """Entities from one file: a bare entity, ``{"entities": ...}``, or the JSON dump
    (``[`` / one entity per line ending in ``,`` / ``]``), plain, .gz or .bz2, streamed."""
    path = Path(path)
    rejects = rejects if rejects is not None else []
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        first = ""
        while True:
            ch = text.read(1)
            if not ch or not ch.isspace():
                first = ch
                break
        if first == "[":
            yield from _iter_dump(text, str(path), rejects)
            return
        if first != "{":
            rejects.append(Reject(str(path), 1, "not Wikidata entity JSON (expected '{' or '[')"))
            return
        rest = first + text.read()
    try:
        data = json.loads(rest)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON lines: one entity per line
            yield from _iter_dump(io.StringIO(rest), str(path), rejects, first_line=1)
            return
        rejects.append(Reject(str(path), exc.lineno, f"invalid JSON: {exc.msg}"))
        return
    entities = data["entities"].values() if isinstance(data.get("entities"), dict) else [data]
    for ent in entities:
        if _valid(ent):
            yield ent
        else:
            rejects.append(Reject(str(path), 1, f"not an entity: {_describe(ent)}"))


def _iter_dump(text: Iterable[str], name: str, rejects: list[Reject],
               first_line: int = 1) -> Iterator[dict[str, Any]]:
    for lineno, line in enumerate(text, start=first_line):
        line = line.strip()
        if line.endswith(","):
            line = line[:-1]
        if not line or line in ("[", "]"):
            continue
        if line.startswith("["):
            line = line[1:].strip()
        try:
            ent = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append(Reject(name, lineno, f"invalid JSON: {exc.msg}"))
            continue
        if _valid(ent):
            yield ent
        else:
            rejects.append(Reject(name, lineno, f"not an entity: {_describe(ent)}"))


def _valid(ent: Any) -> bool:
    return isinstance(ent, dict) and isinstance(ent.get("id"), str) and "missing" not in ent


def _describe(ent: Any) -> str:
    if isinstance(ent, dict):
        return "missing entity" if "missing" in ent else "no 'id' field"
    return type(ent).__name__


def entity_triples(entity: dict[str, Any]) -> list[Triple]:
    """The WDQS-shaped triples of one entity."""
    return list(EntityMapper().triples(entity))


def build_mirror(dumps: Iterable[str | Path], store_path: str | Path,
                 progress: bool = False) -> MirrorReport:
    """Build a pyoxigraph store at ``store_path`` from entity JSON files, atomically.

    The store is built in a sibling temporary folder and moved into place only when complete,
    so a failed run never leaves half a mirror behind.
    """
    store_path = Path(store_path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{store_path.name}.", dir=store_path.parent))
    report = MirrorReport()
    mapper = EntityMapper()
    try:
        store = Store(str(tmp))
        files = [Path(d) for d in dumps]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(unit=" entities", desc="mirror")
        for f in files:
            chunk: list[Quad] = []
            for ent in iter_entities(f, report.rejects):
                report.entities += 1
                for t in mapper.triples(ent):
                    chunk.append(Quad(t.subject, t.predicate, t.object, DefaultGraph()))
                if len(chunk) > 200_000:
                    store.bulk_extend(chunk)
                    report.triples += len(chunk)
                    chunk = []
                if bar is not None:
                    bar.update(1)
            store.bulk_extend(chunk)
            report.triples += len(chunk)
        if bar is not None:
            bar.close()
        store.flush()
        report.triples = len(store)
        del store
        if store_path.exists():
            old = store_path.with_name(store_path.name + ".old")
            os.replace(store_path, old)
            os.replace(tmp, store_path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, store_path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def mirror_graph(dumps: Iterable[str | Path]) -> Store:
    """An in-memory mirror (for tests and small fixtures)."""
    store = Store()
    mapper = EntityMapper()
    for f in dumps:
        store.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph())
                          for ent in iter_entities(f) for t in mapper.triples(ent))
    return store


__all__ = ["EntityMapper", "MirrorReport", "Reject", "build_mirror", "entity_triples", "write_rejects",
           "iter_entities", "mirror_graph", "wdqs_time"]


def write_rejects(rejects: list[Reject], path: str | Path) -> None:
    """Rejects as CSV (file, line, reason), written atomically."""
    import csv

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "reason"])
        for r in rejects:
            w.writerow([r.file, r.line, r.reason])
    os.replace(tmp, path)
