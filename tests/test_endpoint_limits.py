"""Limits and safety over real HTTP: a runaway query is stopped (its worker process killed)
while other clients are served; SERVICE reaches only allowlisted endpoints (a local stand-in
on 127.0.0.1 here, never the internet), with the configured User-Agent and timeout."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from flask import Flask, Response, request
from werkzeug.serving import make_server

from tests.support.sample import BASE, sample_store
from tests.support.server import running_server

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?x ?y }"
LONG_PATH = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<https://w3id.org/twinrdf/ns#twinnedWith>|!<urn:x>)* ?b . "
    "?c (<https://w3id.org/twinrdf/ns#partner>|!<urn:x>)* ?d . ?e ?f ?g }"
)
ORDINARY = f"SELECT ?l WHERE {{ <{BASE}city3> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return sample_store(tmp_path_factory.mktemp("limits"))


def _query_workers() -> list[int]:
    """PIDs of this process's query worker children (read from /proc)."""
    me = str(os.getpid())
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1] == me and b"twinrdf.endpoint.executor" in cmd and stat[0] != "Z":
            pids.append(int(d.name))
    return pids


def test_runaway_queries_are_stopped_while_others_are_served(store):
    with running_server(store, {"query_workers": 3, "query_timeout": 5.0}) as base:
        before = set(_query_workers())
        assert len(before) == 3
        runaway: dict[str, tuple[float, requests.Response]] = {}

        def run(name: str, q: str) -> None:
            r = requests.post(base + "/sparql", data={"query": q}, timeout=60)
            runaway[name] = (time.monotonic(), r)

        threads = [
            threading.Thread(target=run, args=(n, q))
            for n, q in [("cross", CROSS_PRODUCT), ("path", LONG_PATH)]
        ]
        for t in threads:
            t.start()
        time.sleep(0.3)
        ordinary_done = []
        while not runaway and len(ordinary_done) < 20:
            r = requests.get(base + "/sparql", params={"query": ORDINARY}, timeout=60)
            assert r.status_code == 200
            assert r.json()["results"]["bindings"][0]["l"]["value"] == "Dieburg"
            ordinary_done.append(time.monotonic())
        for t in threads:
            t.join(timeout=60)
        assert set(runaway) == {"cross", "path"}
        first_stopped = min(finished for finished, _ in runaway.values())
        # ordinary clients were served while both runaway queries were still running
        assert len([t for t in ordinary_done if t < first_stopped]) >= 3, (ordinary_done, first_stopped)
        for name, (_, r) in runaway.items():
            assert r.status_code == 503, (name, r.status_code, r.text)
            assert "timeout" in r.text and "stopped" in r.text
            assert r.headers.get("Retry-After")
        # the runaway workers were killed (not left computing) and replaced
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = set(_query_workers())
            if len(now) == 3 and len(now & before) == 1:
                break
            time.sleep(0.1)
        now = set(_query_workers())
        assert len(now) == 3 and len(now & before) == 1, (before, now)
        assert requests.get(base + "/-/health").status_code == 200
        assert requests.get(base + "/sparql", params={"query": ORDINARY}).status_code == 200


