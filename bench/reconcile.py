"""Reconciliation quality benchmark: precision and recall of automatic matches.

Labelled set: localities drawn from the 2016 P190 crawl of Wikidata (../shared/data/wikidata/
p190-crawl-2016/names.tsv: Q-id <TAB> label). The Q-id is the ground truth. The mirror is built
through the real pipeline (entity JSON -> ``twinrdf.wikidata.mirror`` -> Oxigraph) from one
entity per names.tsv row carrying that label, plus confusable decoys; the local records are
what a publisher would hold (name, country, sometimes coordinates, a class, a GeoNames id).
See bench/README.md for how the labels were obtained and checked, and what is synthetic.

Baseline, in the same run: "first exact label match" (accept the first item whose label equals
the name, no filters, no scores), which is what naive scripts do.

Run: python3 bench/reconcile.py [--n 300] [--seed 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from twinrdf.wikidata.client import StoreClient, prefix_block, qid
from twinrdf.wikidata.mirror import build_mirror
from twinrdf.wikidata.reconcile import LocalLocality, ReconcileConfig, Reconciler

ROOT = Path(__file__).resolve().parents[1]
CRAWL = ROOT.parent / "shared" / "data" / "wikidata" / "p190-crawl-2016"
SDK = ROOT.parent / "shared" / "data" / "wikidata" / "wikibase-sdk"
sys.path.insert(0, str(ROOT))
from tests.data.wikidata.make_synthetic import cls, entity, place, st  # noqa: E402

# (Q-id, ISO 3166-1 alpha-2, lat range, lon range): rough boxes, enough to place points inside
COUNTRIES = [
    ("Q183", "DE", (47.5, 54.8), (6.0, 14.8)), ("Q142", "FR", (43.0, 50.9), (-1.5, 7.5)),
    ("Q30", "US", (30.0, 47.0), (-120.0, -75.0)), ("Q145", "GB", (50.5, 57.5), (-5.0, 1.5)),
    ("Q36", "PL", (49.3, 54.6), (14.3, 23.9)), ("Q38", "IT", (38.0, 46.5), (7.5, 16.0)),
    ("Q29", "ES", (36.5, 43.5), (-8.5, 3.0)), ("Q55", "NL", (51.0, 53.4), (3.5, 7.0)),
    ("Q17", "JP", (31.5, 43.0), (130.0, 142.0)), ("Q148", "CN", (22.0, 45.0), (100.0, 122.0)),
    ("Q159", "RU", (45.0, 65.0), (30.0, 90.0)), ("Q212", "UA", (45.5, 52.0), (23.0, 40.0)),
    ("Q34", "SE", (55.5, 68.0), (11.5, 23.0)), ("Q33", "FI", (60.0, 69.0), (21.0, 31.0)),
    ("Q213", "CZ", (48.6, 51.0), (12.2, 18.8)), ("Q28", "HU", (45.8, 48.5), (16.2, 22.8)),
    ("Q218", "RO", (43.7, 48.2), (20.3, 29.6)), ("Q45", "PT", (37.0, 42.0), (-9.4, -6.3)),
    ("Q43", "TR", (36.5, 41.5), (26.5, 44.5)), ("Q155", "BR", (-30.0, -3.0), (-60.0, -35.0)),
]
CLASSES = [("Q515", "City"), ("Q3957", "Town"), ("Q532", "Village")]
# how often a labelled item gets each kind of confusable decoy with the same label (default mode);
# --hard gives every item one to three of them
DECOY_RATES = {"other-country": 0.5, "not-a-place": 0.5, "district-near": 0.3, "same-country-far": 0.15}


def read_names() -> list[tuple[str, str]]:
    rows = []
    with open(CRAWL / "names.tsv", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[0].startswith("Q") and parts[1]:
                rows.append((parts[0], parts[1]))
    return rows


def _point(rng: random.Random, country: tuple) -> tuple[float, float]:
    (la0, la1), (lo0, lo1) = country[2], country[3]
    return round(rng.uniform(la0, la1), 4), round(rng.uniform(lo0, lo1), 4)


def _offset(lat: float, lon: float, km: float, rng: random.Random) -> tuple[float, float]:
    import math

    ang = rng.uniform(0, 2 * math.pi)
    dlat = km / 111.0 * math.sin(ang)
    dlon = km / (111.0 * max(0.2, math.cos(math.radians(lat)))) * math.cos(ang)
    return round(lat + dlat, 4), round(lon + dlon, 4)


World = tuple[list[dict], list[LocalLocality], dict[str, str], dict[str, str]]


def build_world(seed: int, n: int, hard: bool = False) -> World:
    """Entities for the mirror, the labelled local records, truth (iri -> Q) and perturbation kinds."""
    rng = random.Random(seed)
    names = read_names()
    ents: list[dict] = [cls("Q486972", "human settlement"),
                        cls("Q56061", "administrative territorial entity"),
                        cls("Q515", "city", "Q486972"), cls("Q3957", "town", "Q486972"),
                        cls("Q532", "village", "Q486972"), cls("Q15284", "municipality", "Q56061"),
                        cls("Q149621", "district", "Q56061"), cls("Q1616075", "river"), cls("Q5", "human")]
    for q, iso, *_ in COUNTRIES:
        ents.append(entity(q, {"en": q}, claims=[st(q, "P31", "item", "Q6256"),
                                                 st(q, "P297", "external-id", iso)]))
    facts: dict[str, dict] = {}
    for q, label in names:
        country = rng.choice(COUNTRIES)
        klass = rng.choice(CLASSES)
        facts[q] = {"label": label, "country": country, "class": klass, "coords": _point(rng, country),
                    "geonames": str(rng.randrange(10**6, 10**7))}
        ents.append(place(q, {"en": label}, klass[0], country[0], facts[q]["coords"],
                          geonames=facts[q]["geonames"]))
    sample = rng.sample(names, n)
    decoy_id = 90_000_000
    locals_: list[LocalLocality] = []
    truth: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for q, label in sample:
        f = facts[q]
        # confusable decoys for this item, each with the same label
        if hard:
            chosen = rng.sample(list(DECOY_RATES), k=rng.randint(1, 3))
        else:
            chosen = [k for k, rate in DECOY_RATES.items() if rng.random() < rate]
        for kind in chosen:
            decoy_id += 1
            d = f"Q{decoy_id}"
            if kind == "other-country":
                c = rng.choice([x for x in COUNTRIES if x[0] != f["country"][0]])
                ents.append(place(d, {"en": label}, rng.choice(CLASSES)[0], c[0], _point(rng, c)))
            elif kind == "same-country-far":
                far = _offset(*f["coords"], rng.uniform(200, 600), rng)
                ents.append(place(d, {"en": label}, rng.choice(CLASSES)[0], f["country"][0], far))
            elif kind == "district-near":
                near = _offset(*f["coords"], rng.uniform(3, 20), rng)
                ents.append(place(d, {"en": label}, "Q149621", f["country"][0], near))
            else:
                what = rng.choice(["Q5", "Q1616075"])  # a person or a river
                ents.append(entity(d, {"en": label}, claims=[st(d, "P31", "item", what)]))
        iri = f"https://example.org/bench/place/{q}"
        truth[iri] = q
        loc = LocalLocality(iri, [(label, None)], scope=f["class"][1], country_code=f["country"][1])
        perturb = rng.random()
        if perturb < 0.15:
            loc.names = [(f"{label} ({f['class'][1].lower()})", None)]
            kinds[iri] = "qualifier"
        elif perturb < 0.25:
            loc.names = [(label.upper(), None)]
            kinds[iri] = "case"
        else:
            kinds[iri] = "exact"
        if rng.random() < 0.7:
            loc.lat, loc.lon = _offset(*f["coords"], rng.uniform(0, 3), rng)
        if rng.random() < 0.2:
            loc.scope = "Locality"
        if rng.random() < 0.1:
            loc.country_code = None
        if rng.random() < 0.2:
            loc.geonames = f["geonames"]
        locals_.append(loc)
    return ents, locals_, truth, kinds


def check_labels(client: StoreClient, truth: dict[str, str], names: dict[str, str]) -> tuple[int, int]:
    """How many labelled items the mirror answers with exactly the names.tsv label."""
    q = prefix_block(["rdfs"]) + "SELECT ?item ?label WHERE { {values} ?item rdfs:label ?label }"
    got: dict[str, set[str]] = {}
    for row in client.select_values(q, "item", sorted(set(truth.values()))):
        got.setdefault(qid(row["item"]), set()).add(str(row["label"]))
    ok = sum(1 for q_ in set(truth.values()) if names[q_] in got.get(q_, set()))
    return ok, len(set(truth.values()))


def check_real_entities(names: dict[str, str]) -> list[str]:
    """Cross-check the crawl's labels against the real entity JSON we have (Bielefeld, Weimar)."""
    out = []
    for path, key in ((SDK / "Q2112.json", None), (CRAWL / "weimar.json", "Q3955")):
        data = json.loads(path.read_text(encoding="utf-8"))
        ent = data["entities"][key] if key else data
        labels = {v["value"] for v in ent["labels"].values()}
        out.append(f"{ent['id']}: names.tsv {names.get(ent['id'])!r} "
                   f"{'is' if names.get(ent['id']) in labels else 'is NOT'} among its real labels")
    return out


