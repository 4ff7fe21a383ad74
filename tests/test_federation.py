"""Federation with Wikidata, proven offline: the example that runs here with a SERVICE call to
the Wikidata Query Service is run against a stand-in WDQS on 127.0.0.1 (a second twinrdf
endpoint holding WDQS-shaped data), with the allowlist set to that stand-in."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from tests.support.server import make_store, running_server
from twinrdf.resources import as_path, examples_dir

FEDERATION = as_path(examples_dir()) / "queries" / "federation"
STANDIN = Path(__file__).parent / "data" / "publishing" / "wdqs-standin.ttl"
WDQS = "https://query.wikidata.org/sparql"
JSON = {"Accept": "application/sparql-results+json"}


def example(name: str) -> str:
    store = ox.Store()
    store.load((FEDERATION / f"{name}.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    rows = list(store.query("SELECT ?q WHERE { ?x <http://www.w3.org/ns/shacl#select> ?q }"))
    assert len(rows) == 1
    return rows[0]["q"].value


def rows(resp: requests.Response) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text
    return [{k: v["value"] for k, v in b.items()} for b in resp.json()["results"]["bindings"]]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("federation")
    wd_store = make_store(tmp / "wdqs", [STANDIN])
    seed = make_store(tmp / "seed", [as_path(examples_dir()) / "seed" / "seed.ttl"])
    with running_server(wd_store, {"query_workers": 1}) as wdqs:
        standin = wdqs + "/sparql"
        with running_server(seed, {"query_workers": 1, "service_allowlist": [standin]}) as here:
            yield here, standin


def test_service_join_with_the_wikidata_stand_in(servers: tuple[str, str]) -> None:
    here, standin = servers
    query = example("101-coventry-twins-confirmed-by-wikidata")
    assert f"SERVICE <{WDQS}>" in query  # as published: the real WDQS
    local = query.replace(WDQS, standin)
    got = rows(requests.post(here + "/sparql", data={"query": local}, headers=JSON, timeout=60))
    assert [(r["partner"], r["item"].rsplit("/", 1)[1], r["inWikidata"]) for r in got] == [
        ("Dresden", "Q1731", "true"),
        ("Volgograd", "Q914", "false"),
    ]
    # the published query names WDQS, which this server's allowlist does not hold: refused, no call
    refused = requests.post(here + "/sparql", data={"query": query}, headers=JSON, timeout=60)
    assert refused.status_code == 403


def test_wdqs_example_uses_the_items_exported_here(servers: tuple[str, str]) -> None:
    here, standin = servers
    exported = rows(
        requests.post(
            here + "/sparql", data={"query": example("103-values-for-wikidata")}, headers=JSON, timeout=60
        )
    )
    values = exported[0]["values"]
    wdqs_query = example("102-wikidata-twins-of-linked-localities")
    assert values in wdqs_query, "regenerate the VALUES of example 102 from example 103"
    assert int(exported[0]["items"]) == len(re.findall(r"wd:Q\d+", values))
    # the query meant for WDQS runs on a WDQS-shaped store and finds the P190 statements
    got = rows(requests.post(standin, data={"query": wdqs_query}, headers=JSON, timeout=60))
    pairs = {(r.get("itemLabel"), r.get("twinLabel")) for r in got}
    assert ("Coventry", "Dresden") in pairs and ("Dresden", "Hamburg") in pairs
    assert all(r["item"].startswith("http://www.wikidata.org/entity/Q") for r in got)