class StandIn:
    """A local SPARQL endpoint standing in for Wikidata: answers from an in-memory store and
    records what it was asked."""

    def __init__(self, delay: float = 0.0):
        self.store = ox.Store()
        for i, pop in enumerate([52000, 4100, 74000]):
            self.store.add(
                ox.Quad(
                    ox.NamedNode(f"{BASE}city{i}"),
                    ox.NamedNode("http://www.wikidata.org/prop/direct/P1082"),
                    ox.Literal(str(pop), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                )
            )
        self.requests: list[dict[str, str]] = []
        self.delay = delay
        app = Flask("stand-in")

        @app.route("/sparql", methods=["GET", "POST"])
        @app.route("/slow", methods=["GET", "POST"])
        def sparql() -> Response:
            q = request.values["query"]
            self.requests.append(
                {"path": request.path, "ua": request.headers.get("User-Agent", ""), "query": q}
            )
            if request.path == "/slow":
                time.sleep(3)
            body = self.store.query(q).serialize(format=ox.QueryResultsFormat.JSON)
            return Response(body, mimetype="application/sparql-results+json")

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def stand_in():
    s = StandIn()
    yield s
    s.close()


@pytest.fixture(scope="module")
def federated(store, stand_in):
    config = {
        "service_allowlist": [stand_in.url + "/sparql", stand_in.url + "/slow"],
        "service_timeout": 1.0,
        "user_agent": "twinrdf-test/1.0 (federation test)",
    }
    with running_server(store, config) as base:
        yield base


FEDERATED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?l ?pop WHERE {
  ?c rdfs:label ?l .
  SERVICE <{target}> { ?c wdt:P1082 ?pop }
} ORDER BY ?l"""


def test_allowlisted_service_is_called_with_user_agent(federated, stand_in):
    stand_in.requests.clear()
    q = FEDERATED.replace("{target}", stand_in.url + "/sparql")
    r = requests.get(federated + "/sparql", params={"query": q})
    assert r.status_code == 200, r.text
    rows = [(b["l"]["value"], int(b["pop"]["value"])) for b in r.json()["results"]["bindings"]]
    assert rows == [("Keighley", 52000), ("Myslowice", 74000), ("Poix-du-Nord", 4100)]
    assert len(stand_in.requests) == 1
    assert stand_in.requests[0]["ua"] == "twinrdf-test/1.0 (federation test)"
    assert "P1082" in stand_in.requests[0]["query"]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:9/sparql",
        "http://169.254.169.254/latest/meta-data",
        "https://query.wikidata.org/sparql",
        "{stand_in}/other",
    ],
)
def test_other_service_targets_are_refused_with_403(federated, stand_in, target):
    stand_in.requests.clear()
    q = FEDERATED.replace("{target}", target.replace("{stand_in}", stand_in.url))
    r = requests.get(federated + "/sparql", params={"query": q})
    assert r.status_code == 403
    assert "SERVICE" in r.text and "refused" in r.text
    assert stand_in.requests == []


def test_service_with_a_variable_or_nested_in_text_is_handled(federated, stand_in):
    stand_in.requests.clear()
    r = requests.get(federated + "/sparql", params={"query": "SELECT * WHERE { SERVICE ?s { ?a ?b ?c } }"})
    assert r.status_code == 403
    # the word SERVICE inside a string or a comment is not a SERVICE clause
    q = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/> { }" AS ?x) } # SERVICE <http://10.0.0.1/> {}'
    r = requests.get(federated + "/sparql", params={"query": q})
    assert r.status_code == 200
    assert stand_in.requests == []


def test_service_timeout_and_silent(federated, stand_in):
    q = FEDERATED.replace("{target}", stand_in.url + "/slow")
    r = requests.get(federated + "/sparql", params={"query": q})
    assert r.status_code == 502
    assert "SERVICE" in r.text and "timed out" in r.text.lower()
    r = requests.get(federated + "/sparql", params={"query": q.replace("SERVICE", "SERVICE SILENT")})
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 10  # SILENT: one empty solution joined


def test_default_allowlist_is_wikidata_only(store):
    from twinrdf.endpoint.settings import DEFAULTS

    assert DEFAULTS["service_allowlist"] == ["https://query.wikidata.org/sparql"]
    with running_server(store) as base:
        r = requests.get(
            base + "/sparql", params={"query": FEDERATED.replace("{target}", "http://127.0.0.1:1/")}
        )
        assert r.status_code == 403


def test_every_setting_is_documented():
    """docs/endpoint.md's settings table names every key of DEFAULTS, and no other."""
    import re

    from twinrdf.endpoint.settings import DEFAULTS

    from tests.support.paths import ROOT

    text = (ROOT / "docs" / "endpoint.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    assert documented == set(DEFAULTS)
