"""Fixtures for the Wikidata tests: the mirror (synthetic hard items + real Bielefeld and Weimar),
served by the project's own endpoint and by Virtuoso. Import the fixtures you use by name."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
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


# Module-level caches: these fixtures are imported into several test modules, and pytest makes
# an imported fixture a separate fixture in each module; the caches keep one of each per process.
_CACHE: dict[str, object] = {}
_EXIT = contextlib.ExitStack()
atexit.register(_EXIT.close)


def _tmp(name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"twinrdf-{name}-"))
    _EXIT.callback(shutil.rmtree, path, True)  # removed at exit, after what was entered later
    return path


def shared_mirror() -> Path:
    """The folder of an on-disk mirror store (one per process)."""
    if "mirror" not in _CACHE:
        path = _tmp("wd") / "mirror"
        report = build_mirror(MIRROR_SOURCES, path)
        assert not report.rejects
        _CACHE["mirror"] = path
    return _CACHE["mirror"]  # type: ignore[return-value]


def _cleanup_at_end(request: pytest.FixtureRequest) -> None:
    """Close servers and remove folders when pytest ends (atexit does not run in xdist workers)."""
    if not _CACHE.get("cleanup"):
        _CACHE["cleanup"] = True
        request.config.add_cleanup(_EXIT.close)


@pytest.fixture(scope="session")
def wd_mirror(request: pytest.FixtureRequest) -> Path:
    _cleanup_at_end(request)
    return shared_mirror()


@pytest.fixture(scope="session")
def wd_ntriples(wd_mirror: Path) -> bytes:
    store = Store.read_only(str(wd_mirror))
    return store.dump(format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())


@pytest.fixture(scope="session")
def wd_endpoint(request: pytest.FixtureRequest) -> str:
    """The mirror served by the project's endpoint (tests/support/server.py): the /sparql URL."""
    _cleanup_at_end(request)
    if "endpoint" not in _CACHE:
        from tests.support.server import running_server

        copy = _tmp("wd-endpoint") / "mirror"  # the endpoint opens its own store
        build_mirror(MIRROR_SOURCES, copy)
        _CACHE["endpoint"] = _EXIT.enter_context(running_server(copy)) + "/sparql"
    return _CACHE["endpoint"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def wd_virtuoso(virtuoso: VirtuosoServer, wd_ntriples: bytes) -> str:  # noqa: F811
    """The same mirror loaded into Virtuoso: its /sparql URL."""
    if _CACHE.get("virtuoso") != virtuoso.url:
        virtuoso.load(wd_ntriples, graph=MIRROR_GRAPH, content_type="text/turtle")
        _CACHE["virtuoso"] = virtuoso.url
    return virtuoso.url
