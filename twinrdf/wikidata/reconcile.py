"""Reconciliation: link localities that have no Q-id to Wikidata items.

Known identifiers first (GeoNames ID via P1566), then candidates whose label or alias equals one
of the locality's names (in the configured languages), filtered by country (P17) and by class
(P31/P279* must reach a human settlement or an administrative territorial entity), scored by
name similarity (rapidfuzz), distance between coordinates and fit of the class. A match is
accepted only above a threshold and with a margin over the runner-up; every other case goes to
the review report with its candidates and scores. Accepted matches become ``twin:wikidata``
links with a ``twin:WikidataMatch`` node recording score, method and the PROV activity.

The queries are portable SPARQL 1.1 (every PREFIX declared, no label service), so the same
reconciliation runs against WDQS, a local mirror (``twinrdf wikidata mirror``), Oxigraph behind
the twinrdf endpoint, Virtuoso or QLever, with the same result.
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rapidfuzz import fuzz
from rdflib import Literal

from twinrdf.wikidata.client import WD, WikidataClient, WikidataError, make_client, prefix_block, qid

TWIN = "https://w3id.org/twinrdf/ns#"
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"

SETTLEMENT = "Q486972"  # human settlement
ADMIN = "Q56061"  # administrative territorial entity
MUNICIPALITY = "Q15284"
# direct classes known to be settlements or administrative entities, so that a mirror without
# the class hierarchy still reconciles the common cases
DIRECT_SETTLEMENT = {"Q515", "Q3957", "Q532", "Q1549591", "Q5119", "Q1637706", "Q486972", "Q200250",
                     "Q22865", "Q1187811", "Q7930989", "Q1093829", "Q1115575", "Q484170"}
DIRECT_ADMIN = {"Q15284", "Q56061", "Q149621", "Q262166", "Q42744322", "Q484170", "Q1221156",
                "Q10864048", "Q13220204", "Q34876", "Q107390"}

LOCAL_SCOPES = ("Locality", "Village", "Town", "City", "Municipality", "District", "Prefecture",
                "Province", "Region")
SETTLEMENT_SCOPES = {"Village", "Town", "City"}
ADMIN_SCOPES = {"District", "Prefecture", "Province", "Region"}

DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "cs", "da", "sv", "fi", "hu", "ro",
                     "ru", "uk", "tr", "ja", "zh", "mul")


@dataclass
class LocalLocality:
    iri: str
    names: list[tuple[str, str | None]]
    scope: str = "Locality"
    country_code: str | None = None
    country_qid: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonames: str | None = None
    wikidata: str | None = None


@dataclass
class Candidate:
    qid: str
    label: str = ""
    names: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    lat: float | None = None
    lon: float | None = None
    geonames: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)  # settlement, municipality, admin
    classified: bool = False  # has any P31 at all
    # scores, filled by scoring
    name_score: float = 0.0
    distance_km: float | None = None
    type_factor: float = 1.0
    score: float = 0.0
    method: str = "label"


@dataclass
class Decision:
    locality: LocalLocality
    status: str  # accepted | review | no-candidate | linked
    match: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reason: str = ""


@dataclass
class ReconcileConfig:
    threshold: float = 0.85
    margin: float = 0.10
    languages: Sequence[str] = DEFAULT_LANGUAGES
    max_distance_km: float = 50.0
    # False for a mirror without P31/P279 (say, labels and P190 only): unclassified candidates
    # are then kept, at a lower score (type factor 0.9)
    require_class: bool = True


@dataclass
class ReconcileResult:
    decisions: list[Decision]
    endpoint: str

    def by_status(self, status: str) -> list[Decision]:
        return [d for d in self.decisions if d.status == status]


# --- reading the local data ------------------------------------------------------------------


def open_sources(sources: str | Path | Sequence[str | Path]):  # noqa: ANN201 - a query callable
    """A ``query(sparql)`` callable over one store folder, or over RDF files loaded in memory."""
    from pyoxigraph import Store

    from twinrdf.store import open_store, rdf_format_for

    paths = [Path(sources)] if isinstance(sources, str | Path) else [Path(s) for s in sources]
    if len(paths) == 1 and paths[0].is_dir():
        store = open_store(str(paths[0]), read_only=True)
        native = getattr(store, "native", None)
        if native is not None:  # the publisher's data may sit in named graphs: read them all
            return lambda sparql: native.query(sparql, use_default_graph_as_union=True)
        return store.query
    mem = Store()
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{path} is a folder: give one store folder, or RDF files")
        with open(path, "rb") as fh:
            mem.load(fh, format=rdf_format_for(path), base_iri=path.resolve().as_uri())
    return mem.query


def load_localities(source: str | Path | Sequence[str | Path] | Callable[..., Any]) -> list[LocalLocality]:
    """Localities (any twin:Locality subclass except Country) from RDF files or a store folder
    (or a ``query`` callable from :func:`open_sources`, to read the sources once)."""
    query = source if callable(source) else open_sources(source)
    scopes = " ".join(f"twin:{s}" for s in LOCAL_SCOPES)
    q = f"""PREFIX twin: <{TWIN}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wgs84: <{WGS84}>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT ?loc ?type ?name ?cc ?cq ?lat ?long ?wkt ?gn ?wd WHERE {{
  VALUES ?type {{ {scopes} }}
  ?loc a ?type .
  FILTER NOT EXISTS {{ ?loc a twin:Country }}
  {{ ?loc rdfs:label|skos:prefLabel|skos:altLabel|twin:formerName ?name }}
  UNION {{ ?loc twin:country ?c . OPTIONAL {{ ?c twin:countryCode ?cc }}
          OPTIONAL {{ ?c twin:wikidata ?cq }} }}
  UNION {{ ?loc wgs84:lat ?lat ; wgs84:long ?long }}
  UNION {{ ?loc geo:hasGeometry/geo:asWKT ?wkt }}
  UNION {{ ?loc twin:geonamesId ?gn }}
  UNION {{ ?loc twin:wikidata ?wd }}
}}"""
    found: dict[str, LocalLocality] = {}
    for sol in query(q):
        iri = sol["loc"].value
        loc = found.setdefault(iri, LocalLocality(iri, []))
        scope = sol["type"].value.rsplit("#", 1)[-1]
        if scope != "Locality" and loc.scope == "Locality":
            loc.scope = scope
        if sol["name"] is not None:
            lang = getattr(sol["name"], "language", None) or None
            if (sol["name"].value, lang) not in loc.names:
                loc.names.append((sol["name"].value, lang))
        if sol["cc"] is not None:
            loc.country_code = sol["cc"].value.split("-")[0].upper()
        if sol["cq"] is not None:
            loc.country_qid = qid(sol["cq"].value)
        if sol["lat"] is not None:
            loc.lat, loc.lon = float(sol["lat"].value), float(sol["long"].value)
        if sol["wkt"] is not None and loc.lat is None:
            m = re.search(r"POINT\s*\(\s*([-\d.eE]+)\s+([-\d.eE]+)\s*\)", sol["wkt"].value, re.IGNORECASE)
            if m:
                loc.lon, loc.lat = float(m.group(1)), float(m.group(2))
        if sol["gn"] is not None:
            loc.geonames = sol["gn"].value
        if sol["wd"] is not None:
            loc.wikidata = qid(sol["wd"].value)
    return [found[k] for k in sorted(found)]


# --- names and distances -------------------------------------------------------------------------


def normalise(name: str) -> str:
    """Case-folded, accent-free, punctuation-free form for comparison."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def name_variants(name: str) -> list[str]:
    """The name and its forms without a qualifier: "Frankfurt (Oder)" -> "Frankfurt (Oder)",
    "Frankfurt"; "Paris, Texas" -> "Paris"."""
    out = [name.strip()]
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    bare = bare.split(",")[0].strip()
    if bare and bare not in out:
        out.append(bare)
    # "BIELEFELD", "bielefeld" -> "Bielefeld"; "FRANKFURT AM MAIN" -> "Frankfurt am Main"
    for form in list(out):
        if form.isupper() or form.islower():
            titled = _title(form)
            if titled not in out:
                out.append(titled)
    return out


