"""Validation results of every shared data file, by rule: convert each file in full with the
shipped converter (and mapping), validate it with ``twinrdf.validate(..., engine="oxigraph")``,
and print the number of results per rule as a Markdown table (the figures in docs/validation.md).

Run: python3 bench/validate_shared.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from twinrdf.convert import convert
from twinrdf.validate import rules, validate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "validate-shared"
DATA = ROOT.parent / "shared" / "data"
MAPPINGS = ROOT / "examples" / "mappings"

#: name -> (input file, mapping or None)
SHARED: dict[str, tuple[Path, Path | None]] = {
    "wikipedia twin_cities_raw.csv": (DATA / "wikipedia-twin-lists" / "twin_cities_raw.csv",
                                      MAPPINGS / "wikipedia-twin-lists-raw.yaml"),
    "wikipedia twin_cities_geocoded.csv": (DATA / "wikipedia-twin-lists" / "twin_cities_geocoded.csv",
                                           MAPPINGS / "wikipedia-twin-lists-geocoded.yaml"),
    "wikidata p190-crawl-2016 relations.tsv": (DATA / "wikidata" / "p190-crawl-2016" / "relations.tsv",
                                               MAPPINGS / "wikidata-p190-crawl-2016.yaml"),
    "wikidata weimar.json": (DATA / "wikidata" / "p190-crawl-2016" / "weimar.json", None),
    "wikidata Q2112.json (Bielefeld)": (DATA / "wikidata" / "wikibase-sdk" / "Q2112.json", None),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the counts here as JSON")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict] = {}
    for name, (path, mapping) in SHARED.items():
        target = WORK / (path.stem + ".nt")
        t = time.perf_counter()
        summary, rejects = convert([path], target, mapping=mapping)
        t_convert = time.perf_counter() - t
        t = time.perf_counter()
        o = validate(target, engine="oxigraph")
        out[name] = {
            "rows": summary.rows_read, "rejected": len(rejects), "triples": o.triples,
            "convert_s": round(t_convert, 1), "validate_s": round(time.perf_counter() - t, 1),
            "severity_counts": o.severity_counts, "counts": o.counts,
        }
        print(name, json.dumps(out[name]), flush=True)
    ids = sorted({r for v in out.values() for r in v["counts"]})
    sev = {r.id: r.severity for r in rules()}
    print()
    heads = " | ".join(f"`{i}` ({sev.get(i, '?')})" for i in ids)
    print(f"| file | rows | rejected | triples | {heads} |")
    print("|---|---|---|---|" + "---|" * len(ids))
    for name, v in out.items():
        cells = " | ".join(str(v["counts"].get(i, 0)) for i in ids)
        print(f"| {name} | {v['rows']} | {v['rejected']} | {v['triples']} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
