"""``twinrdf serve``: the production setups (granian, the default, and gunicorn; several
workers opening the store read-only) as real subprocesses, and the default of serving the
bundled seed dataset."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pyoxigraph as ox
import pytest
import requests

from tests.support.sample import BASE, sample_store
from tests.support.server import free_port
from twinrdf.serve import seed_file, seed_store


def _wait(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if requests.get(url + "/-/health", timeout=15).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError("server did not come up")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serve_with_gunicorn_workers(tmp_path):
    store = sample_store(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twinrdf.cli",
            "serve",
            "--server",
            "gunicorn",
            "--store",
            str(store),
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TWINRDF_QUERY_WORKERS": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc)
        for _ in range(6):
            r = requests.get(base + "/sparql", params={"query": f"ASK {{ <{BASE}city0> ?p ?o }}"})
            assert r.status_code == 200 and r.json()["boolean"] is True
        assert requests.get(base + "/-/versions.json").json()["data"]["triples"] == 85
    finally:
        _stop(proc)
    # the store was opened read-only: it is still writable by others afterwards
    from twinrdf.store import OxigraphStore

    OxigraphStore(store).close()


def test_serve_with_granian_workers_cache_and_a_runaway_query(tmp_path):
    """The default server: answers, replays a repeated query from the response cache, and a
    runaway query gets a 503 at the time limit while ordinary queries are answered meanwhile."""
    ex = "http://example.org/granian/"
    data = tmp_path / "data.nt"
    data.write_text("".join(f'<{ex}s{i}> <{ex}p{i % 7}> "v{i}" .\n' for i in range(3000)))
    from tests.support.server import make_store

    store = make_store(tmp_path / "store", [data])
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "twinrdf.cli", "serve", "--store", str(store), "--port", str(port),
         "--workers", "2", "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TWINRDF_QUERY_TIMEOUT": "2"},
    )
    base = f"http://127.0.0.1:{port}"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    try:
        _wait(base, proc)
        session = requests.Session()  # one keep-alive connection: one granian worker
        first = session.get(base + "/sparql", params={"query": count})
        second = session.get(base + "/sparql", params={"query": count})
        assert first.json()["results"]["bindings"][0]["n"]["value"] == "3000"
        assert second.content == first.content and second.headers["Server"] == "granian"
        assert (first.headers["X-Twinrdf-Cache"], second.headers["X-Twinrdf-Cache"]) == ("miss", "hit")
        bad = requests.get(base + "/sparql", params={"query": "SELEC ?x"})
        assert bad.status_code == 400 and "malformed query" in bad.text
        big = requests.post(base + "/sparql", data={"query": "SELECT ?s ?o WHERE { ?s ?p ?o }"})
        assert big.status_code == 200 and len(big.json()["results"]["bindings"]) == 3000

        outcome: dict[str, object] = {}

        def runaway() -> None:
            t0 = time.monotonic()
            q = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
            r = requests.get(base + "/sparql", params={"query": q}, timeout=60)
            outcome["status"], outcome["text"], outcome["s"] = r.status_code, r.text, time.monotonic() - t0

        t = threading.Thread(target=runaway)
        t.start()
        time.sleep(0.3)
        answered = 0
        while t.is_alive():
            q = f"ASK {{ <{ex}s{answered % 3000}> ?p ?o }}"  # distinct queries: no cache hits
            r = requests.get(base + "/sparql", params={"query": q}, timeout=30)
            assert r.status_code == 200 and r.json()["boolean"] is True
            answered += 1
        t.join()
        assert outcome["status"] == 503 and "timeout" in str(outcome["text"])
        assert 1.5 < float(outcome["s"]) < 20  # type: ignore[arg-type]
        assert answered >= 5
    finally:
        _stop(proc)
    from twinrdf.store import OxigraphStore

    OxigraphStore(store).close()  # opened read-only by the server: still writable


def test_serve_with_updates_on_granian_invalidates_the_cache(tmp_path):
    """--enable-updates: one granian worker holds the writable store; an update with the token
    is applied, and the cached answer of a query made before it is not served after it."""
    store = sample_store(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "twinrdf.cli", "serve", "--store", str(store), "--port", str(port),
         "--enable-updates"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TWINRDF_UPDATE_TOKEN": "s3cret"},
    )
    base = f"http://127.0.0.1:{port}"
    ask = {"query": f"ASK {{ <{BASE}new> ?p ?o }}"}
    try:
        _wait(base, proc)
        assert [requests.get(base + "/sparql", params=ask).headers["X-Twinrdf-Cache"] for _ in range(2)] == [
            "miss",
            "hit",
        ]
        update = {"update": f'INSERT DATA {{ <{BASE}new> <{BASE}p> "1" }}'}
        assert requests.post(base + "/sparql", data=update).status_code == 401
        r = requests.post(base + "/sparql", data=update, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200
        after = requests.get(base + "/sparql", params=ask)
        assert after.json()["boolean"] is True and after.headers["X-Twinrdf-Cache"] == "miss"
    finally:
        _stop(proc)


def test_serve_refuses_a_missing_store_with_a_message(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "twinrdf.cli", "serve", "--store", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "no store at" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(not seed_file().is_file(), reason="the seed dataset is not there yet")
def test_default_store_is_the_seed_dataset_loaded_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWINRDF_CACHE", str(tmp_path / "cache"))
    path = seed_store()
    assert path.parent == tmp_path / "cache"
    expected = len(set(ox.parse(path=str(seed_file()))))
    from twinrdf.store import OxigraphStore

    s = OxigraphStore(path, read_only=True)
    assert s.triple_count() == expected
    s.close()
    mtime = (path / "CURRENT").stat().st_mtime
    assert seed_store() == path and (path / "CURRENT").stat().st_mtime == mtime  # reused
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]  # no temp dirs left
    assert os.access(path, os.R_OK)