_PARTICLES = {"am", "an", "der", "die", "das", "de", "del", "della", "di", "da", "do", "dos", "du", "des",
              "la",
              "le", "les", "el", "en", "im", "in", "ob", "on", "upon", "sur", "sous", "y", "i", "of", "the",
              "bei", "vor", "aan", "den", "het", "van", "von", "zu", "zum", "zur"}


def _title(text: str) -> str:
    words = re.split(r"(\s+|-)", text.lower())
    out = []
    for i, w in enumerate(words):
        out.append(w if (i > 0 and w in _PARTICLES) or not w.strip() else w[:1].upper() + w[1:])
    return "".join(out)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def _point(wkt: str) -> tuple[float, float] | None:
    m = re.search(r"Point\(\s*([-\d.eE]+)\s+([-\d.eE]+)\s*\)", wkt, re.IGNORECASE)
    if not m or wkt.strip().startswith("<"):  # another globe than the Earth
        return None
    return float(m.group(2)), float(m.group(1))


# --- queries ----------------------------------------------------------------------------------

Q_COUNTRY = prefix_block(["wdt"]) + "SELECT ?country ?code WHERE { {values} ?country wdt:P297 ?code }"
Q_GEONAMES = prefix_block(["wdt"]) + "SELECT ?item ?gn WHERE { {values} ?item wdt:P1566 ?gn }"
Q_LABEL = prefix_block(["rdfs", "skos"]) + (
    "SELECT ?item ?name WHERE { {values} { ?item rdfs:label ?name } UNION { ?item skos:altLabel ?name } }")
