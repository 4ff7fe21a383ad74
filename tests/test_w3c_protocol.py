"""The W3C SPARQL 1.1 Protocol manifest, run over real HTTP against the live endpoint.

Every manifest entry is executed and counted: read-only, the 20 query tests pass and every
update request is refused with 403; with updates enabled (and the bearer token sent), all 34
pass."""

from __future__ import annotations

import pytest

from tests.support.paths import W3C
from tests.support.server import make_store, running_server
from tests.w3c_protocol import all_graph_data, read_manifest, run_manifest, summary
from twinrdf.store import OxigraphStore

MANIFEST = W3C / "protocol" / "manifest.ttl"
TOKEN = "w3c-protocol-test-token"


@pytest.fixture(scope="module")
def manifest_tests():
    if not MANIFEST.is_file():
        pytest.fail(f"the W3C protocol manifest is missing: {MANIFEST}")
    return read_manifest(MANIFEST)


@pytest.fixture
def protocol_store(tmp_path, manifest_tests):
    path = make_store(tmp_path / "store")
    store = OxigraphStore(path)
    for iri, file in all_graph_data(manifest_tests).items():
        store.load_file(file, graph=iri)
    store.close()
    del store
    return path


def test_manifest_has_34_tests_20_of_them_queries(manifest_tests):
    assert len(manifest_tests) == 34
    assert sum(not t.is_update for t in manifest_tests) == 20
    assert all(t.requests for t in manifest_tests)


def test_read_only_all_20_query_tests_pass_and_updates_are_refused(manifest_tests, protocol_store):
    with running_server(protocol_store) as base:
        outcomes = run_manifest(manifest_tests, base)
    assert len(outcomes) == 34
    queries = [o for o in outcomes if not o.test.is_update]
    assert [o.test.short for o in queries if not o.passed] == [], summary(queries)
    assert len(queries) == 20
    # the well-formed update requests are refused because updates are off (not 2xx)
    for o in outcomes:
        if o.test.is_update and not o.test.short.startswith("bad_"):
            assert not o.passed and o.statuses[0] == 403, (o.test.short, o.statuses, o.reason)


def test_with_updates_enabled_all_34_pass(manifest_tests, protocol_store, monkeypatch):
    monkeypatch.setenv("TWINRDF_UPDATE_TOKEN", TOKEN)
    with running_server(protocol_store, {"enable_updates": True}) as base:
        outcomes = run_manifest(manifest_tests, base, {"Authorization": f"Bearer {TOKEN}"})
    assert len(outcomes) == 34
    assert all(o.passed for o in outcomes), summary(outcomes)