def score(decisions: dict[str, str | None], truth: dict[str, str]) -> dict[str, float]:
    accepted = {k: v for k, v in decisions.items() if v}
    correct = sum(1 for k, v in accepted.items() if truth[k] == v)
    return {"accepted": len(accepted), "correct": correct,
            "precision": correct / len(accepted) if accepted else 1.0, "recall": correct / len(truth)}


def baseline(client: StoreClient, locs: list[LocalLocality]) -> dict[str, str | None]:
    """First exact label match, no filters."""
    from rdflib import Literal

    q = prefix_block(["rdfs"]) + "SELECT ?item ?name WHERE { {values} ?item rdfs:label ?name }"
    first: dict[str, str] = {}
    lits = sorted({Literal(n, lang="en") for loc in locs for n, _ in loc.names}, key=str)
    for row in client.select_values(q, "name", lits):
        first.setdefault(str(row["name"]), qid(row["item"]))
    return {loc.iri: first.get(loc.names[0][0]) for loc in locs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hard", action="store_true", help="one to three decoys for every labelled item")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ents, locs, truth, kinds = build_world(args.seed, args.n, args.hard)
    names = dict(read_names())
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "bench-dump.json"
        dump.write_text("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in ents) + "\n]\n",
                        encoding="utf-8")
        report = build_mirror([dump], Path(tmp) / "mirror")
        t_mirror = time.perf_counter() - t0
        client = StoreClient(Path(tmp) / "mirror")
        ok, total = check_labels(client, truth, names)
        t1 = time.perf_counter()
        result = Reconciler(client, ReconcileConfig()).run(locs)
        t_rec = time.perf_counter() - t1
        ours = {d.locality.iri: (d.match.qid if d.match else None) for d in result.decisions}
        t2 = time.perf_counter()
        base = baseline(client, locs)
        t_base = time.perf_counter() - t2
    s_ours, s_base = score(ours, truth), score(base, truth)
    by_kind = {}
    for kind in sorted(set(kinds.values())):
        sub = {k: v for k, v in truth.items() if kinds[k] == kind}
        by_kind[kind] = score({k: ours[k] for k in sub}, sub)
    status = Counter(d.status for d in result.decisions)
    out = {"n": args.n, "seed": args.seed, "hard": args.hard, "mirror_entities": report.entities,
           "mirror_triples": report.triples,
           "labels_checked": f"{ok}/{total}", "real_entity_checks": check_real_entities(names),
           "reconcile": s_ours, "baseline_first_exact_label": s_base, "by_perturbation": by_kind,
           "status": dict(status), "seconds": {"mirror": round(t_mirror, 2), "reconcile": round(t_rec, 2),
                                               "baseline": round(t_base, 2)},
           "requests": client.log.requests}
    mode = ", hard decoys" if args.hard else ""
    print(f"labelled localities: {args.n} (seed {args.seed}{mode}); mirror: {report.entities} entities, "
          f"{report.triples} triples; labels checked against the mirror: {ok}/{total}")
    for line in out["real_entity_checks"]:
        print("  " + line)
    print(f"{'method':32} {'accepted':>8} {'correct':>8} {'precision':>9} {'recall':>7}")
    for name, s in (("twinrdf reconcile", s_ours), ("baseline: first exact label", s_base)):
        print(f"{name:32} {s['accepted']:8d} {s['correct']:8d} {s['precision']:9.3f} {s['recall']:7.3f}")
    for kind, s in by_kind.items():
        print(f"  names {kind:24} {s['accepted']:8d} {s['correct']:8d} {s['precision']:9.3f} "
              f"{s['recall']:7.3f}")
    print(f"decisions: {dict(status)}; reconcile {t_rec:.2f} s ({client.log.requests} queries), "
          f"mirror build {t_mirror:.2f} s")
    goal = s_ours["precision"] >= 0.98 and s_ours["recall"] >= 0.85
    print("goal P >= 0.98 and R >= 0.85:", "met" if goal else "NOT met")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