Q_FACTS = prefix_block(["wdt"]) + (
    "SELECT ?item ?country ?coord ?gn WHERE { {values} "
    "OPTIONAL { ?item wdt:P17 ?country } OPTIONAL { ?item wdt:P625 ?coord } "
    "OPTIONAL { ?item wdt:P1566 ?gn } }")
Q_CLASS = prefix_block(["wd", "wdt"]) + (
    "SELECT DISTINCT ?item ?root WHERE { {values} "
    "VALUES ?root { wd:Q486972 wd:Q56061 wd:Q15284 } ?item wdt:P31/wdt:P279* ?root }")
Q_DIRECT_CLASS = prefix_block(["wdt"]) + "SELECT ?item ?class WHERE { {values} ?item wdt:P31 ?class }"


def _names_query(languages: Sequence[str]) -> str:
    langs = ", ".join(f'"{lang}"' for lang in languages)
    return prefix_block(["rdfs", "skos"]) + (
        "SELECT ?item ?name WHERE { {values} { ?item rdfs:label ?name } UNION { ?item skos:altLabel ?name } "
        f"FILTER(LANG(?name) IN ({langs})) }}")


class Reconciler:
    def __init__(self, client: WikidataClient, config: ReconcileConfig | None = None) -> None:
        self.client = client
        self.config = config or ReconcileConfig()

    def run(self, localities: Iterable[LocalLocality], progress: bool = False) -> ReconcileResult:
        locs = sorted(localities, key=lambda x: x.iri)
        todo = [loc for loc in locs if not loc.wikidata]
        decisions: dict[str, Decision] = {
            loc.iri: Decision(loc, "linked", reason=f"already linked to {loc.wikidata}") for loc in locs
            if loc.wikidata}
        self._resolve_countries(todo)
        # 1. GeoNames ids
        by_gn: dict[str, list[str]] = defaultdict(list)
        gns = sorted({loc.geonames for loc in todo if loc.geonames})
        for row in self.client.select_values(Q_GEONAMES, "gn", [Literal(g) for g in gns]):
            by_gn[str(row["gn"])].append(qid(row["item"]))
        # 2. label and alias candidates
        cand_ids: dict[str, set[str]] = defaultdict(set)
        literals: dict[Literal, set[str]] = defaultdict(set)
        for loc in todo:
            langs = list(dict.fromkeys([*self.config.languages, *(lang for _, lang in loc.names if lang)]))
            for name, _ in loc.names:
                for variant in name_variants(name):
                    for lang in langs:
                        literals[Literal(variant, lang=lang)].add(loc.iri)
            for q in by_gn.get(loc.geonames or "", []):
                cand_ids[loc.iri].add(q)
        ordered = sorted(literals, key=lambda lit: (str(lit), lit.language or ""))
        for row in self.client.select_values(Q_LABEL, "name", ordered):
            for iri in literals.get(row["name"], ()):
                cand_ids[iri].add(qid(row["item"]))
        # 3. details of every candidate
        details = self._details(sorted({q for qs in cand_ids.values() for q in qs}), todo)
        iterator: Iterable[LocalLocality] = todo
        if progress:
            from tqdm import tqdm

            iterator = tqdm(todo, desc="reconcile", unit=" localities")
        for loc in iterator:
            decisions[loc.iri] = self._decide(loc, cand_ids.get(loc.iri, set()), details, by_gn)
        return ReconcileResult([decisions[loc.iri] for loc in locs], self.client.endpoint)

    def _resolve_countries(self, locs: list[LocalLocality]) -> None:
        codes = sorted({loc.country_code for loc in locs if loc.country_code and not loc.country_qid})
        if not codes:
            return
        qids: dict[str, str] = {}
        for row in self.client.select_values(Q_COUNTRY, "code", [Literal(c) for c in codes]):
            qids.setdefault(str(row["code"]), qid(row["country"]))
        for loc in locs:
            if loc.country_code and not loc.country_qid:
                loc.country_qid = qids.get(loc.country_code)

    def _details(self, qids: list[str], locs: list[LocalLocality]) -> dict[str, Candidate]:
        cands = {q: Candidate(q) for q in qids}
        if not qids:
            return cands
        langs = list(dict.fromkeys([*self.config.languages,
                                    *(lang for loc in locs for _, lang in loc.names if lang)]))
        for row in self.client.select_values(_names_query(langs), "item", qids):
            c = cands[qid(row["item"])]
            c.names.add(str(row["name"]))
        for row in self.client.select_values(Q_FACTS, "item", qids):
            c = cands[qid(row["item"])]
            if "country" in row:
                c.countries.add(qid(row["country"]))
            if "coord" in row and c.lat is None:
                pt = _point(str(row["coord"]))
                if pt:
                    c.lat, c.lon = pt
            if "gn" in row:
                c.geonames.add(str(row["gn"]))
        for row in self.client.select_values(Q_DIRECT_CLASS, "item", qids):
            c = cands[qid(row["item"])]
            c.classified = True
            cls = qid(row["class"])
            if cls in DIRECT_SETTLEMENT:
                c.kinds.add("settlement")
            if cls in DIRECT_ADMIN:
                c.kinds.add("municipality" if cls in (MUNICIPALITY, "Q262166", "Q42744322") else "admin")
        for row in self.client.select_values(Q_CLASS, "item", qids):
            root = qid(row["root"])
            cands[qid(row["item"])].kinds.add(
                {SETTLEMENT: "settlement", MUNICIPALITY: "municipality", ADMIN: "admin"}[root])
        return cands

    def _decide(self, loc: LocalLocality, ids: set[str], details: dict[str, Candidate],
                by_gn: dict[str, list[str]]) -> Decision:
        scored: list[Candidate] = []
        for q in sorted(ids):
            base = details.get(q)
            if base is None:
                continue
            c = Candidate(base.qid, base.label, set(base.names), set(base.countries), base.lat, base.lon,
                          set(base.geonames), set(base.kinds), classified=base.classified)
            if not c.kinds and (self.config.require_class or c.classified):
                continue  # neither a settlement nor an administrative entity
            if loc.country_qid and c.countries and loc.country_qid not in c.countries:
                continue
            self._score(loc, c)
            if loc.geonames and q in by_gn.get(loc.geonames, []):
                c.method = "geonames"
                if len(by_gn[loc.geonames]) == 1:
                    c.score = max(c.score, 0.99)
            scored.append(c)
        scored.sort(key=lambda c: (-c.score, c.qid))
        if not scored:
            return Decision(loc, "no-candidate", reason="no item with this name (or GeoNames id) "
                            "in the country and of a settlement or administrative class")
        by_id = [c for c in scored if c.method == "geonames"]
        if len(by_id) == 1 and len(by_gn.get(loc.geonames or "", [])) == 1:
            # a unique known identifier decides: the item that carries this GeoNames id
            return Decision(loc, "accepted", match=by_id[0], candidates=[by_id[0]] + [c for c in scored
                                                                                      if c is not by_id[0]])
        best = scored[0]
        runner = scored[1].score if len(scored) > 1 else 0.0
        if best.score < self.config.threshold:
            return Decision(loc, "review", candidates=scored,
                            reason=f"best score {best.score:.3f} below the threshold {self.config.threshold}")
        if best.score - runner < self.config.margin:
            return Decision(loc, "review", candidates=scored,
                            reason=f"margin {best.score - runner:.3f} over the runner-up "
                                   f"below {self.config.margin}")
        return Decision(loc, "accepted", match=best, candidates=scored)

    def _score(self, loc: LocalLocality, c: Candidate) -> None:
        # the name as given, or a form without its qualifier ("Arad (city)" -> "Arad") at a small cost
        local = [(normalise(v), 1.0 if i == 0 else 0.97) for n, _ in loc.names
                 for i, v in enumerate(name_variants(n))]
        theirs = [normalise(n) for n in c.names]
        c.name_score = max((fuzz.ratio(a, b) / 100.0 * w for a, w in local for b in theirs), default=0.0)
        c.label = sorted(c.names)[0] if c.names else c.qid
        parts = [(c.name_score, 0.6)]
        if loc.lat is not None and loc.lon is not None and c.lat is not None and c.lon is not None:
            c.distance_km = haversine_km(loc.lat, loc.lon, c.lat, c.lon)
            geo = max(0.0, 1.0 - max(0.0, c.distance_km - 5.0) / self.config.max_distance_km)
            parts.append((geo, 0.4))
        c.type_factor = _type_factor(loc.scope, c.kinds) if c.kinds else 0.9
        if loc.country_qid and not c.countries:
            c.type_factor *= 0.9  # the country could not be checked
        c.score = round(sum(v * w for v, w in parts) / sum(w for _, w in parts) * c.type_factor, 4)


