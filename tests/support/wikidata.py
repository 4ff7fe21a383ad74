"""Fixtures for the Wikidata tests: the mirror (synthetic hard items + real Bielefeld and Weimar),
served by the project's own endpoint and by Virtuoso. Import the fixtures you use by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph, RdfFormat, Store

from tests.support.paths import P190_CRAWL, WIKIBASE_SDK
from tests.support.virtuoso import VirtuosoServer, virtuoso  # noqa: F401 - re-exported fixture
from twinrdf.wikidata.mirror import build_mirror

DATA = Path(__file__).resolve().parents[1] / "data" / "wikidata"
SYNTHETIC = DATA / "synthetic.json"
LOCALITIES = DATA / "localities.ttl"
MIRROR_SOURCES = [SYNTHETIC, WIKIBASE_SDK / "Q2112.json", P190_CRAWL / "weimar.json"]
MIRROR_GRAPH = "urn:twinrdf:test:wikidata-mirror"


@pytest.fixture(scope="session")
def wd_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of an on-disk mirror store."""
    path = tmp_path_factory.mktemp("wd") / "mirror"
    report = build_mirror(MIRROR_SOURCES, path)
    assert not report.rejects
    return path


@pytest.fixture(scope="session")
def wd_ntriples(wd_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    store = Store.read_only(str(wd_mirror))
    return store.dump(format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())


@pytest.fixture(scope="session")
def wd_endpoint(wd_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mirror served by the project's endpoint (tests/support/server.py): the /sparql URL."""
    from tests.support.server import running_server

    # the endpoint gets its own copy: it opens its store itself
    copy = tmp_path_factory.mktemp("wd-endpoint") / "mirror"
    build_mirror(MIRROR_SOURCES, copy)
    with running_server(copy) as base:
        yield base + "/sparql"


@pytest.fixture(scope="session")
def wd_virtuoso(virtuoso: VirtuosoServer, wd_ntriples: bytes) -> str:  # noqa: F811
    """The same mirror loaded into Virtuoso: its /sparql URL."""
    virtuoso.load(wd_ntriples, graph=MIRROR_GRAPH, content_type="text/turtle")
    return virtuoso.url
