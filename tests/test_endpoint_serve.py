"""``twinrdf serve``: the production setup (gunicorn, several workers opening the store
read-only) as a real subprocess, and the default of serving the bundled seed dataset."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