def _type_factor(scope: str, kinds: set[str]) -> float:
    if scope in SETTLEMENT_SCOPES:
        return 1.0 if "settlement" in kinds else 0.85 if "municipality" in kinds else 0.7
    if scope == "Municipality":
        return 1.0 if kinds & {"municipality", "settlement"} else 0.8
    if scope in ADMIN_SCOPES:
        return 1.0 if "admin" in kinds and "settlement" not in kinds else 0.9 if "admin" in kinds else 0.7
    # scope unknown: twinning partners are towns and municipalities far more often than districts
    return 1.0 if kinds & {"settlement", "municipality"} else 0.85


def reconcile(source: str | Path, client: WikidataClient, config: ReconcileConfig | None = None,
              progress: bool = False) -> ReconcileResult:
    """Reconcile the localities in ``source`` (an RDF file or a store folder) against ``client``."""
    return Reconciler(client, config).run(load_localities(source), progress=progress)


# --- output -------------------------------------------------------------------------------------


def match_iri(locality: str, item: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"twinrdf-reconcile {locality} {item}"))


def links_turtle(result: ReconcileResult, config: ReconcileConfig, when: datetime | None = None) -> str:
    """Accepted matches as Turtle: twin:wikidata links and one twin:WikidataMatch per link."""
    when = when or datetime.now(UTC).replace(microsecond=0)
    activity = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"twinrdf-reconcile {result.endpoint} "
                                            f"{config.threshold} {config.margin} {when.isoformat()}"))
    lines = [
        f"@prefix twin: <{TWIN}> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        f"@prefix wd: <{WD}> .",
        "",
        f"<{activity}> a prov:Activity ;",
        '    rdfs:label "twinrdf reconcile"@en ;',
        f"    prov:used <{_iri_safe(result.endpoint)}> ;",
        "    prov:wasAssociatedWith <https://w3id.org/twinrdf> ;",
        f'    prov:endedAtTime "{when.isoformat()}"^^xsd:dateTime ;',
        f'    rdfs:comment "threshold {config.threshold}, margin {config.margin}" .',
        "",
    ]
    for d in result.by_status("accepted"):
        assert d.match is not None
        m = match_iri(d.locality.iri, d.match.qid)
        lines += [
            f"<{d.locality.iri}> twin:wikidata wd:{d.match.qid} ;",
            f"    twin:reconciliation <{m}> .",
            f"<{m}> a twin:WikidataMatch ;",
            f"    twin:matchedItem wd:{d.match.qid} ;",
            f'    twin:matchScore "{d.match.score:.4f}"^^xsd:decimal ;',
            f'    twin:matchMethod "{d.match.method}" ;',
            f"    prov:wasGeneratedBy <{activity}> .",
            "",
        ]
    return "\n".join(lines)


