"""``/rdf-graph-store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification,
``?graph=IRI`` or ``?default``).

GET/HEAD read through the query worker pool (same timeout and row limit as /sparql); PUT,
POST and DELETE change the store and, like SPARQL Update, need updates enabled and the
bearer token.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request
from twinrdf.endpoint.executor import QueryJob
from twinrdf.endpoint.protocol import ProtocolError, check_update_auth, negotiate
from twinrdf.endpoint.sparql import _iris, execute_job
from twinrdf.endpoint.state import EndpointState, endpoint_state

bp = Blueprint("graphstore", __name__)

PATH = "/rdf-graph-store"


@bp.errorhandler(ProtocolError)
def _protocol_error(exc: ProtocolError) -> Response:
    return exc.response()


def _target() -> str | None:
    """The graph named by the request: an IRI, or None for the default graph."""
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if default == bool(graphs) or len(graphs) > 1:
        raise ProtocolError(400, "name exactly one graph: ?graph=<IRI> or ?default")
    return _iris(graphs, "graph")[0] if graphs else None


@bp.route(PATH, methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    state = endpoint_state()
    graph = _target()
    if request.method in ("GET", "HEAD"):
        return _get(state, graph)
    check_update_auth(state.updates_enabled, state.update_token(), request)
    if state.writable is None:
        raise ProtocolError(403, "this endpoint serves a read-only store")
    store = state.writable
    with state.update_lock:
        existed = store.has_graph(graph) and (graph is not None or store.triple_count() > 0)
        if request.method == "DELETE":
            if graph is not None and not store.has_graph(graph):
                raise ProtocolError(404, f"no graph <{graph}>")
            store.clear_graph(graph)
            status = 204
        else:
            data = _parse_body()
            if request.method == "PUT":
                store.clear_graph(graph)
            store.load_data(data[0], data[1], graph=graph, base_iri=request.base_url)
            status = 201 if graph is not None and not existed else 204
        state.pool.store_changed()
    return Response(status=status)


def _parse_body() -> tuple[bytes, ox.RdfFormat]:
    """The request's RDF payload, checked to parse before anything is changed."""
    fmt = ox.RdfFormat.from_media_type(request.mimetype) if request.mimetype else None
    if fmt is None:
        raise ProtocolError(415, f"unsupported RDF media type {request.mimetype or '(none)'}")
    data = request.get_data()
    try:
        for _ in ox.parse(data, fmt, base_iri=request.base_url):
            pass
    except SyntaxError as exc:
        raise ProtocolError(400, f"the RDF payload does not parse: {exc}") from exc
    return data, fmt


def _get(state: EndpointState, graph: str | None) -> Response:
    fmt = negotiate("graph", request, request.args.get("format"))
    if fmt is None:
        raise ProtocolError(406, "no acceptable RDF format")
    if graph is not None:
        exists = execute_job(state, QueryJob(query=f"ASK {{ GRAPH <{graph}> {{ }} }}", fmt_results="json"))
        if b"true" not in b"".join(exists.response):
            raise ProtocolError(404, f"no graph <{graph}>")
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    else:
        query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    job = QueryJob(query=query, fmt_graph=fmt, max_rows=int(state.settings["max_result_rows"]))
    return execute_job(state, job)
