"""Conversion benchmark: the Wikipedia-derived list end to end, scaling, baselines, dump streaming.

Measured, each in a fresh subprocess (so one measurement's memory never affects the next):

1. ``twin_cities_raw.csv`` (26,114 rows) through the shipped mapping: read + resolve, build
   (IRIs, pair merging), write N-Triples and Turtle. Goal: at most 3 s in total.
2. The same at 4x and 16x the rows (copies of the file whose names are altered per copy, so
   that every copy adds new localities and pairs): time per row should stay flat (linear).
3. Baseline in the same run: the same triples added to a plain rdflib ``Graph`` and serialised
   by rdflib (N-Triples and Turtle). Goal: twinrdf at least 3x faster on that part.
4. Baseline: morph-kgc (RML) running an equivalent mapping of the simple case (locality nodes,
   labels, twinnedWith, no resolution or merging) on the same file, both as command-line runs
   writing N-Triples. morph-kgc pins pyoxigraph<0.4 and rdflib<7.3, so it runs from its own venv
   in bench/_work/morph-venv (created on first use with pip). Goal: twinrdf not slower.
5. Streaming a generated Wikidata JSON dump of 200k entities (gzip), built from the real
   Bielefeld and Weimar entities: peak memory (ru_maxrss of the child) under 300 MB, and
   entities per second. As in a real dump, most entities are not twinned: 5% carry P190.

Run: python3 bench/convert.py [--sizes 1,4,16] [--entities 200000] [--no-morph] [--sequential]
     [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import csv
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
DATA = ROOT.parent / "shared" / "data"
RAW = DATA / "wikipedia-twin-lists" / "twin_cities_raw.csv"
MAPPING = ROOT / "examples" / "mappings" / "wikipedia-twin-lists-raw.yaml"
Q2112 = DATA / "wikidata" / "wikibase-sdk" / "Q2112.json"
WEIMAR = DATA / "wikidata" / "p190-crawl-2016" / "weimar.json"
MORPH_VENV = WORK / "morph-venv"


# ----------------------------------------------------------------------------- inputs


def scaled_csv(factor: int) -> Path:
    """The raw list repeated ``factor`` times; copy k>0 prefixes every name with 'Xk ' so that
    each copy is new data (new localities, new pairs) rather than duplicates merged away."""
    if factor == 1:
        return RAW
    out = WORK / f"twin_cities_raw_x{factor}.csv"
    if out.exists():
        return out
    with open(RAW, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k in range(factor):
            p = f"X{k} " if k else ""
            for c1, k1, c2, k2 in body:
                w.writerow([p + c1, k1, p + c2, k2])
    return out


def generated_dump(n: int, share: float = 0.05) -> Path:
    """A gzip JSON dump of ``n`` entities cloned from Bielefeld and Weimar (5% keep P190)."""
    out = WORK / f"dump-{n}.json.gz"
    if out.exists():
        return out
    bielefeld = json.loads(Q2112.read_text(encoding="utf-8"))
    weimar = json.loads(WEIMAR.read_text(encoding="utf-8"))["entities"]["Q3955"]
    keep = ("P31", "P17", "P625", "P1082", "P190")  # a P1082 statement (population) kept, not all
    templates = []
    for e in (bielefeld, weimar):
        t = {k: e[k] for k in ("type", "id", "labels", "descriptions", "aliases") if k in e}
        t["labels"] = {k: v for k, v in list(e["labels"].items())[:12]}
        t["descriptions"] = {k: v for k, v in list(e.get("descriptions", {}).items())[:6]}
        t["claims"] = {p: e["claims"][p] for p in keep if p in e["claims"]}
        t["claims"]["P1082"] = t["claims"]["P1082"][-1:]
        templates.append(t)
    every = max(1, round(1 / share))
    tmp = out.with_suffix(".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
        f.write("[\n")
        for i in range(n):
            e = copy.copy(templates[i % 2])
            e["id"] = f"Q{10_000_000 + i}"
            if i % every:
                e["claims"] = {p: v for p, v in e["claims"].items() if p != "P190"}
            f.write(json.dumps(e, ensure_ascii=False))
            f.write(",\n" if i < n - 1 else "\n")
        f.write("]\n")
    tmp.rename(out)
    return out


# ----------------------------------------------------------------------------- children


def child_convert(path: str, outdir: str, rdflib_baseline: bool) -> dict:
    """Runs in a subprocess: stage times for one conversion (and the rdflib baseline).

    As ``twinrdf convert`` does it: the N-Triples and Turtle files are written by forked
    writer processes fed while the build runs (rdfio.OutputStream), so "write" is the wait for
    them after the build; their CPU is counted (children's rusage) in the CPU total. With
    TWINRDF_NO_FORK=1 (``--sequential``) the files are written after the build, one by one."""
    from twinrdf import rdfio
    from twinrdf.build import build
    from twinrdf.parse import detect_and_parse
    from twinrdf.perf import paused_gc

    res: dict = {}
    nt, ttl = Path(outdir) / "out.nt", Path(outdir) / "out.ttl"
    c0 = time.process_time()
    t0 = time.perf_counter()
    stream = rdfio.OutputStream([(nt, rdfio.choose_format(nt)), (ttl, rdfio.choose_format(ttl))])
    with stream, paused_gc():
        rs = detect_and_parse([Path(path)], MAPPING)
        t1 = time.perf_counter()
        c1 = time.process_time()
        result = build(rs, sink=stream.send)
        t2 = time.perf_counter()
        c2 = time.process_time()
        n = stream.commit(result)[0]
        t4 = time.perf_counter()
    res["cpu_parent"] = time.process_time() - c0
    res["cpu_writers"] = stream.children_cpu()
    res["forked"] = stream.forked
    res["cpu_total"] = res["cpu_parent"] + res["cpu_writers"]
    res["cpu_parse_resolve"], res["cpu_build"] = c1 - c0, c2 - c1
    res["cpu_write"] = res["cpu_total"] - (c2 - c0)
    res.update(rows=rs.rows_read, triples=n, localities=result.summary.localities,
               agreements=result.summary.agreements, parse_resolve=t1 - t0, build=t2 - t1,
               write=t4 - t2, total=t4 - t0)
    if rdflib_baseline:
        import rdflib

        from twinrdf.build import term_to_rdflib

        quads = list(result.quads)  # the same triples, as terms, before the clock starts
        rc0 = time.process_time()
        r0 = time.perf_counter()
        g = rdflib.Graph()
        for q in quads:
            g.add((term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)))
        r1 = time.perf_counter()
        g.serialize(Path(outdir) / "rdflib.nt", format="nt", encoding="utf-8")
        r2 = time.perf_counter()
        g.serialize(Path(outdir) / "rdflib.ttl", format="turtle", encoding="utf-8")
        r3 = time.perf_counter()
        res["rdflib_cpu_total"] = time.process_time() - rc0
        res.update(rdflib_graph=r1 - r0, rdflib_nt=r2 - r1, rdflib_ttl=r3 - r2, rdflib_total=r3 - r0,
                   rdflib_triples=len(g))
    res["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["writer_maxrss_mb"] = max((w.rusage.ru_maxrss / 1024 for w in stream.writers if w.rusage), default=0)
    return res


def child_dump(path: str) -> dict:
    from twinrdf.parse.wikidata_json import parse_entity_file

    t0 = time.perf_counter()
    c0 = time.process_time()
    rs = parse_entity_file(Path(path))
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    entities = rs.rows_read + sum(rs.excluded.values())
    return {"entities": entities, "with_p190": rs.rows_read, "agreements": len(rs.agreements),
            "seconds": dt, "entities_per_s": entities / dt, "cpu_seconds": cpu,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                         check=False)
    if out.returncode:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- morph-kgc

RML = """@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix twin: <https://w3id.org/twinrdf/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<#City1> rml:logicalSource [ rml:source "{src}" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country1}}/{{city1}}" ;
                  rr:class twin:Locality ] ;
  rr:predicateObjectMap [ rr:predicate rdfs:label ;
                          rr:objectMap [ rml:reference "city1" ; rr:language "en" ] ] ;
  rr:predicateObjectMap [ rr:predicate twin:twinnedWith ;
      rr:objectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country2}}/{{city2}}" ] ] .