def _iri_safe(text: str) -> str:
    return re.sub(r"[<>\"{}|^`\\\s]", lambda m: f"%{ord(m.group(0)):02X}", text)


REVIEW_FIELDS = ["locality", "names", "scope", "country", "status", "reason", "rank", "candidate", "label",
                 "score", "name_score", "distance_km", "type_factor", "method"]


def review_rows(result: ReconcileResult) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for d in result.decisions:
        if d.status in ("accepted", "linked"):
            continue
        base = {"locality": d.locality.iri, "names": "; ".join(n for n, _ in d.locality.names),
                "scope": d.locality.scope, "country": d.locality.country_qid or d.locality.country_code or "",
                "status": d.status, "reason": d.reason}
        if not d.candidates:
            rows.append({**base, "rank": "", "candidate": "", "label": "", "score": "", "name_score": "",
                         "distance_km": "", "type_factor": "", "method": ""})
        for i, c in enumerate(d.candidates, 1):
            rows.append({**base, "rank": str(i), "candidate": c.qid, "label": c.label,
                         "score": f"{c.score:.4f}",
                         "name_score": f"{c.name_score:.3f}",
                         "distance_km": "" if c.distance_km is None else f"{c.distance_km:.1f}",
                         "type_factor": f"{c.type_factor:.2f}", "method": c.method})
    return rows


