"""``/-/health`` (is a query worker answering?) and ``/-/versions.json`` (what is served)."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import time

from flask import Blueprint, Response, current_app, jsonify
from twinrdf.endpoint.state import endpoint_state

bp = Blueprint("meta", __name__)


@bp.route("/-/health")
def health() -> Response:
    state = endpoint_state()
    ok = state.pool.ping()
    resp = jsonify(
        {"status": "ok" if ok else "unavailable", "uptime_s": round(time.time() - state.started, 1)}
    )
    resp.status_code = 200 if ok else 503
    return resp


@bp.route("/-/versions.json")
def versions() -> Response:
    import pyoxigraph

    from twinrdf import __version__

    state = endpoint_state()
    cache = current_app.extensions.get("twinrdf_cache")
    return jsonify(
        {
            "package": {"name": "twinrdf", "version": __version__},
            "vocabulary": _vocabulary_version(),
            "data": state.data_info,
            "software": {
                "pyoxigraph": pyoxigraph.__version__,
                "flask": importlib.metadata.version("flask"),
                "python": platform.python_version(),
            },
            "response_cache": cache.stats() if cache is not None else None,
        }
    )


@functools.cache
def _vocabulary_version() -> dict[str, str | None]:
    """owl:versionInfo and owl:versionIRI of the bundled ontology (read once per process: the
    bundled file does not change while the server runs)."""
    import pyoxigraph as ox

    from twinrdf.resources import VOCAB_IRI, as_path, ontology_file

    info: dict[str, str | None] = {"iri": VOCAB_IRI, "versionInfo": None, "versionIRI": None}
    try:
        path = as_path(ontology_file())
        onto = ox.NamedNode(VOCAB_IRI)
        owl = "http://www.w3.org/2002/07/owl#"
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if q.subject == onto and q.predicate.value == owl + "versionInfo":
                info["versionInfo"] = q.object.value
            elif q.subject == onto and q.predicate.value == owl + "versionIRI":
                info["versionIRI"] = q.object.value
    except (OSError, SyntaxError):
        pass
    return info