<#City2> rml:logicalSource [ rml:source "{src}" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country2}}/{{city2}}" ;
                  rr:class twin:Locality ] ;
  rr:predicateObjectMap [ rr:predicate rdfs:label ;
                          rr:objectMap [ rml:reference "city2" ; rr:language "en" ] ] ;
  rr:predicateObjectMap [ rr:predicate twin:twinnedWith ;
      rr:objectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country1}}/{{city1}}" ] ] .

<#Listing> rml:logicalSource [ rml:source "{src}" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [
      rr:template "https://w3id.org/twinrdf/data/listing/{{country1}}/{{city1}}/{{country2}}/{{city2}}" ;
                  rr:class twin:Listing ] ;
  rr:predicateObjectMap [ rr:predicate twin:listedBy ;
      rr:objectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country1}}/{{city1}}" ] ] ;
  rr:predicateObjectMap [ rr:predicate twin:listedPartner ;
      rr:objectMap [ rr:template "https://w3id.org/twinrdf/data/locality/{{country2}}/{{city2}}" ] ] .
"""


def ensure_morph() -> Path | None:
    py = MORPH_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MORPH_VENV)], check=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "morph-kgc"], check=False)
        if r.returncode:
            return None
    return py


def run_morph(src: Path) -> dict | None:
    py = ensure_morph()
    if py is None:
        return None
    d = WORK / "morph"
    d.mkdir(parents=True, exist_ok=True)
    (d / "mapping.rml.ttl").write_text(RML.format(src=str(src)), encoding="utf-8")
    (d / "config.ini").write_text(
        "[CONFIGURATION]\noutput_file=" + str(d / "morph.nt") + "\noutput_format=N-TRIPLES\n"
        "number_of_processes=1\n\n[DataSource1]\nmappings=" + str(d / "mapping.rml.ttl") + "\n",
        encoding="utf-8")
    c0 = _children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run([str(py), "-m", "morph_kgc", str(d / "config.ini")], capture_output=True, text=True,
                       check=False, cwd=d)
    dt = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    if r.returncode:
        print(r.stderr[-2000:], file=sys.stderr)
        return None
    with open(d / "morph.nt", "rb") as f:
        n = sum(1 for _ in f)
    return {"seconds": dt, "cpu": cpu, "triples": n}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_twinrdf_cli(src: Path) -> dict:
    out = WORK / "cli.nt"
    c0 = _children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "twinrdf.cli", "convert", str(src), "--mapping", str(MAPPING),
                        "-o", str(out)], capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    if r.returncode not in (0, 1):
        raise SystemExit(r.stderr)
    with open(out, "rb") as f:
        n = sum(1 for _ in f)
    return {"seconds": dt, "cpu": cpu, "triples": n}


# ----------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--entities", type=int, default=200_000)
    ap.add_argument("--no-morph", action="store_true")
    ap.add_argument("--no-rdflib", action="store_true", help="skip the rdflib Graph baseline (slow)")
    ap.add_argument("--rdflib-rows", type=int, default=2000,
                    help="rows of the raw list for the rdflib baseline (its Turtle writer is superlinear: "
                         "the whole file did not finish in 12 min of CPU); 0 = the whole file")
    ap.add_argument("--json")
    ap.add_argument("--sequential", action="store_true",
                    help="write the outputs after the build in the converting process (TWINRDF_NO_FORK=1), "
                         "as before the writer processes")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        res = child_convert(rest[0], rest[1], rest[2] == "1") if kind == "convert" else child_dump(rest[0])
        print(json.dumps(res))
        return
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    if a.sequential:
        os.environ["TWINRDF_NO_FORK"] = "1"  # inherited by the measuring subprocesses
    WORK.mkdir(parents=True, exist_ok=True)
    report: dict = {"cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    sizes = [int(s) for s in a.sizes.split(",")]
    runs = {}
    for factor in sizes:
        src = scaled_csv(factor)
        out = WORK / f"out-x{factor}"
        out.mkdir(exist_ok=True)
        r = _child(["convert", str(src), str(out), "0"])
        runs[factor] = r
        how = "writers overlapped" if r["forked"] else "sequential"
        print(f"x{factor:<3} rows {r['rows']:>7}  triples {r['triples']:>8}  "
              f"parse+resolve {r['parse_resolve']:.2f}s"
              f"  build {r['build']:.2f}s  write nt+ttl {r['write']:.2f}s ({how})  "
              f"total {r['total']:.2f}s (CPU {r['cpu_total']:.2f}s = parse+resolve "
              f"{r['cpu_parse_resolve']:.2f} + build {r['cpu_build']:.2f} + write {r['cpu_write']:.2f}"
              f" [writer processes {r['cpu_writers']:.2f}]; "
              f"{r['rows'] / r['total']:.0f} rows/s, {r['maxrss_mb']:.0f} MB, "
              f"writers {r['writer_maxrss_mb']:.0f} MB)")
        shutil.rmtree(out, ignore_errors=True)
    base = runs.get(1)
    if base:
        for factor, r in runs.items():
            if factor != 1:
                ratio = (r["total"] / r["rows"]) / (base["total"] / base["rows"])
                cpu = (r["cpu_total"] / r["rows"]) / (base["cpu_total"] / base["rows"])
                print(f"x{factor}: time per row = {ratio:.2f} x the 1x run, CPU per row {cpu:.2f} x "
                      "(1.00 = linear)")
                r["per_row_vs_1x"] = ratio
                r["cpu_per_row_vs_1x"] = cpu
    if not a.no_rdflib:
        out = WORK / "out-rdflib"
        out.mkdir(exist_ok=True)
        src = RAW
        if a.rdflib_rows:
            src = WORK / f"twin_cities_raw_first{a.rdflib_rows}.csv"
            with open(RAW, encoding="utf-8") as f, open(src, "w", encoding="utf-8") as g:
                for i, line in enumerate(f):
                    if i > a.rdflib_rows:
                        break
                    g.write(line)
        base = _child(["convert", str(src), str(out), "1"])
        report["rdflib_run"] = base
        print(f"rdflib comparison on {base['rows']} rows ({base['triples']} triples), same run:")
        shutil.rmtree(out, ignore_errors=True)
    if base and "rdflib_total" in base:
        ours = base["build"] + base["write"]
        write = base["write"]
        print(f"rdflib Graph baseline (same {base['rdflib_triples']} triples): "
              f"add {base['rdflib_graph']:.2f}s  nt {base['rdflib_nt']:.2f}s  ttl {base['rdflib_ttl']:.2f}s  "
              f"total {base['rdflib_total']:.2f}s")
        print(f"  twinrdf build+write nt+ttl {ours:.2f}s (of which {write:.2f}s waiting for the writers "
              f"after the build) vs rdflib add+nt+ttl {base['rdflib_total']:.2f}s: "
              f"{base['rdflib_total'] / ours:.1f}x")
        report["rdflib_ratio_write"] = base["rdflib_total"] / base["write"]
        report["rdflib_ratio_build_write"] = base["rdflib_total"] / ours
    report["convert"] = runs

    if not a.no_morph:
        m = run_morph(RAW)
        c = run_twinrdf_cli(RAW)
        if m:
            print(f"morph-kgc {m['seconds']:.2f}s, CPU {m['cpu']:.2f}s ({m['triples']} triples, "
                  f"no resolution/merging) vs twinrdf convert CLI {c['seconds']:.2f}s, "
                  f"CPU {c['cpu']:.2f}s ({c['triples']} triples): {m['seconds'] / c['seconds']:.2f}x wall, "
                  f"{m['cpu'] / c['cpu']:.2f}x CPU")
        else:
            print("morph-kgc: not available (pip install into bench/_work/morph-venv failed)")
        report["morph"] = m
        report["twinrdf_cli"] = c

    if a.entities:
        dump = generated_dump(a.entities)
        d = _child(["dump", str(dump)])
        print(f"dump: {d['entities']} entities ({d['with_p190']} with P190, {d['agreements']} statements) "
              f"in {d['seconds']:.1f}s = {d['entities_per_s']:.0f} entities/s, "
              f"peak memory {d['maxrss_mb']:.0f} MB")
        report["dump"] = d
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