def write_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_review(result: ReconcileResult, path: str | Path) -> None:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REVIEW_FIELDS)
    w.writeheader()
    w.writerows(review_rows(result))
    write_atomic(path, buf.getvalue())


# --- CLI ------------------------------------------------------------------------------------------


@contextmanager
def exit_2_on_errors(what: str = "") -> Iterator[None]:
    """The shared error shell of the Wikidata commands: endpoint and input errors print one
    line and exit 2, never a traceback. ``what`` names the input for read errors."""
    try:
        yield
    except WikidataError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (OSError, SyntaxError, ValueError) as exc:
        click.echo(f"error: {what}{exc}", err=True)
        sys.exit(2)


def client_options(f):  # noqa: ANN001, ANN201 - a click decorator
    """The options every Wikidata command shares (endpoint, user agent, cache, batch size)."""
    opts = [
        click.option("--endpoint", default="https://query.wikidata.org/sparql", show_default=True,
                     help="SPARQL endpoint URL, or the folder of a local mirror store."),
        click.option("--user-agent", envvar="TWINRDF_USER_AGENT",
                     help="Descriptive User-Agent with contact info (required for the public WDQS)."),
        click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="SQLite cache of answers (a rerun makes no request)."),
        click.option("--cache-ttl", type=float, default=7 * 24 * 3600, show_default=True,
                     help="Seconds a cached answer stays valid."),
        click.option("--offline", is_flag=True, help="Answer from the cache only."),
        click.option("--batch-size", type=click.IntRange(1, 1000), default=100, show_default=True),
        click.option("--timeout", type=float, default=60.0, show_default=True),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_client(endpoint: str, user_agent: str | None, cache_path: Path | None, cache_ttl: float,
                 offline: bool, batch_size: int, timeout: float) -> WikidataClient:
    try:
        if not endpoint.startswith(("http://", "https://")):
            return make_client(endpoint, batch_size=batch_size)
        return make_client(endpoint, user_agent=user_agent, cache=cache_path, cache_ttl=cache_ttl,
                           offline=offline, batch_size=batch_size, timeout=timeout)
    except (WikidataError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.command("reconcile")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Turtle file for the accepted links (twin:wikidata + twin:WikidataMatch).")
@click.option("--review", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of the cases left for review, with candidates and scores.")
@click.option("--threshold", type=float, default=0.85, show_default=True)
@click.option("--margin", type=float, default=0.10, show_default=True)
@click.option("--languages", default=",".join(DEFAULT_LANGUAGES), show_default=True,
              help="Label languages to look names up in.")
@click.option("--no-class-filter", is_flag=True,
              help="Keep candidates without any P31 (for mirrors built without classes).")
@click.option("--progress/--no-progress", default=False)
@client_options
def reconcile_command(source: Path, output: Path, review: Path | None, threshold: float, margin: float,
                      languages: str, no_class_filter: bool, progress: bool, **client_kw: object) -> None:
    """Link localities without a Q-id to Wikidata items.

    SOURCE is an RDF file or a store folder of twin: data. Exit 0 when every locality is linked,
    1 when some are left for review, 2 on usage, I/O or endpoint errors.
    """
    client = build_client(**client_kw)  # type: ignore[arg-type]
    config = ReconcileConfig(threshold=threshold, margin=margin,
                             languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
                             require_class=not no_class_filter)
    with exit_2_on_errors(f"cannot read {source}: "):
        result = reconcile(source, client, config, progress=progress)
    write_atomic(output, links_turtle(result, config))
    if review is not None:
        write_review(result, review)
    counts = {s: len(result.by_status(s)) for s in ("accepted", "review", "no-candidate", "linked")}
    click.echo(f"{len(result.decisions)} localities: {counts['accepted']} accepted, {counts['review']} for "
               f"review, {counts['no-candidate']} without candidate, {counts['linked']} already linked; "
               f"{client.log.requests} requests, {client.log.cache_hits} from cache")
    sys.exit(1 if counts["review"] or counts["no-candidate"] else 0)
