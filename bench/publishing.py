"""Publishing benchmark: resource pages and self-description over HTTP, next to the baseline of
asking the same description through the SPARQL endpoint (DESCRIBE), in the same run.

Served by the documented production setup (``twinrdf serve --workers 2 --threads 8``: gunicorn,
each worker with its own query processes) over the bundled seed dataset, or any RDF file given.

Measured per request kind: single-client latency (p50, p99; sequential, keep-alive) and
throughput with 8 concurrent clients.
- ``page-ttl``: GET the IRI of one locality with ``Accept: text/turtle`` (one store round trip);
- ``page-html``: the same IRI for a browser (one round trip for the neighbourhood, then the page
  is rendered: twins, activities, map);
- ``agreement-html``: an agreement page;
- ``void``, ``service-description``: the self-description (statistics cached per data version);
- baseline ``describe-sparql``: ``DESCRIBE <iri>`` POSTed to /sparql, Turtle.
Goal: a page in Turtle costs at most 2x the DESCRIBE baseline; an HTML page at most 5x.

Run: python3 bench/publishing.py [--data FILE] [--iri IRI] [--agreement IRI] [--n 400]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from endpoint import start_twinrdf, stop, summarize  # noqa: E402

ROOT = HERE.parent
SEED = ROOT / "examples" / "seed" / "seed.ttl"
CLIENTS = 8


def request(conn: http.client.HTTPConnection, method: str, path: str, accept: str, body: str | None) -> float:
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    t = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t
    if r.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {r.status} {data[:200]!r}")
    return dt


def measure(port: int, kind: tuple[str, str, str, str | None], n: int, clients: int) -> dict:
    method, path, accept, body = kind
    lat: list[float] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(count):
            dt = request(conn, method, path, accept, body)
            with lock:
                lat.append(dt)
        conn.close()

    per = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=client, args=(c,)) for c in per if c]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summarize(lat, time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=SEED)
    ap.add_argument("--iri", default="https://w3id.org/twinrdf/data/locality/coventry")
    ap.add_argument("--agreement", default="https://w3id.org/twinrdf/data/agreement/coventry-volgograd")
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args()

    from twinrdf.store import OxigraphStore, load_files

    tmp = Path(tempfile.mkdtemp(prefix="twinrdf-bench-publishing-"))
    store = OxigraphStore(tmp / "store")
    report = load_files(store, [args.data])
    store.close()
    if report.failed:
        raise SystemExit(f"cannot load {args.data}: {report.failed}")

    def path_of(iri: str) -> str:
        return "/" + iri.split("/", 3)[3]

    kinds = {
        "describe-sparql (baseline)": (
            "POST",
            "/sparql",
            "text/turtle",
            urllib.parse.urlencode({"query": f"DESCRIBE <{args.iri}>"}),
        ),
        "page-ttl": ("GET", path_of(args.iri), "text/turtle", None),
        "page-html": ("GET", path_of(args.iri), "text/html", None),
        "agreement-html": ("GET", path_of(args.agreement), "text/html", None),
        "void": ("GET", "/.well-known/void", "text/turtle", None),
        "service-description": ("GET", "/sparql", "text/turtle", None),
    }
    proc, port = start_twinrdf(tmp / "store")
    try:
        for kind in kinds.values():  # warm up: templates, vocabulary labels, VoID statistics
            for _ in range(3):
                request(http.client.HTTPConnection("127.0.0.1", port, timeout=120), *kind)
        rows = []
        for name, kind in kinds.items():
            single = measure(port, kind, max(50, args.n // 4), 1)
            loaded = measure(port, kind, args.n, CLIENTS)
            rows.append((name, single, loaded))
    finally:
        stop(proc)
    base = rows[0][1]["p50_ms"]
    print(f"data: {args.data.name} ({report.quads} quads); IRI {args.iri}")
    print("| request | p50 ms (1) | p99 ms (1) | x baseline p50 | req/s (8 clients) | p99 ms (8) |")
    print("|---|---|---|---|---|---|")
    for name, single, loaded in rows:
        print(
            f"| {name} | {single['p50_ms']:.1f} | {single['p99_ms']:.1f} | {single['p50_ms'] / base:.1f} "
            f"| {loaded['throughput_rps']:.0f} | {loaded['p99_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
