"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, Oxigraph server, ...) behind the
``TripleStore`` interface, so ``twinrdf load`` and ``twinrdf serve`` work against it unchanged.

Store spec (everything the worker processes need, in one string)::

    sparql+http://HOST/sparql#update=UPDATE_URL&gsp=GRAPH_STORE_URL&graph=DATA_GRAPH_IRI

- the part before ``#`` is the query endpoint (``sparql+https://`` for TLS);
- ``update``: the SPARQL Update endpoint (default: the query endpoint);
- ``gsp``: the Graph Store Protocol endpoint used for loads (default: none, loads are sent as
  one ``INSERT DATA`` request);
- ``graph``: the named graph that plays the role of the default graph. Stores such as Virtuoso
  have no separate default graph (their default graph is the union of every graph, system graphs
  included), so loads without ``--graph`` go into this graph and queries that bring no dataset of
  their own are asked with ``default-graph-uri`` set to it. That gives the same answers as the
  embedded store.

Credentials, when the store needs them, come from ``TWINRDF_REMOTE_USER`` and
``TWINRDF_REMOTE_PASSWORD`` (HTTP Basic), never from the spec.

Results are returned pyoxigraph-shaped, like the embedded store: SELECT and ASK are asked as
SPARQL JSON (pyoxigraph reads Virtuoso's older ``"typed-literal"`` form too) and parsed with
``pyoxigraph.parse_query_results``; CONSTRUCT and DESCRIBE as N-Triples, parsed with
``pyoxigraph.parse``. An explicit ``Accept`` is always sent (Virtuoso answers XML, or HTML, to
a request without one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox
import requests

from twinrdf.store import StoreError, TripleStore, _open_input, graph_term, rdf_format_for

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
TIMEOUT = float(os.environ.get("TWINRDF_REMOTE_TIMEOUT", "300"))

#: graphs a Virtuoso keeps for itself (metadata, WebDAV, LDP); never part of the published data
SYSTEM_GRAPHS = frozenset(
    {
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localhost:8890/sparql",
        "http://localhost:8890/DAV/",
    }
)

_PROLOGUE = re.compile(
    r"""^(?:\s+|\#[^\n]*\n?|(?i:BASE)\s*<[^>]*>|(?i:PREFIX)\s*[A-Za-z0-9_.\-]*:\s*<[^>]*>)*""", re.S
)
_FORM = re.compile(r"(?i)^(SELECT|ASK|CONSTRUCT|DESCRIBE)\b")


def query_form(sparql: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's form, read after its prologue."""
    rest = sparql[_PROLOGUE.match(sparql).end() :]  # type: ignore[union-attr]
    m = _FORM.match(rest)
    return m.group(1).upper() if m else None


def check_syntax(sparql: str) -> None:
    """Raise ``SyntaxError`` for a malformed query, as the embedded store does, so that clients
    get the same 400 whatever the backend: Oxigraph parses it and runs it on an empty in-memory
    store (nothing to match, so this costs next to nothing). Other errors are left to the remote."""
    try:
        result = ox.Store().query(sparql)
        if isinstance(result, ox.QuerySolutions):
            next(iter(result), None)
    except SyntaxError:
        raise
    except Exception:  # e.g. a SERVICE call: not ours to judge here
        return


@dataclass
class RemoteSpec:
    query_url: str
    update_url: str
    gsp_url: str | None
    graph: str | None

    @classmethod
    def parse(cls, spec: str) -> RemoteSpec:
        text = spec
        for prefix in ("sparql+http://", "sparql+https://"):
            if text.startswith(prefix):
                text = text[len("sparql+") :]
                break
        else:
            raise StoreError(f"not a remote store spec: {spec!r} (expected sparql+http(s)://...)")
        url, _, fragment = text.partition("#")
        opts = {k: v[-1] for k, v in parse_qs(fragment, keep_blank_values=False).items()}
        unknown = set(opts) - {"update", "gsp", "graph"}
        if unknown:
            raise StoreError(f"unknown option(s) in the store spec: {', '.join(sorted(unknown))}")
        graph = opts.get("graph")
        if graph is not None:
            graph_term(graph)  # an absolute IRI, or StoreError
        return cls(url, opts.get("update", url), opts.get("gsp"), graph)


class RemoteStore(TripleStore):
    """A SPARQL 1.1 store reached over HTTP (query, update and Graph Store Protocol URLs)."""

    kind = "remote"

    def __init__(self, spec: RemoteSpec, *, read_only: bool = False, session: requests.Session | None = None):
        self.spec = spec
        self.read_only = read_only
        self.session = session or requests.Session()
        user, password = os.environ.get("TWINRDF_REMOTE_USER"), os.environ.get("TWINRDF_REMOTE_PASSWORD")
        if user:
            self.session.auth = (user, password or "")
        self.session.headers["User-Agent"] = "twinrdf (remote store client)"

    @classmethod
    def from_spec(cls, spec: str, *, read_only: bool = False) -> RemoteStore:
        return cls(RemoteSpec.parse(spec), read_only=read_only)

    # --- HTTP ------------------------------------------------------------------------------

    def _post(self, url: str, *, data: Any, headers: dict[str, str], params: Any = None) -> requests.Response:
        try:
            resp = self.session.post(url, data=data, headers=headers, params=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise StoreError(f"the remote store at {url} did not answer: {exc}") from exc
        return resp

    @staticmethod
    def _fail(resp: requests.Response, what: str) -> None:
        text = resp.text.strip()[:500]
        if resp.status_code == 400:
            raise SyntaxError(text or f"the remote store rejected the {what}")
        raise StoreError(f"the remote store answered {resp.status_code} to the {what}: {text}")

    def _dataset(
        self, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> list[tuple[str, str]]:
        params = [("default-graph-uri", g) for g in default_graph_uris]
        params += [("named-graph-uri", g) for g in named_graph_uris]
        if not params and self.spec.graph:
            params = [("default-graph-uri", self.spec.graph)]
        return params

    # --- TripleStore ---------------------------------------------------------------------------

    def query(self, sparql, *, default_graph_uris=(), named_graph_uris=(), base_iri=None):
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        check_syntax(sparql)
        form = query_form(sparql) or "SELECT"
        accept = NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_JSON
        data = [("query", sparql)] + self._dataset(default_graph_uris, named_graph_uris)
        resp = self._post(self.spec.query_url, data=data, headers={"Accept": accept})
        if resp.status_code != 200:
            self._fail(resp, "query")
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if form in ("CONSTRUCT", "DESCRIBE"):
            fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
            return list(ox.parse(resp.content, format=fmt))
        rfmt = ox.QueryResultsFormat.from_media_type(ctype) or ox.QueryResultsFormat.JSON
        return ox.parse_query_results(resp.content, format=rfmt)

    def update(self, sparql, *, using_graph_uris=(), using_named_graph_uris=(), base_iri=None):
        if self.read_only:
            raise StoreError("the store was opened read-only")
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        data = [("update", sparql)]
        data += [("using-graph-uri", g) for g in using_graph_uris]
        data += [("using-named-graph-uri", g) for g in using_named_graph_uris]
        resp = self._post(self.spec.update_url, data=data, headers={"Accept": "text/plain, */*;q=0.5"})
        if resp.status_code not in (200, 201, 204):
            self._fail(resp, "update")

    def _target_graph(self, graph: str | None) -> str | None:
        return graph if graph is not None else self.spec.graph

    def _send_ntriples(self, body: bytes, graph: str | None) -> None:
        """Add N-Triples to a graph in one request (one transaction on the remote side)."""
        target = self._target_graph(graph)
        if self.spec.gsp_url:
            params = {"graph": target} if target else {"default": ""}
            resp = self._post(self.spec.gsp_url, data=body, params=params, headers={"Content-Type": NTRIPLES})
            if resp.status_code not in (200, 201, 204):
                self._fail(resp, "load")
            return
        text = body.decode("utf-8")
        update = (
            f"INSERT DATA {{ GRAPH <{target}> {{\n{text}\n}} }}" if target else f"INSERT DATA {{\n{text}\n}}"
        )
        resp = self._post(self.spec.update_url, data={"update": update}, headers={"Accept": "*/*"})
        if resp.status_code not in (200, 201, 204):
            self._fail(resp, "load")

    def load_file(
        self, path: Path, *, graph: str | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Parse the whole file locally first (a bad file sends nothing), then send it at once."""
        if self.read_only:
            raise StoreError("the store was opened read-only")
        path = Path(path)
        fmt = rdf_format_for(path)
        if not path.is_file():
            raise StoreError(f"{path}: no such file")
        with _open_input(path) as raw:
            try:
                quads = list(ox.parse(raw, fmt, base_iri=path.resolve().as_uri()))
            except SyntaxError as exc:
                raise StoreError(f"{path}: {exc}") from exc
        if progress:
            progress(path.stat().st_size)
        self._load_quads(quads, graph)
        return len(quads)

    def _load_quads(self, quads: list[Any], graph: str | None) -> None:
        by_graph: dict[str | None, list[ox.Triple]] = {}
        for q in quads:
            if isinstance(q, ox.Quad) and not isinstance(q.graph_name, ox.DefaultGraph):
                key = q.graph_name.value
                triple = q.triple
            else:
                key = graph
                triple = q.triple if isinstance(q, ox.Quad) else q
            by_graph.setdefault(key, []).append(triple)
        for g, triples in by_graph.items():
            self._send_ntriples(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), g)

    def load_data(self, data, fmt, *, graph, base_iri):
        try:
            quads = list(ox.parse(data, fmt, base_iri=base_iri))
        except SyntaxError:
            raise
        self._load_quads(quads, graph)

    def graphs(self):
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=())
        return sorted(
            sol["g"].value
            for sol in rows
            if isinstance(sol["g"], ox.NamedNode) and sol["g"].value not in SYSTEM_GRAPHS
        )

    def triple_count(self, graph=None):
        if graph is None:
            q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
            sols = list(self.query(q))
        else:
            sols = list(
                self.query(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                    named_graph_uris=[graph],
                )
            )
        return int(sols[0]["n"].value) if sols else 0

    def quads(self, graph=None) -> Iterator[ox.Quad]:
        """The data graph's triples (as default-graph quads), or one named graph's."""
        if graph is None:
            triples = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            return (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
        triples = self.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", named_graph_uris=[graph]
        )
        g = ox.NamedNode(graph)
        return (ox.Quad(t.subject, t.predicate, t.object, g) for t in triples)

    def clear_graph(self, graph):
        target = self._target_graph(graph)
        existed = self.triple_count(target) > 0 if target else self.triple_count() > 0
        self.update(f"CLEAR SILENT GRAPH <{target}>" if target else "CLEAR SILENT DEFAULT")
        return existed

    def has_graph(self, graph):
        return graph is None or graph in self.graphs()
