"""The production setup with the inline executor: gunicorn sync workers evaluating queries
in-process, a watchdog per worker answering a runaway query with a 503 and replacing the worker
(endpoint/inline.py). Real gunicorn subprocess, real store, real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.support.server import free_port, make_store
from tests.test_endpoint_serve import _stop, _wait

EX = "http://example.org/inline/"
N = 3000
TIMEOUT = 2.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _children(pid: int) -> set[int]:
    """All descendants of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_inline_workers_answer_and_survive_a_runaway_query(tmp_path):
    data = tmp_path / "data.nt"
    data.write_text("".join(f"<{EX}s{i}> <{EX}p{i % 7}> \"v{i}\" .\n" for i in range(N)))
    store = make_store(tmp_path / "store", [data])
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "twinrdf.cli", "serve", "--server", "gunicorn", "--store", str(store),
             "--port", str(port), "--workers", "2", "--threads", "1"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "TWINRDF_QUERY_TIMEOUT": str(TIMEOUT)},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, proc)
            workers_before = _children(proc.pid)
            # ordinary queries: correct JSON results, small (one message) and streamed (> 64 KiB)
            accept = {"Accept": "application/sparql-results+json"}
            r = requests.get(base + "/sparql", params={"query": COUNT}, headers=accept)
            assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == str(N)
            r = requests.post(base + "/sparql", data={"query": "SELECT ?s ?o WHERE { ?s ?p ?o }"}, timeout=30)
            assert r.status_code == 200 and len(r.content) > 65536
            assert len(r.json()["results"]["bindings"]) == N

            # the runaway query next to ordinary ones
            outcome: dict[str, object] = {}

            def runaway() -> None:
                t0 = time.monotonic()
                resp = requests.get(base + "/sparql", params={"query": RUNAWAY}, timeout=30)
                outcome.update(status=resp.status_code, text=resp.text, elapsed=time.monotonic() - t0)

            thread = threading.Thread(target=runaway)
            thread.start()
            time.sleep(0.3)
            answered = 0
            while thread.is_alive():
                r = requests.get(base + "/sparql", params={"query": f"ASK {{ <{EX}s1> ?p ?o }}"}, timeout=10)
                assert r.status_code == 200 and r.json()["boolean"] is True
                answered += 1
                time.sleep(0.05)
            thread.join()
            assert answered >= 5  # the other worker served meanwhile
            assert outcome["status"] == 503
            text = str(outcome["text"])
            assert "query timeout" in text and f"limit of {TIMEOUT:g} s" in text
            assert float(outcome["elapsed"]) < TIMEOUT + 4  # type: ignore[arg-type]

            # the worker was replaced, and the server still answers on every worker
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and len(_children(proc.pid) - workers_before) == 0:
                time.sleep(0.2)
            assert _children(proc.pid) - workers_before, "no fresh worker was started"
            for _ in range(6):
                r = requests.get(base + "/sparql", params={"query": COUNT}, timeout=10)
                assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == str(N)
            # inline, really: no query worker processes were started
            assert not [p for p in _children(proc.pid) if "twinrdf.endpoint.executor" in _cmdline(p)]
        finally:
            _stop(proc)
    text = log.read_text()
    assert "ending this worker" in text
    assert "using the query worker pool instead" not in text
