"""Endpoint benchmark: five typical queries over HTTP on 127.0.0.1, side by side with baselines.

Datasets:
- ``generated``: a ~1M-triple twinning graph made by the builder (twinrdf.build) from generated
  records (localities with labels and countries; agreements with partners, kind, status, start
  and some end dates; partner choice skewed so that a few cities have ~100 twins, most a handful).
- ``wikipedia``: the Wikipedia-derived list (../shared/data/wikipedia-twin-lists/twin_cities_raw.csv)
  converted with the shipped mapping (no dates: query 3 then finds nothing, but still scans).

Queries: (1) the twins of one city with labels; (2) agreements per pair of countries, for the
pairs involving the country of that city;
(3) agreements active in a given year; (4) twins of twins of one city; (5) DESCRIBE of one
agreement.

Measured, in one run:
- this endpoint under its documented production setup (``twinrdf serve --workers 4 --threads 1``:
  gunicorn sync workers, each opening the store read-only and evaluating queries in-process with a
  watchdog, executor=inline), and under the threaded setup (``--workers 2 --threads 8``, each
  gunicorn worker with its own query worker processes, executor=pool);
- rdflib-endpoint (PyPI) serving the same N-Triples file (its own venv in bench/_work, created on
  first use), same queries and clients; goal: this endpoint >= 40x its throughput;
- pyoxigraph in-process, no HTTP (query + JSON/N-Triples serialisation); goal: this endpoint's
  single-client latency <= 2x on the small queries (1, 4, 5).

Load generator: ``wrk`` (C, Debian package ``wrk``) when installed: a small Lua script POSTs one
query with its Accept header; throughput from 8 connections (2 wrk threads) for a fixed duration,
p50/p99 from wrk's latency distribution (``--latency``); latency from 1 connection. Non-2xx answers
and timeouts are counted as errors. Without wrk (or with ``--python-client``) the older Python
client is used: 8 threads with one keep-alive connection each and a fixed number of requests
(it shares the CPU with the servers and adds its own per-request cost).

Run: python3 bench/endpoint.py [--datasets generated,wikipedia] [--agreements 88000] [--no-rdflib]
     [--setups inline,inline2,pool] [--duration 5] [--json bench/_work/endpoint/results.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "endpoint"
DATA = ROOT.parent / "shared" / "data"
RAW = DATA / "wikipedia-twin-lists" / "twin_cities_raw.csv"
MAPPING = ROOT / "examples" / "mappings" / "wikipedia-twin-lists-raw.yaml"
RDFLIB_VENV = HERE / "_work" / "rdflib-endpoint-venv"

TWIN = "https://w3id.org/twinrdf/ns#"
PREFIXES = f"PREFIX twin: <{TWIN}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
CLIENTS = 8


# ----------------------------------------------------------------------------- data


def generated_nt(agreements: int, seed: int = 6) -> Path:
    """~1M triples (at 88,000 agreements) through the builder, cached in bench/_work."""
    out = WORK / f"generated-{agreements}.nt"
    if out.exists():
        return out
    from twinrdf.build import build
    from twinrdf.dates import PartialDate
    from twinrdf.records import Agreement, Locality, RecordSet, Source

    rng = random.Random(seed)
    countries = [
        "DE",
        "FR",
        "GB",
        "PL",
        "IT",
        "ES",
        "US",
        "JP",
        "CN",
        "UA",
        "RU",
        "NL",
        "BE",
        "CZ",
        "HU",
        "RO",
        "SE",
        "FI",
        "NO",
        "DK",
        "AT",
        "CH",
        "PT",
        "GR",
        "TR",
        "BR",
        "MX",
        "CA",
        "KR",
        "IN",
    ]
    n_loc = max(100, int(agreements / 2.2))
    rs = RecordSet()
    rs.sources.append(Source(key="generated", title="generated benchmark data"))
    for i in range(n_loc):
        rs.localities.append(
            Locality(
                key=f"town{i}",
                names=[(f"Town {i}", "en")],
                scope="Town",
                country=countries[i % len(countries)],
                sources=["generated"],
            )
        )
    seen = set()
    while len(rs.agreements) < agreements:
        # half the agreements have a partner skewed towards low indexes: a few cities with dozens
        # of twins, most with a handful, about as uneven as the real lists (busiest: ~70 twins)
        a = int(n_loc * rng.random() ** 1.6) if rng.random() < 0.5 else rng.randrange(n_loc)
        b = rng.randrange(n_loc)
        if a == b or (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        start = 1950 + rng.randrange(72)
        end = PartialDate(start + rng.randrange(1, 30)) if rng.random() < 0.15 else None
        rs.agreements.append(
            Agreement(
                key=None,
                partners=[f"town{a}", f"town{b}"],
                kind="TwinTown",
                status="Ended" if end else "Active",
                start_date=PartialDate(start),
                end_date=end,
                sources=["generated"],
            )
        )
    result = build(rs)
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(result.ntriples)
    os.replace(tmp, out)
    return out


def wikipedia_nt() -> Path:
    out = WORK / "wikipedia.nt"
    if not out.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "twinrdf.cli",
                "convert",
                str(RAW),
                "--mapping",
                str(MAPPING),
                "-o",
                str(out),
            ],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        if not out.exists():
            raise SystemExit("converting the Wikipedia list failed")
    return out


def store_for(nt: Path) -> Path:
    path = WORK / (nt.stem + "-store")
    if not (path / "CURRENT").exists():
        from twinrdf.store import OxigraphStore, load_files

        s = OxigraphStore(path)
        report = load_files(s, [nt])
        s.close()
        if report.failed:
            raise SystemExit(f"load failed: {report.failed}")
    return path


def pick_parameters(store_path: Path) -> dict[str, str]:
    """A city with a typical-to-busy number of twins, one of its agreements, a year."""
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store_path))
    rows = list(
        s.query(
            PREFIXES + "SELECT ?c (COUNT(?t) AS ?n) WHERE { ?c twin:twinnedWith ?t } "
            "GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 200"
        )
    )
    city = rows[len(rows) // 2]["c"].value  # the 100th busiest city
    agreement = next(iter(s.query(PREFIXES + f"SELECT ?a WHERE {{ ?a twin:partner <{city}> }} LIMIT 1")))[
        "a"
    ].value
    return {"city": city, "agreement": agreement, "year": "1990"}


def queries(p: dict[str, str]) -> dict[str, tuple[str, str]]:
    """name -> (SPARQL, Accept)."""
    json_ = "application/sparql-results+json"
    return {
        "q1-twins": (
            PREFIXES + f"SELECT ?twin ?label WHERE {{ <{p['city']}> twin:twinnedWith ?twin . "
            "OPTIONAL { ?twin rdfs:label ?label } }",
            json_,
        ),
        "q2-country-pairs": (
            PREFIXES + "SELECT ?c1 ?c2 (COUNT(?a) AS ?n) WHERE { "
            f"<{p['city']}> twin:country ?c1 . ?x twin:country ?c1 . "
            "?a twin:partner ?x, ?y . FILTER(?y != ?x) ?y twin:country ?c2 } "
            "GROUP BY ?c1 ?c2 ORDER BY DESC(?n)",
            json_,
        ),
        "q3-active-in-year": (
            PREFIXES + "SELECT (COUNT(?a) AS ?n) WHERE { ?a a twin:TwinningAgreement ; "
            "twin:startDate ?s . OPTIONAL { ?a twin:endDate ?e } "
            f"FILTER(YEAR(?s) <= {p['year']} && (!BOUND(?e) || YEAR(?e) >= {p['year']})) }}",
            json_,
        ),
        "q4-twins-of-twins": (
            PREFIXES + f"SELECT DISTINCT ?tt ?label WHERE {{ <{p['city']}> twin:twinnedWith ?t . "
            f"?t twin:twinnedWith ?tt . FILTER(?tt != <{p['city']}>) "
            "OPTIONAL { ?tt rdfs:label ?label } }",
            json_,
        ),
        "q5-describe": (f"DESCRIBE <{p['agreement']}>", "application/n-triples"),
    }


SMALL = ("q1-twins", "q4-twins-of-twins", "q5-describe")


# ----------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, path: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    q = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", f"{path}?{q}", headers={"Accept": "application/sparql-results+json"})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not come up")


SETUPS: dict[str, tuple[list[str], dict[str, str]]] = {
    # production: granian (Rust HTTP, keep-alive), 4 worker processes with 2 WSGI threads each,
    # each thread with a query worker process, whole-response cache on (the default)
    "granian": (["--server", "granian", "--workers", "4", "--threads", "2"], {}),
    # the same with the response cache off: every request evaluates its query
    "granian-nocache": (
        ["--server", "granian", "--workers", "4", "--threads", "2"],
        {"TWINRDF_RESPONSE_CACHE_BYTES": "0"},
    ),
    # gunicorn sync workers, in-process evaluation with a watchdog (executor=inline)
    "inline": (["--server", "gunicorn", "--workers", "4", "--threads", "1"], {}),
    "inline-nocache": (
        ["--server", "gunicorn", "--workers", "4", "--threads", "1"],
        {"TWINRDF_RESPONSE_CACHE_BYTES": "0"},
    ),
    "inline2": (["--server", "gunicorn", "--workers", "2", "--threads", "1"], {}),
    # gunicorn gthread workers, each with a pool of query worker processes (executor=pool)
    "pool": (["--server", "gunicorn", "--workers", "2", "--threads", "8"], {}),
}


def start_twinrdf(store: Path, setup: str = "granian") -> tuple[subprocess.Popen, int]:
    port = free_port()
    argv, extra_env = SETUPS[setup]
    env = {
        **os.environ,
        "TWINRDF_MAX_RESULT_ROWS": "100000",
        "TWINRDF_QUERY_TIMEOUT": "900",
        "TWINRDF_QUEUE_TIMEOUT": "900",
        **extra_env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "twinrdf.cli", "serve", "--store", str(store), "--port", str(port), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_up(port, "/sparql", proc, 120)
    return proc, port


def ensure_rdflib_venv() -> Path:
    exe = RDFLIB_VENV / "bin" / "rdflib-endpoint"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(RDFLIB_VENV)], check=True)
        subprocess.run(
            [str(RDFLIB_VENV / "bin" / "pip"), "install", "-q", "rdflib-endpoint[web]>=0.6,<0.7"], check=True
        )
    return exe


def start_rdflib(nt: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [str(ensure_rdflib_venv()), "serve", str(nt), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_up(port, "/", proc, 1800)  # rdflib-endpoint 0.6 answers at the root path
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # our own child's session: gunicorn and its workers
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ----------------------------------------------------------------------------- load generation


def _one(conn: http.client.HTTPConnection, path: str, query: str, accept: str) -> tuple[float, int]:
    body = urllib.parse.urlencode({"query": query})
    t = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {data[:200]!r}")
    return dt, len(data)


def run_load(
    port: int, path: str, query: str, accept: str, total: int, clients: int, timeout: float = 600
) -> dict:
    """``total`` requests spread over ``clients`` threads; latencies and throughput."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counts = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        for _ in range(n):
            try:
                dt, _ = _one(conn, path, query, accept)
                with lock:
                    lat.append(dt)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(str(exc)[:120])
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in counts if n]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return summarize(lat, wall, errors)


WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = [==[%(accept)s]==]
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKJSON {\\"n\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d,\\"duration_us\\":%%d,"
    .. "\\"connect\\":%%d,\\"read\\":%%d,\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d}\\n",
    summary.requests, latency:percentile(50), latency:percentile(99), summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(
    port: int, path: str, query: str, accept: str, duration: float, clients: int, timeout: float = 60
) -> dict:
    """wrk for ``duration`` seconds over ``clients`` connections; p50/p99 from its histogram.

    Completed requests with a non-2xx status count as errors (wrk still counts them in
    ``requests``, so they are subtracted); requests past ``timeout`` are not in the latencies."""
    body = urllib.parse.urlencode({"query": query})
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / f"wrk-{os.getpid()}.lua"
    script.write_text(WRK_SCRIPT % {"body": body, "accept": accept})
    cmd = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{max(1, int(round(duration)))}s",
        f"--timeout={max(1, int(timeout))}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    m = re.search(r"^WRKJSON (\{.*\})$", out, re.M)
    if not m:
        return {"n": 0, "errors": 1, "error_sample": out[-300:]}
    w = json.loads(m.group(1))
    errors = w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"]
    ok = max(0, w["n"] - w["status"])
    if not ok or w["status"] >= w["n"]:
        return {"n": 0, "errors": errors, "error_sample": f"wrk: {w}"}
    return {
        "n": ok,
        "p50_ms": w["p50_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "throughput_rps": ok / (w["duration_us"] / 1e6),
        "errors": errors,
        "client": "wrk",
    }


def summarize(lat: list[float], wall: float, errors: list[str] | None = None) -> dict:
    lat = sorted(lat)
    if not lat:
        return {"n": 0, "errors": len(errors or []), "error_sample": (errors or [""])[0]}
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    return {
        "n": len(lat),
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": p99 * 1000,
        "throughput_rps": len(lat) / wall if wall else 0.0,
        "errors": len(errors or []),
    }


def in_process(store: Path, qs: dict[str, tuple[str, str]], n: int, heavy: set[str]) -> dict[str, dict]:
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store))
    out = {}
    for name, (q, _accept) in qs.items():
        lat = []
        runs = 3 if name in heavy else n
        for i in range(runs + 3):
            t = time.perf_counter()
            r = s.query(q)
            if isinstance(r, ox.QuerySolutions | ox.QueryBoolean):
                r.serialize(format=ox.QueryResultsFormat.JSON)
            else:
                ox.serialize(r, format=ox.RdfFormat.N_TRIPLES)
            if i >= 3:
                lat.append(time.perf_counter() - t)
        out[name] = summarize(lat, sum(lat))
    return out


