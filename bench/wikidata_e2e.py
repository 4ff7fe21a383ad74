"""End-to-end run of reconcile, enrich and diff-wikidata on the seed dataset and on the converted
shared data, against a local mirror built from the 2016 P190 crawl of Wikidata.

The mirror: one entity per names.tsv row (its label, language "mul" because the crawl does not
record it), its P190 statements from relations.tsv, and the real entity JSON of Bielefeld and
Weimar in place of their stubs; built through ``twinrdf.wikidata.mirror`` like any dump.

1. Seed hold-out: the seed's 21 publisher-stated Q-ids are removed, the seed is reconciled
   (without the class filter: the crawl has no P31), and the matches are compared with them.
2. Seed enrich and diff with the publisher's links.
3. The crawl converted by ``twinrdf convert`` (mapping examples/mappings/
   wikidata-p190-crawl-2016.yaml) diffed against the mirror built from the same crawl: nothing may
   be missing on either side, and the one-sided count must equal the count computed straight
   from relations.tsv.

Run: python3 bench/wikidata_e2e.py   (about a minute)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Store

from twinrdf.resources import as_path, examples_dir
from twinrdf.wikidata.client import StoreClient
from twinrdf.wikidata.diff import diff
from twinrdf.wikidata.enrich import enrich
from twinrdf.wikidata.mirror import build_mirror
from twinrdf.wikidata.reconcile import ReconcileConfig, load_localities, reconcile

ROOT = Path(__file__).resolve().parents[1]
CRAWL = ROOT.parent / "shared" / "data" / "wikidata" / "p190-crawl-2016"
SDK = ROOT.parent / "shared" / "data" / "wikidata" / "wikibase-sdk"
sys.path.insert(0, str(ROOT))
from tests.data.wikidata.make_synthetic import entity, st  # noqa: E402


def crawl_dump(path: Path) -> tuple[int, int]:
    names = {}
    for line in (CRAWL / "names.tsv").read_text(encoding="utf-8").splitlines():
        q, _, label = line.partition("\t")
        names[q] = label
    edges: dict[str, list[str]] = {}
    for line in (CRAWL / "relations.tsv").read_text(encoding="utf-8").splitlines():
        a, _, b = line.partition("\t")
        if b and b not in edges.get(a, []):
            edges.setdefault(a, []).append(b)
    real = {"Q2112", "Q3955"}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        for q in sorted(set(names) | set(edges), key=lambda x: int(x[1:])):
            if q in real:
                continue
            labels = {"mul": names[q]} if q in names else {}
            ent = entity(q, labels, claims=[st(q, "P190", "item", b) for b in edges.get(q, [])])
            fh.write(json.dumps(ent, ensure_ascii=False) + ",\n")
        fh.write("]\n")
    n_edges = sum(len(v) for v in edges.values())
    one_sided = sum(1 for a, bs in edges.items() for b in bs if a not in edges.get(b, []))
    return n_edges, one_sided


def main() -> int:
    seed = as_path(examples_dir()) / "seed" / "seed.ttl"
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        dump = Path(tmp) / "crawl.json"
        n_edges, one_sided = crawl_dump(dump)
        rep = build_mirror([dump, SDK / "Q2112.json", CRAWL / "weimar.json"], Path(tmp) / "mirror")
        out["mirror"] = {"entities": rep.entities, "triples": rep.triples, "rejects": len(rep.rejects),
                         "seconds": round(time.perf_counter() - t, 1)}
        client = StoreClient(Path(tmp) / "mirror")

        # 1. seed hold-out
        truth = {loc.iri: loc.wikidata for loc in load_localities(seed) if loc.wikidata}
        held = Store()
        held.load(path=str(seed), format=RdfFormat.TURTLE)
        for q in list(held.quads_for_pattern(None, NamedNode("https://w3id.org/twinrdf/ns#wikidata"), None)):
            held.remove(q)
        held_path = Path(tmp) / "seed-without-qids.nt"
        held.dump(output=str(held_path), format=RdfFormat.N_TRIPLES,
                  from_graph=__import__("pyoxigraph").DefaultGraph())
        t = time.perf_counter()
        res = reconcile(held_path, client, ReconcileConfig(require_class=False))
        acc = {d.locality.iri: d.match.qid for d in res.decisions if d.status == "accepted"}
        on_truth = {k: v for k, v in acc.items() if k in truth}
        correct = sum(1 for k, v in on_truth.items() if truth[k] == v)
        out["seed_holdout"] = {"localities": len(res.decisions), "with_publisher_qid": len(truth),
                               "status": dict(Counter(d.status for d in res.decisions)),
                               "accepted_on_labelled": len(on_truth), "correct": correct,
                               "precision": round(correct / len(on_truth), 3) if on_truth else None,
                               "recall": round(correct / len(truth), 3),
                               "seconds": round(time.perf_counter() - t, 2)}

        # 2. seed enrich and diff with the publisher's own links
        t = time.perf_counter()
        en = enrich(seed, client, languages=("en", "mul"))
        out["seed_enrich"] = {"items": len(en.items), "quads": len(en.quads), "queries": en.queries,
                              "seconds": round(time.perf_counter() - t, 2)}
        t = time.perf_counter()
        d = diff(seed, client)
        out["seed_diff"] = {"local_pairs": d.local_pairs, "not_comparable": d.not_comparable,
                            "wikidata_edges": d.wikidata_edges,
                            **{k: d.count(k) for k in ("local-only", "wikidata-only", "one-sided",
                                                       "date-disagrees")},
                            "quickstatements": len(d.quickstatements),
                            "seconds": round(time.perf_counter() - t, 2)}

        # 3. the crawl converted to twin: data, diffed against the mirror of the same crawl
        converted = Path(tmp) / "crawl.ttl"
        t = time.perf_counter()
        subprocess.run(["twinrdf", "convert", "--mapping",
                        str(as_path(examples_dir()) / "mappings" / "wikidata-p190-crawl-2016.yaml"),
                        str(CRAWL / "relations.tsv"), "-o", str(converted)], check=True, capture_output=True)
        t_convert = time.perf_counter() - t
        t = time.perf_counter()
        d = diff(converted, client)
        out["crawl_diff"] = {"local_pairs": d.local_pairs, "wikidata_edges": d.wikidata_edges,
                             "expected_edges": n_edges,
                             **{k: d.count(k) for k in ("local-only", "wikidata-only", "one-sided",
                                                        "date-disagrees")},
                             "expected_one_sided": one_sided, "quickstatements": len(d.quickstatements),
                             "convert_seconds": round(t_convert, 1),
                             "diff_seconds": round(time.perf_counter() - t, 1)}
    print(json.dumps(out, indent=2))
    c = out["crawl_diff"]
    ok = (c["local-only"] == 0 and c["wikidata-only"] == 0 and c["one-sided"] == c["expected_one_sided"]  # type: ignore[index]
          and c["wikidata_edges"] == c["expected_edges"])  # type: ignore[index]
    print("crawl diff consistent with relations.tsv:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
