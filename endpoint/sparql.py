"""``/sparql``: the SPARQL 1.1 Protocol query and update operations.

Queries: GET ``?query=``, POST form (``application/x-www-form-urlencoded``) and POST
``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` replace the dataset.
Updates: POST form ``update=`` or POST ``application/sparql-update``, only when enabled and
with the bearer token. Errors: 400 malformed, 401/403 auth, 405 method, 406 no acceptable
format, 413 too large, 415 media type, 503 timeout or overload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Blueprint, Response, request
from twinrdf.endpoint.executor import PoolBusy, QueryFailed, QueryJob, QueryTimeout
from twinrdf.endpoint.protocol import ProtocolError, check_update_auth, decode_body, negotiate
from twinrdf.endpoint.results import content_type
from twinrdf.endpoint.state import EndpointState, endpoint_state
from werkzeug.exceptions import RequestEntityTooLarge

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOW = "GET, POST, OPTIONS, HEAD"


@bp.errorhandler(ProtocolError)
def _protocol_error(exc: ProtocolError) -> Response:
    return exc.response()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Response:
    state = endpoint_state()
    return ProtocolError(
        413, f"request too large: the limit is {state.settings['max_query_bytes']} bytes"
    ).response()


@bp.route("/sparql", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def sparql() -> Response:
    """Dispatch one protocol operation."""
    state = endpoint_state()
    params = _params(state)
    queries, updates = params.get("query", []), params.get("update", [])
    if queries and updates:
        raise ProtocolError(400, "a request carries either query or update, not both")
    if len(queries) > 1:
        raise ProtocolError(400, "more than one query in the request")
    if len(updates) > 1:
        raise ProtocolError(400, "more than one update in the request")
    if updates:
        return run_update(state, updates[0], params)
    if not queries:
        if request.method in ("GET", "HEAD"):  # no query: UI or service description
            from twinrdf.endpoint.publishing import endpoint_home

            return endpoint_home()
        raise ProtocolError(
            400,
            "missing query: send ?query=... (GET), a form field query=..., "
            "or a body with Content-Type: application/sparql-query",
        )
    return run_query(state, queries[0], params)


def _params(state: EndpointState) -> dict[str, list[str]]:
    """Collect protocol parameters from the URL and (form POST) the body; check method and media type."""
    if request.method not in ("GET", "HEAD", "POST"):
        raise ProtocolError(405, f"method {request.method} is not allowed on /sparql", {"Allow": ALLOW})
    params: dict[str, list[str]] = {k: request.args.getlist(k) for k in request.args}
    limit = state.settings["max_query_bytes"]
    if request.method in ("GET", "HEAD"):
        if "update" in params:
            raise ProtocolError(405, "SPARQL Update must be sent with POST", {"Allow": "POST"})
        if len(request.query_string) > limit * 3 + 4096:
            raise ProtocolError(413, f"query too large: the limit is {limit} bytes")
        return params
    if request.content_length is not None and request.content_length > limit + 4096:
        raise ProtocolError(413, f"request too large: the limit is {limit} bytes")
    mt = request.mimetype
    if mt == FORM:
        for k in request.form:
            params.setdefault(k, []).extend(request.form.getlist(k))
    elif mt == QUERY:
        params.setdefault("query", []).append(decode_body(request, "query"))
    elif mt == UPDATE:
        params.setdefault("update", []).append(decode_body(request, "update"))
    elif not mt:
        raise ProtocolError(415, f"a POST needs a Content-Type: {FORM}, {QUERY} or {UPDATE}")
    else:
        raise ProtocolError(415, f"unsupported media type {mt}: use {FORM}, {QUERY} or {UPDATE}")
    return params


def _check_size(state: EndpointState, text: str, what: str) -> None:
    limit = state.settings["max_query_bytes"]
    if len(text.encode("utf-8")) > limit:
        raise ProtocolError(413, f"{what} too large: the limit is {limit} bytes")


def _iris(values: list[str], name: str) -> list[str]:
    for v in values:
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", v):
            raise ProtocolError(400, f"{name} is not an absolute IRI: {v!r}")
    return values


def run_query(state: EndpointState, query: str, params: dict[str, list[str]]) -> Response:
    """Evaluate a query on the worker pool and stream the result in the negotiated format."""
    _check_size(state, query, "query")
    fmt_param = (params.get("format") or [None])[0]
    fmt_results = negotiate("results", request, fmt_param)
    fmt_graph = negotiate("graph", request, fmt_param)
    # A result form with no acceptable format is a 406, reported by the worker once the query
    # has parsed (so a malformed query is still a 400).
    job = QueryJob(
        query=query,
        fmt_results=fmt_results,
        fmt_graph=fmt_graph,
        default_graph_uris=_iris(params.get("default-graph-uri", []), "default-graph-uri"),
        named_graph_uris=_iris(params.get("named-graph-uri", []), "named-graph-uri"),
        base_iri=request.base_url,
        max_rows=int(state.settings["max_result_rows"]),
        service_allowlist=list(state.settings["service_allowlist"]),
        service_timeout=float(state.settings["service_timeout"]),
        user_agent=str(state.settings["user_agent"]),
    )
    return execute_job(state, job, cacheable=cacheable_query(query))


_UNCACHEABLE = re.compile(r"\b(SERVICE|NOW|RAND|UUID|STRUUID|BNODE)\b", re.IGNORECASE)


def cacheable_query(query: str) -> bool:
    """False for queries whose answer may change without the store changing (federated
    SERVICE calls, NOW(), RAND(), fresh UUIDs or blank nodes). Errs on the safe side: the word
    anywhere in the text (a comment, a string) makes the query uncacheable."""
    return _UNCACHEABLE.search(query) is None


def execute_job(state: EndpointState, job: QueryJob, *, cacheable: bool = False) -> Response:
    """Run a job on the pool and turn the outcome into a streaming response or an error.
    Other blueprints (graph store, resource pages) reuse this to get timeouts and limits.
    A small result (one message) is sent with Content-Length and an ETag; with ``cacheable``
    the response cache (endpoint/cache.py) may keep it for identical requests."""
    try:
        execution = state.pool.execute(job)
    except QueryTimeout as exc:
        raise ProtocolError(503, f"query timeout: {exc}", {"Retry-After": "1"}) from exc
    except PoolBusy as exc:
        raise ProtocolError(503, str(exc), {"Retry-After": "1"}) from exc
    except QueryFailed as exc:
        if exc.kind == "syntax":
            raise ProtocolError(400, f"malformed query: {exc.message}") from exc
        if exc.kind == "not_acceptable":
            raise _not_acceptable(exc.message) from exc
        if exc.kind == "forbidden":
            raise ProtocolError(403, exc.message) from exc
        if exc.kind == "bad_request":
            raise ProtocolError(400, exc.message) from exc
        if exc.kind == "service":
            raise ProtocolError(502, exc.message) from exc
        raise ProtocolError(500, f"query evaluation failed: {exc.message}") from exc
    info = execution.info
    fmt = info["format"]
    headers = {
        "X-Twinrdf-Truncated": "true" if info["truncated"] else "false",
        "Vary": "Accept",
    }
    if execution.body is not None:
        from twinrdf.endpoint.cache import etag_for, mark_cacheable

        headers["ETag"] = etag_for(execution.body, fmt)
        if cacheable:
            mark_cacheable(request.environ)
        resp = Response(execution.body, status=200, headers=headers, content_type=content_type(fmt))
        return resp.make_conditional(request)
    return Response(_stream(execution.chunks), status=200, headers=headers, content_type=content_type(fmt))


def _stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield from chunks


def _not_acceptable(form: str) -> ProtocolError:
    from twinrdf.endpoint.results import ACCEPTABLE

    kind = "graph" if form in ("CONSTRUCT", "DESCRIBE", "CONSTRUCT/DESCRIBE", "GRAPH") else "results"
    offered = ", ".join(dict.fromkeys(mt for mt, _ in ACCEPTABLE[kind]))
    return ProtocolError(406, f"no acceptable format for a {form} result; this endpoint offers: {offered}")


_USING_WITH = re.compile(r"\b(USING|WITH)\b", re.IGNORECASE)


def run_update(state: EndpointState, update: str, params: dict[str, list[str]]) -> Response:
    """Apply a SPARQL Update to the writable store, then let the query workers see it."""
    check_update_auth(state.updates_enabled, state.update_token(), request)
    _check_size(state, update, "update")
    using = _iris(params.get("using-graph-uri", []), "using-graph-uri")
    using_named = _iris(params.get("using-named-graph-uri", []), "using-named-graph-uri")
    if (using or using_named) and _USING_WITH.search(update):
        raise ProtocolError(
            400,
            "using-graph-uri/using-named-graph-uri cannot be combined with USING or "
            "WITH in the update request (SPARQL 1.1 Protocol 2.2.3)",
        )
    if state.writable is None:
        raise ProtocolError(403, "this endpoint serves a read-only store")
    with state.update_lock:
        try:
            state.writable.update(
                update, using_graph_uris=using, using_named_graph_uris=using_named, base_iri=request.base_url
            )
        except SyntaxError as exc:
            raise ProtocolError(400, f"malformed update: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise ProtocolError(500, f"update failed: {exc}") from exc
        state.pool.store_changed()
    return Response("update applied\n", status=200, mimetype="text/plain")
