"""Tables conversion benchmark: twinrdf tables of the size of the Wikipedia lists, end to end.

The 25,917 rows of ``twin_cities_geocoded.csv`` (shared data) are rewritten as twinrdf tables
(localities.csv with coordinates, agreements.csv with one row per list row, sources.csv) in
bench/_work/tables-26k/, then, each in a fresh subprocess:

1. twinrdf: ``twinrdf.convert.convert`` (parse the tables, build, write) to Turtle and to
   N-Triples, timed per stage.
2. Baseline in the same run: the same triples added one by one to a plain rdflib ``Graph`` and
   serialised by rdflib to Turtle and N-Triples (the builder's own work is not counted for the
   baseline, which flatters it).

Goals: twinrdf end to end under 3 s, and its build + write at least 3x faster than the rdflib
baseline's graph + serialise. Figures go to bench/README.md.

Run: python3 bench/convert_tables.py [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "tables-26k"
SOURCE = ROOT.parent / "shared" / "data" / "wikipedia-twin-lists" / "twin_cities_geocoded.csv"


def make_tables(rows: int | None = None) -> Path:
    """The list (or its first ``rows`` rows) as twinrdf tables (ids from python-slugify, as a
    publisher might choose them)."""
    from slugify import slugify

    work = WORK if rows is None else WORK.with_name(f"tables-{rows}")
    if (work / "agreements.csv").exists():
        return work
    work.mkdir(parents=True, exist_ok=True)
    ids: dict[tuple[str, str], str] = {}
    localities: list[list[str]] = []
    agreements: list[list[str]] = []

    def locality(city: str, country: str, lat: str, lon: str) -> str:
        key = (city, country)
        if key not in ids:
            base = slugify(f"{city} {country}")[:80] or "x"
            ident, n = base, 2
            while ident in ids.values():
                ident, n = f"{base}-{n}", n + 1
            ids[key] = ident
            localities.append([ident, city, "en", lat, lon, "wp-lists"])
        return ids[key]

    with SOURCE.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), 1):
            if rows is not None and i > rows:
                break
            a = locality(row["city1"], row["country1"], row["lat1"], row["lng1"])
            b = locality(row["city2"], row["country2"], row["lat2"], row["lng2"])
            if a != b:
                agreements.append([f"row-{i}", f"{a}|{b}", "TwinTown", "wp-lists"])
    with (work / "sources.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "url"])
        w.writerow(["wp-lists", "Lists of twin towns and sister cities",
                    "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities"])
    with (work / "localities.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "lang", "lat", "lon", "sources"])
        w.writerows(localities)
    with (work / "agreements.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "partners", "kind", "sources"])
        w.writerows(agreements)
    return work


def child_twinrdf(folder: str, outdir: str) -> dict:
    from twinrdf.convert import convert

    res: dict = {}
    for ext in ("ttl", "nt"):
        t0, c0 = time.perf_counter(), time.process_time()
        summary, _ = convert([Path(folder)], Path(outdir) / f"out.{ext}")
        res[f"convert_{ext}"] = time.perf_counter() - t0
        res[f"convert_{ext}_cpu"] = time.process_time() - c0
    res.update(rows=summary.rows_read, triples=summary.triples_written)
    # stages, for the side-by-side part
    from twinrdf import rdfio
    from twinrdf.build import build
    from twinrdf.parse.tables import parse_tables
    from twinrdf.perf import paused_gc

    with paused_gc():
        c0 = time.process_time()
        t0 = time.perf_counter()
        records = parse_tables([Path(folder)])
        t1 = time.perf_counter()
        result = build(records)
        t2 = time.perf_counter()
        rdfio.write_rdf(result, Path(outdir) / "stage.ttl")
        t3 = time.perf_counter()
        rdfio.write_rdf(result, Path(outdir) / "stage.nt")
        t4 = time.perf_counter()
        res["stages_cpu"] = time.process_time() - c0
    res.update(parse=t1 - t0, build=t2 - t1, write_ttl=t3 - t2, write_nt=t4 - t3,
               maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return res


def child_rdflib(folder: str, outdir: str) -> dict:
    import rdflib

    from twinrdf.build import build, term_to_rdflib
    from twinrdf.parse.tables import parse_tables

    quads = build(parse_tables([Path(folder)])).quads
    triples = [(term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object))
               for q in quads]
    t0, c0 = time.perf_counter(), time.process_time()
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    t1 = time.perf_counter()
    g.serialize(Path(outdir) / "rdflib.ttl", format="turtle", encoding="utf-8")
    t2 = time.perf_counter()
    g.serialize(Path(outdir) / "rdflib.nt", format="nt", encoding="utf-8")
    t3, c3 = time.perf_counter(), time.process_time()
    return {"graph": t1 - t0, "write_ttl": t2 - t1, "write_nt": t3 - t2, "triples": len(g), "cpu": c3 - c0}


def _child(kind: str, folder: Path, outdir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(folder), str(outdir)],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"child {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--rows", type=int, help="use only the first ROWS rows of the list (the rdflib "
                    "baseline needs minutes for all of them on a busy machine)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, folder, outdir = args.child
        fn = child_twinrdf if kind == "twinrdf" else child_rdflib
        print(json.dumps(fn(folder, outdir)))
        return
    c0 = time.process_time()
    total = 0
    for i in range(10_000_000):  # machine speed reference: ~0.4 s on an idle current x86 core
        total += i
    print(f"reference loop (10M additions): {time.process_time() - c0:.2f} s CPU")
    folder = make_tables(args.rows)
    outdir = WORK.parent / "tables-out"
    outdir.mkdir(exist_ok=True)
    ours = _child("twinrdf", folder, outdir)
    base = _child("rdflib", folder, outdir)
    ours_bw = ours["build"] + ours["write_ttl"] + ours["write_nt"]
    base_bw = base["graph"] + base["write_ttl"] + base["write_nt"]
    figures = {"twinrdf": ours, "rdflib": base, "speedup_build_write": base_bw / ours_bw}
    print(f"rows {ours['rows']}, triples {ours['triples']} (rdflib graph: {base['triples']})")
    print(f"twinrdf convert -> Turtle      {ours['convert_ttl']:.2f} s end to end (goal < 3 s)")
    print(f"twinrdf convert -> N-Triples   {ours['convert_nt']:.2f} s end to end")
    print(f"  CPU time: convert -> Turtle {ours['convert_ttl_cpu']:.2f} s, "
          f"-> N-Triples {ours['convert_nt_cpu']:.2f} s; stages {ours['stages_cpu']:.2f} s; "
          f"rdflib baseline {base['cpu']:.2f} s")
    print(f"  stages: parse {ours['parse']:.2f}  build {ours['build']:.2f}  write ttl {ours['write_ttl']:.2f}"
          f"  write nt {ours['write_nt']:.2f}  (max RSS {ours['maxrss_mb']:.0f} MB)")
    print(f"rdflib baseline: graph {base['graph']:.2f}  write ttl {base['write_ttl']:.2f}"
          f"  write nt {base['write_nt']:.2f}")
    print(f"build + write (ttl + nt): twinrdf {ours_bw:.2f} s, rdflib {base_bw:.2f} s: "
          f"{figures['speedup_build_write']:.1f}x (goal >= 3x)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
