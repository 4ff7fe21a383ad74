"""Generate synthetic.json: hard-to-reconcile synthetic Wikidata entities (JSON dump format).

These items are made up for the tests (ids Q99000001 and up are not the real Wikidata items of
those ids); the class and country items reuse the real ids and labels so that the real entities
in ../shared/data/wikidata (Bielefeld, Weimar) fit into the same class hierarchy.
Run: python3 tests/data/wikidata/make_synthetic.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_n = [0]


def _sid(eid: str) -> str:
    _n[0] += 1
    return f"{eid}$00000000-0000-0000-0000-{_n[0]:012d}"


def snak(pid: str, kind: str, value) -> dict:
    if kind == "item":
        dv = {"value": {"entity-type": "item", "numeric-id": int(value[1:]), "id": value},
              "type": "wikibase-entityid"}
        dt = "wikibase-item"
    elif kind == "time":
        text, prec = value
        dv = {"value": {"time": text, "timezone": 0, "before": 0, "after": 0, "precision": prec,
                        "calendarmodel": "http://www.wikidata.org/entity/Q1985727"}, "type": "time"}
        dt = "time"
    elif kind == "geo":
        dv = {"value": {"latitude": value[0], "longitude": value[1], "altitude": None, "precision": 0.0001,
                        "globe": "http://www.wikidata.org/entity/Q2"}, "type": "globecoordinate"}
        dt = "globe-coordinate"
    elif kind == "quantity":
        dv = {"value": {"amount": f"+{value}", "unit": "1"}, "type": "quantity"}
        dt = "quantity"
    else:  # external-id, url, string
        dv = {"value": value, "type": "string"}
        dt = kind
    return {"snaktype": "value", "property": pid, "datavalue": dv, "datatype": dt}


def st(eid: str, pid: str, kind: str, value, rank: str = "normal", quals=None, refs=None) -> dict:
    out = {"mainsnak": snak(pid, kind, value), "type": "statement", "id": _sid(eid), "rank": rank}
    if quals:
        out["qualifiers"] = {}
        for qp, qk, qv in quals:
            out["qualifiers"].setdefault(qp, []).append(snak(qp, qk, qv))
        out["qualifiers-order"] = list(out["qualifiers"])
    if refs:
        out["references"] = [{"hash": hashlib.sha1(f"{eid} {r}".encode()).hexdigest(),
                              "snaks": {"P854": [snak("P854", "url", r)]}, "snaks-order": ["P854"]}
                             for r in refs]
    return out


def entity(eid: str, labels: dict, *, aliases: dict | None = None, desc: dict | None = None,
           claims: list | None = None) -> dict:
    ent = {"type": "item", "id": eid, "lastrevid": 1, "modified": "2026-11-27T00:00:00Z",
           "labels": {k: {"language": k, "value": v} for k, v in labels.items()},
           "descriptions": {k: {"language": k, "value": v} for k, v in (desc or {}).items()},
           "aliases": {k: [{"language": k, "value": a} for a in v] for k, v in (aliases or {}).items()},
           "claims": {}, "sitelinks": {}}
    for c in claims or []:
        ent["claims"].setdefault(c["mainsnak"]["property"], []).append(c)
    return ent


def cls(eid: str, label: str, *parents: str) -> dict:
    return entity(eid, {"en": label}, claims=[st(eid, "P279", "item", p) for p in parents])


def place(eid, labels, p31, country, coords=None, *, geonames=None, pop=None, web=None, aliases=None,
          desc=None, twins=()):
    claims = [st(eid, "P31", "item", c) for c in ([p31] if isinstance(p31, str) else p31)]
    claims.append(st(eid, "P17", "item", country))
    if coords:
        claims.append(st(eid, "P625", "geo", coords))
    if geonames:
        claims.append(st(eid, "P1566", "external-id", geonames))
    if pop:
        when = ("P585", "time", ("+2020-01-01T00:00:00Z", 9))
        claims.append(st(eid, "P1082", "quantity", pop, quals=[when]))
    if web:
        claims.append(st(eid, "P856", "url", web))
    for tw in twins:
        quals = [("P580", "time", tw["start"])] if tw.get("start") else []
        if tw.get("end"):
            quals.append(("P582", "time", tw["end"]))
        claims.append(st(eid, "P190", "item", tw["q"], rank=tw.get("rank", "normal"), quals=quals,
                         refs=[tw["ref"]] if tw.get("ref") else None))
    return entity(eid, labels, aliases=aliases, desc=desc, claims=claims)


def build() -> list[dict]:
    ents = [
        cls("Q486972", "human settlement"),
        cls("Q56061", "administrative territorial entity"),
        cls("Q515", "city", "Q486972"),
        cls("Q3957", "town", "Q486972"),
        cls("Q532", "village", "Q486972"),
        cls("Q15284", "municipality", "Q56061"),
        cls("Q149621", "district", "Q56061"),
        cls("Q6256", "country", "Q56061"),
        cls("Q1549591", "big city", "Q515"),
        cls("Q42744322", "urban municipality of Germany", "Q15284"),
        cls("Q262166", "municipality of Germany", "Q15284"),
        cls("Q22865", "independent city of Germany", "Q515"),
        cls("Q1187811", "college town", "Q515"),
        cls("Q1616075", "river", ),  # a non-settlement class for decoys
        cls("Q5", "human"),
    ]
    for q, en, de, iso in [("Q183", "Germany", "Deutschland", "DE"), ("Q142", "France", "Frankreich", "FR"),
                           ("Q30", "United States of America", "Vereinigte Staaten", "US"),
                           ("Q145", "United Kingdom", "Vereinigtes Königreich", "GB"),
                           ("Q36", "Poland", "Polen", "PL")]:
        ents.append(entity(q, {"en": en, "de": de}, claims=[st(q, "P31", "item", "Q6256"),
                                                             st(q, "P297", "external-id", iso)]))
    ref_h = "https://example.org/hannover/partnerstaedte"
    ents += [
        # several places called Paris
        place("Q99000001", {"en": "Paris", "fr": "Paris", "de": "Paris"}, "Q515", "Q142", (48.8566, 2.3522),
              geonames="2988507", pop=2100000, web="https://www.paris.fr/",
              desc={"en": "capital of France"},
              twins=[{"q": "Q99000030", "start": ("+1990-00-00T00:00:00Z", 9)}]),
        place("Q99000002", {"en": "Paris"}, "Q515", "Q30", (33.6609, -95.5555), geonames="4717560",
              desc={"en": "city in Texas"}),
        place("Q99000003", {"en": "Paris"}, "Q515", "Q30", (36.3020, -88.3267),
              desc={"en": "city in Tennessee"}),
        # several Springfields
        place("Q99000010", {"en": "Springfield"}, "Q515", "Q30", (39.7817, -89.6501), geonames="4250542",
              pop=114000, web="https://www.springfield.il.us/", desc={"en": "capital of Illinois"},
              twins=[{"q": "Q99000020", "start": ("+1987-00-00T00:00:00Z", 9)}]),
        place("Q99000011", {"en": "Springfield"}, "Q515", "Q30", (42.1015, -72.5898),
              desc={"en": "city in Massachusetts"}),
        place("Q99000012", {"en": "Springfield"}, "Q515", "Q30", (37.2090, -93.2923),
              desc={"en": "city in Missouri"}),
        place("Q99000013", {"en": "Springfield"}, "Q532", "Q145", (52.6000, -1.5000),
              desc={"en": "village in England"}),
        # not a settlement: must never be chosen
        entity("Q99000014", {"en": "Springfield"}, claims=[st("Q99000014", "P31", "item", "Q1616075"),
                                                            st("Q99000014", "P17", "item", "Q30")]),
        # a city and its district, both answering to "Hannover"
        place("Q99000020", {"de": "Hannover", "en": "Hanover"}, "Q1549591", "Q183", (52.3744, 9.7386),
              geonames="2910831", pop=535000, web="https://www.hannover.de/", aliases={"de": ["Hannover"]},
              twins=[{"q": "Q99000010", "start": ("+1987-05-12T00:00:00Z", 11), "ref": ref_h},
                     {"q": "Q99000001", "start": ("+1970-00-00T00:00:00Z", 9), "rank": "deprecated"}]),
        place("Q99000021", {"de": "Region Hannover", "en": "Hanover Region"}, "Q149621", "Q183",
              (52.3600, 9.7500), aliases={"de": ["Hannover"]}),
        # a renamed city: old name only as an alias
        place("Q99000030", {"de": "Chemnitz", "en": "Chemnitz"}, "Q515", "Q183", (50.8333, 12.9167),
              aliases={"de": ["Karl-Marx-Stadt"], "en": ["Karl-Marx-Stadt"]},
              twins=[{"q": "Q99000040", "start": ("+2001-00-00T00:00:00Z", 9),
                      "end": ("+2010-00-00T00:00:00Z", 9)}]),
        # label only in another language
        place("Q99000040", {"pl": "Wólka Górska"}, "Q532", "Q36", (51.9000, 21.4000),
              twins=[{"q": "Q99000030", "start": ("+2002-00-00T00:00:00Z", 9)}]),
        # a town with a preferred and a normal population, and a human with the same name as a town
        place("Q99000050", {"en": "Lindau", "de": "Lindau"}, "Q3957", "Q183", (47.5458, 9.6844),
              geonames="2877703"),
        entity("Q99000051", {"en": "Lindau"}, claims=[st("Q99000051", "P31", "item", "Q5")]),
    ]
    return ents


def main() -> None:
    out = Path(__file__).with_name("synthetic.json")
    lines = ",\n".join(json.dumps(e, ensure_ascii=False, sort_keys=True) for e in build())
    out.write_text("[\n" + lines + "\n]\n", encoding="utf-8")


if __name__ == "__main__":
    main()
