"""The twinrdf web app: ``create_app(config)`` builds a Flask app serving one store.

One blueprint per concern (``sparql``: the SPARQL 1.1 Protocol at /sparql; ``graphstore``:
the Graph Store Protocol at /rdf-graph-store; ``meta``: /-/health and /-/versions.json).
Settings are data (``twinrdf.endpoint.settings``). Nothing is global: each app owns its query
worker pool, so tests can run several apps side by side.

Production: ``gunicorn 'twinrdf.endpoint:create_app()'`` (settings from TWINRDF_* variables
or TWINRDF_CONFIG), or ``twinrdf serve --workers N`` which does the same; see docs/endpoint.md.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from twinrdf.endpoint.settings import SettingsError, load_settings

log = logging.getLogger(__name__)

__all__ = ["create_app", "SettingsError"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app for the store named by ``config["store"]`` (or TWINRDF_STORE)."""
    from twinrdf.endpoint import graphstore, meta, sparql
    from twinrdf.endpoint.executor import QueryPool
    from twinrdf.endpoint.state import EndpointState, data_fingerprint

    from twinrdf.store import StoreError, open_store, split_spec

    settings = load_settings(config)
    spec = str(settings["store"] or "")
    if not spec:
        raise SettingsError("no store configured: set store (TWINRDF_STORE) to a store directory")
    scheme, location = split_spec(spec)
    if scheme == "oxigraph" and not (Path(location) / "CURRENT").exists():
        raise SettingsError(f"no store at {location} (create it with `twinrdf load FILE --store {location}`)")

    writable = None
    if settings["enable_updates"]:
        # the one read-write handle lives in this process; query workers reopen read-only after each update
        try:
            writable = open_store(spec, read_only=False)
        except StoreError as exc:
            raise SettingsError(
                "updates are enabled but the store cannot be opened for writing: "
                f"{exc}"
            ) from exc

    def make_pool() -> QueryPool:
        return QueryPool(
            spec,
            int(settings["query_workers"]),
            timeout=float(settings["query_timeout"]),
            queue_timeout=float(settings["queue_timeout"]),
        )

    mode = str(settings["executor"]).lower()
    if mode not in ("pool", "inline"):
        raise SettingsError(f"executor must be 'pool' or 'inline', not {settings['executor']!r}")
    pool: Any
    if mode == "inline":
        # in-process evaluation with a watchdog; only used for requests from gunicorn sync
        # workers, anything else falls back to a pool created on first need (endpoint/inline.py)
        from twinrdf.endpoint.inline import InlineExecutor

        pool = InlineExecutor(
            spec, timeout=float(settings["query_timeout"]), cors=bool(settings["cors"]), fallback=make_pool
        )
    else:
        pool = make_pool()
    state = EndpointState(settings=settings, pool=pool, writable=writable)
    state.data_info = _data_info(spec, scheme, location, settings, data_fingerprint)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(settings["max_query_bytes"]) * 3 + 65536
    app.extensions["twinrdf"] = state
    app.register_blueprint(sparql.bp)
    app.register_blueprint(graphstore.bp)
    app.register_blueprint(meta.bp)
    # resource pages, query UI, VoID/service description, dumps (issue 8)
    from twinrdf.endpoint.publishing import register_publishing

    register_publishing(app)
    if settings["cors"]:
        _install_cors(app)
    if int(settings["response_cache_bytes"]) > 0:
        from twinrdf.endpoint.cache import ResponseCache

        cache = ResponseCache(
            app.wsgi_app,
            lambda: pool.generation,
            max_bytes=int(settings["response_cache_bytes"]),
            max_request_body=int(settings["max_query_bytes"]) * 3 + 4096,
        )
        app.wsgi_app = cache  # type: ignore[method-assign]
        app.extensions["twinrdf_cache"] = cache

    closed = []

    def _close() -> None:
        if closed:
            return
        closed.append(True)
        atexit.unregister(_close)
        pool.close()
        if writable is not None:
            try:
                writable.close()
            except OSError as exc:
                log.warning("closing the store: %s", exc)

    atexit.register(_close)
    app.extensions["twinrdf_close"] = _close
    return app


def _data_info(
    spec: str, scheme: str, location: str, settings: Mapping[str, Any], fingerprint: Any
) -> dict[str, Any]:
    from twinrdf.store import StoreError, open_store

    info: dict[str, Any] = {"store": scheme, "version": settings.get("data_version")}
    try:
        store = open_store(spec, read_only=True)
        info["triples"] = store.triple_count()
        info["graphs"] = len(store.graphs())
        store.close()
    except (StoreError, OSError) as exc:
        log.warning("cannot count the store's triples: %s", exc)
    if scheme == "oxigraph":
        info.update(fingerprint(location))
    return info


def _install_cors(app: Flask) -> None:
    """CORS for browser clients on other origins: any origin, never credentials; preflight
    (OPTIONS with Access-Control-Request-Method) answered with 204 before routing."""

    @app.before_request
    def _preflight() -> Response | None:
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            return Response(status=204)
        return None

    @app.after_request
    def _cors(resp: Response) -> Response:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Accept, Content-Type, Authorization"
            )
            resp.headers["Access-Control-Max-Age"] = "86400"
        resp.headers["Access-Control-Expose-Headers"] = "X-Twinrdf-Truncated, Content-Type"
        return resp