# ----------------------------------------------------------------------------- main


def bench_dataset(name: str, nt: Path, args: argparse.Namespace) -> dict:
    import pyoxigraph as ox

    store = store_for(nt)
    triples = len(ox.Store.read_only(str(store)))
    params = pick_parameters(store)
    qs = queries(params)
    print(f"\n== {name}: {triples} triples ({nt.name}); city {params['city']}", flush=True)
    res: dict = {
        "dataset": name,
        "triples": triples,
        "params": params,
        "twinrdf": {},
        "rdflib": {},
        "pyoxigraph": {},
        "twinrdf_1client": {},
    }
    heavy = {"q2-country-pairs", "q3-active-in-year"}
    res["pyoxigraph"] = in_process(store, qs, args.latency_requests, heavy)
    use_wrk = not args.python_client and shutil.which("wrk") is not None
    res["client"] = "wrk" if use_wrk else "python"
    res["loadavg"] = os.getloadavg()
    setups = args.setups.split(",")
    res["setup_order"] = setups
    for setup in setups:
        key = "twinrdf" if setup == setups[0] else f"twinrdf_{setup}"
        res.setdefault(key, {})
        res.setdefault(key + "_1client", {})
        proc, port = start_twinrdf(store, setup)
        try:
            for qname, (q, accept) in qs.items():
                for _ in range(4):  # warm up (every worker)
                    _one(http.client.HTTPConnection("127.0.0.1", port, timeout=600), "/sparql", q, accept)
                if use_wrk:
                    res[key + "_1client"][qname] = run_wrk(port, "/sparql", q, accept, args.duration, 1)
                    dur = args.heavy_duration if qname in heavy else args.duration
                    res[key][qname] = run_wrk(port, "/sparql", q, accept, dur, CLIENTS)
                else:
                    res[key + "_1client"][qname] = run_load(
                        port, "/sparql", q, accept, args.latency_requests if qname not in heavy else 3, 1
                    )
                    total = args.heavy_requests if qname in heavy else args.requests
                    res[key][qname] = run_load(port, "/sparql", q, accept, total, CLIENTS)
                print(f"  twinrdf {setup:6s} {qname:20s} {fmt(res[key][qname])}", flush=True)
                print(f"    1 client {' ' * 20} {fmt(res[key + '_1client'][qname])}", flush=True)
        finally:
            stop(proc)
    if not args.no_rdflib:
        t = time.perf_counter()
        proc, port = start_rdflib(nt)
        res["rdflib_load_s"] = time.perf_counter() - t
        try:
            # small queries first; the heavy ones with a fixed number of requests that all
            # complete: wrk stops at its deadline but rdflib-endpoint keeps evaluating the
            # requests in flight (up to 8 x 265 s on the 1M graph), which starved what followed
            for qname in sorted(qs, key=lambda name: name in heavy):
                q, accept = qs[qname]
                if use_wrk and qname not in heavy:  # at "/", see start_rdflib
                    res["rdflib"][qname] = run_wrk(
                        port, "/", q, accept, args.duration, CLIENTS, timeout=args.rdflib_timeout
                    )
                elif use_wrk:
                    res["rdflib"][qname] = run_load(
                        port, "/", q, accept, args.rdflib_heavy_requests, CLIENTS, timeout=args.rdflib_timeout
                    )
                else:
                    total = args.rdflib_heavy_requests if qname in heavy else args.rdflib_requests
                    res["rdflib"][qname] = run_load(
                        port, "/", q, accept, total, CLIENTS, timeout=args.rdflib_timeout
                    )
                print(f"  rdflib-ep  {qname:20s} {fmt(res['rdflib'][qname])}", flush=True)
        finally:
            stop(proc)
    return res


