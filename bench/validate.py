"""Validation benchmark: the converted Wikipedia-derived list (about 26k pairs), scaling, baseline.

Measured, each in a fresh subprocess (so one measurement's memory never affects the next):

1. ``twin_cities_geocoded.csv`` (25,917 rows) converted with the shipped mapping, then
   ``twinrdf.validate(path, engine="oxigraph")``. Goal: at most 30 s.
2. The same at 4x and 16x the rows (copies of the file whose names are altered per copy, so
   that every copy adds new localities and pairs): time per triple should stay flat (linear).
3. Baseline in the same run: pyshacl alone (``engine="pyshacl"``, the validator of record, which
   runs each SHACL-SPARQL query once per focus node) on a 1/16 sample (and, with
   ``--baseline-full``, at 1x), stopped at ``--baseline-limit`` seconds.
4. Where the time goes: the stages of ``validate()`` (loading into rdflib, pyshacl on the core
   constraints, the Oxigraph store, the SPARQL constraints) from ``ValidationOutcome.timings``,
   and CPU time next to wall time (the machine may be shared).

Run: python3 bench/validate.py [--sizes 1,4,16] [--baseline-limit 600] [--baseline-full] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "validate"
DATA = ROOT.parent / "shared" / "data"
GEOCODED = DATA / "wikipedia-twin-lists" / "twin_cities_geocoded.csv"
MAPPING = ROOT / "examples" / "mappings" / "wikipedia-twin-lists-geocoded.yaml"

CHILD = r"""
import json, resource, sys, time
from twinrdf.validate import validate
path, engine = sys.argv[1], sys.argv[2]
def cpu():
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
t, c = time.perf_counter(), cpu()
o = validate(path, engine=engine)
print(json.dumps({
    "wall": time.perf_counter() - t, "cpu": cpu() - c, "triples": o.triples,
    "timings": o.timings, "counts": o.counts, "severity_counts": o.severity_counts,
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def scaled_csv(factor: int, rows: int | None = None) -> Path:
    """The geocoded list repeated ``factor`` times (copy k>0 prefixes every name with 'Xk '), or
    its first ``rows`` rows."""
    WORK.mkdir(parents=True, exist_ok=True)
    name = f"geocoded_x{factor}.csv" if rows is None else f"geocoded_first{rows}.csv"
    out = WORK / name
    if out.exists():
        return out
    with open(GEOCODED, encoding="utf-8", newline="") as f:
        header, *body = list(csv.reader(f))
    if rows is not None:
        body = body[:rows]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k in range(factor):
            for r in body:
                if k:
                    r = [f"X{k} {v}" if i in (0, 4) else v for i, v in enumerate(r)]
                w.writerow(r)
    return out


def converted(csv_path: Path) -> Path:
    """The CSV converted to N-Triples by ``twinrdf convert`` with the shipped mapping."""
    out = csv_path.with_suffix(".nt")
    if not out.exists():
        subprocess.run(
            [sys.executable, "-m", "twinrdf.cli", "convert", str(csv_path), "--mapping", str(MAPPING),
             "-o", str(out), "--rejects", str(csv_path.with_suffix(".rejects.csv"))],
            check=False, capture_output=True,
        )
        if not out.exists():
            raise SystemExit(f"conversion of {csv_path} failed")
    return out


def measure(path: Path, engine: str, limit: float) -> dict:
    try:
        p = subprocess.run([sys.executable, "-c", CHILD, str(path), engine], capture_output=True,
                           text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"timeout": limit}
    if p.returncode != 0:
        raise SystemExit(f"validation failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,4,16", help="scale factors of the data (default 1,4,16)")
    ap.add_argument("--baseline-limit", type=float, default=600.0,
                    help="seconds before the baseline is stopped")
    ap.add_argument("--baseline-full", action="store_true", help="also run the baseline on the 1x data")
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = ap.parse_args()
    rows = []
    sample = converted(scaled_csv(1, rows=25917 // 16))
    for engine in ("oxigraph", "pyshacl"):
        m = measure(sample, engine, args.baseline_limit)
        rows.append({"data": "1/16 sample", "engine": engine, **m})
        print(json.dumps(rows[-1]), flush=True)
    for factor in (int(x) for x in args.sizes.split(",")):
        path = converted(scaled_csv(factor))
        m = measure(path, "oxigraph", 3600)
        rows.append({"data": f"{factor}x", "engine": "oxigraph", **m})
        print(json.dumps(rows[-1]), flush=True)
        if factor == 1 and args.baseline_full:
            m = measure(path, "pyshacl", args.baseline_limit)
            rows.append({"data": "1x", "engine": "pyshacl", **m})
            print(json.dumps(rows[-1]), flush=True)
    print()
    print("CPU = user+system of the validating process and its forked worker; stage columns are the")
    print("main process's CPU seconds (the core constraints' second half runs in the worker meanwhile)")
    print()
    print("| data | engine | triples | wall s | CPU s | CPU µs/triple | load | pyshacl | ox store "
          "| ox SPARQL | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "timeout" in r:
            print(f"| {r['data']} | {r['engine']} | | > {r['timeout']:.0f} (stopped) | | | | | | | |")
            continue
        t = r["timings"]
        core = t.get("pyshacl-core-cpu", t.get("pyshacl", 0.0))
        print(f"| {r['data']} | {r['engine']} | {r['triples']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
              f"{1e6 * r['cpu'] / r['triples']:.1f} | {t.get('load-cpu', 0):.1f} | {core:.1f} | "
              f"{t.get('oxigraph-load-cpu', 0):.1f} | {t.get('oxigraph-sparql-cpu', 0):.1f} | "
              f"{r['maxrss_mb']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