def fmt(s: dict) -> str:
    if not s.get("n"):
        return f"no successful request ({s.get('errors')} errors: {s.get('error_sample', '')})"
    return f"p50 {s['p50_ms']:8.1f} ms  p99 {s['p99_ms']:8.1f} ms  {s['throughput_rps']:8.1f} req/s" + (
        f"  ({s['errors']} errors)" if s.get("errors") else ""
    )


def setup_text(setup: str) -> str:
    argv, env = SETUPS[setup]
    return " ".join([*(f"{k}={v}" for k, v in env.items()), "twinrdf serve", *argv])


def report(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"\n### {r['dataset']} ({r['triples']:,} triples)\n")
        first = r.get("setup_order", ["inline"])[0]
        lines.append(f"twinrdf setup of the main table: {first} (`{setup_text(first)}`)\n")
        if "rdflib_load_s" in r:
            lines.append(
                f"rdflib-endpoint start-up (parsing the file into rdflib): {r['rdflib_load_s']:.0f} s\n"
            )
        lines.append(
            "| query | twinrdf p50 / p99 ms | twinrdf req/s (8 clients) | rdflib-endpoint p50 / p99 ms "
            "| rdflib-endpoint req/s | throughput ratio | twinrdf 1-client p50 ms | pyoxigraph in-process "
            "p50 ms | latency ratio |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|")
        other_rows: dict[str, list[str]] = {}
        for q in r["twinrdf"]:
            if not r["twinrdf"][q].get("n"):
                lines.append(f"| {q} | failed: {r['twinrdf'][q]} |")
                continue
            t, b, one, ox_ = (
                r["twinrdf"][q],
                r["rdflib"].get(q, {}),
                r["twinrdf_1client"][q],
                r["pyoxigraph"][q],
            )
            ratio = (t["throughput_rps"] / b["throughput_rps"]) if b.get("n") else None
            lat_ratio = one["p50_ms"] / ox_["p50_ms"] if ox_.get("n") else None
            bcell = f"{b['p50_ms']:.0f} / {b['p99_ms']:.0f}" if b.get("n") else ("failed" if b else "not run")
            brps = f"{b['throughput_rps']:.2f}" if b.get("n") else "-"
            lines.append(
                f"| {q} | {t['p50_ms']:.1f} / {t['p99_ms']:.1f} | {t['throughput_rps']:.1f} | "
                f"{bcell} | {brps} | "
                f"{f'{ratio:.0f}x' if ratio else '-'} | {one['p50_ms']:.2f} | {ox_['p50_ms']:.2f} | "
                f"{f'{lat_ratio:.1f}x' if lat_ratio else '-'} |"
            )
            for other in [f"twinrdf_{x}" for x in r.get("setup_order", [])[1:]]:
                pt, p1 = r.get(other, {}).get(q, {}), r.get(other + "_1client", {}).get(q, {})
                if not (pt.get("n") and p1.get("n")):
                    continue
                pratio = (pt["throughput_rps"] / b["throughput_rps"]) if b.get("n") else None
                other_rows.setdefault(other, []).append(
                    f"| {q} | {pt['p50_ms']:.1f} / {pt['p99_ms']:.1f} | {pt['throughput_rps']:.1f} | "
                    f"{f'{pratio:.0f}x' if pratio else '-'} | {p1['p50_ms']:.2f} | "
                    f"{p1['p50_ms'] / ox_['p50_ms']:.1f}x |"
                )
        for other, rows in other_rows.items():
            setup = other.removeprefix("twinrdf_")
            lines.append(
                f"\nThe same queries on setup {setup} (`{setup_text(setup)}`):\n\n"
                f"| query | {setup} p50 / p99 ms | {setup} req/s (8 clients) | throughput ratio vs "
                f"rdflib-endpoint | {setup} 1-client p50 ms | latency ratio vs pyoxigraph |"
            )
            lines.append("|---|---|---|---|---|---|")
            lines.extend(rows)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="generated,wikipedia")
    ap.add_argument(
        "--agreements", type=int, default=88000, help="generated agreements (~1M triples at 88000)"
    )
    ap.add_argument("--requests", type=int, default=200, help="requests per small query (8 clients)")
    ap.add_argument("--heavy-requests", type=int, default=16, help="requests per heavy query (q2, q3)")
    ap.add_argument("--latency-requests", type=int, default=100, help="sequential requests for latency")
    ap.add_argument("--rdflib-requests", type=int, default=8)
    ap.add_argument("--rdflib-heavy-requests", type=int, default=2)
    ap.add_argument("--rdflib-timeout", type=float, default=900)
    ap.add_argument("--no-rdflib", action="store_true")
    ap.add_argument(
        "--setups",
        default="granian,granian-nocache,inline,inline-nocache",
        help="twinrdf setups, the first one in the main table: " + ", ".join(SETUPS),
    )
    ap.add_argument("--duration", type=float, default=5, help="wrk seconds per query per system")
    ap.add_argument(
        "--heavy-duration", type=float, default=20, help="wrk seconds (8 connections), twinrdf q2/q3"
    )
    ap.add_argument("--python-client", action="store_true", help="Python load generator, not wrk")
    ap.add_argument("--json", default=str(WORK / "results.json"))
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.datasets.split(","):
        nt = generated_nt(args.agreements) if name == "generated" else wikipedia_nt()
        results.append(bench_dataset(name, nt, args))
        Path(args.json).write_text(json.dumps(results, indent=2))  # kept even if a later dataset fails
        print(report(results[-1:]), flush=True)


if __name__ == "__main__":
    main()
