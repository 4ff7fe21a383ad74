"""Runner for the W3C SPARQL 1.1 Protocol test manifest (protocol/manifest.ttl).

Everything comes from the manifest: each mf:ProtocolTest has ht:requests (method, absolute
path, headers, body with its character encoding) run in order over real HTTP, and each
request's ht:resp gives mf:expectedStatus (status classes), mf:expectedFormat ("boolean",
"tabular", "RDF") and mf:expectedBoolean. ut:graphData names the files loaded into named graphs
(the label is the graph IRI) before the run. The manifest says paths start with ``/sparql/``
and a runner substitutes the endpoint's own path: here ``/sparql``.

Used by tests/test_w3c_protocol.py; also runnable: ``python -m tests.w3c_protocol`` prints the
summary for a fresh server (read-only and with updates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

RESULTS_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: list[int]  # status classes: 2, 3, 4, 5
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    iri: str
    name: str
    requests: list[ProtocolRequest]
    graph_data: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file

    @property
    def short(self) -> str:
        return self.iri.rsplit("#", 1)[-1]

    @property
    def is_update(self) -> bool:
        return "update" in self.short


@dataclass
class Outcome:
    test: ProtocolTest
    passed: bool
    reason: str = ""
    statuses: list[int] = field(default_factory=list)


def read_manifest(path: Path) -> list[ProtocolTest]:
    """All mf:ProtocolTest entries, in the manifest's mf:entries order."""
    g = Graph().parse(path, format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    entries = list(Collection(g, g.value(manifest, MF.entries)))
    tests = []
    for t in entries:
        if (t, RDF.type, MF.ProtocolTest) not in g:
            raise ValueError(f"{t} is not an mf:ProtocolTest")
        reqs = []
        action = g.value(t, MF.action)
        for r in Collection(g, g.value(action, HT.requests)):
            headers = {}
            hlist = g.value(r, HT.headers)
            if hlist is not None:
                for h in Collection(g, hlist):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = None
            b = g.value(r, HT.body)
            if b is not None:
                enc = str(g.value(b, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(b, CNT.chars)).encode(enc)
            resp = g.value(r, HT.resp)
            statuses = sorted(int(str(s)[len(HTS)]) for s in g.objects(resp, MF.expectedStatus))
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            reqs.append(
                ProtocolRequest(
                    method=str(g.value(r, HT.methodName)),
                    path=str(g.value(r, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    expected_status=statuses,
                    expected_format=None if fmt is None else str(fmt),
                    expected_boolean=None if boolean is None else bool(boolean.toPython()),
                )
            )
        data = {}
        for gd in g.objects(t, UT.graphData):
            data[str(g.value(gd, RDFS_LABEL))] = Path(str(g.value(gd, UT.graph)).removeprefix("file://"))
        tests.append(ProtocolTest(str(t), str(g.value(t, MF.name)), reqs, data))
    return tests


def all_graph_data(tests: list[ProtocolTest]) -> dict[str, Path]:
    """Every graph the tests need (the same label always names the same file)."""
    out: dict[str, Path] = {}
    for t in tests:
        for iri, p in t.graph_data.items():
            if out.setdefault(iri, p) != p:
                raise ValueError(f"graph {iri} names two files")
    return out


def _check_body(req: ProtocolRequest, resp: requests.Response) -> str:
    """Empty string when the body matches the expected format/boolean, else the reason."""
    if req.expected_format is None:
        return ""
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if req.expected_format in ("boolean", "tabular"):
        fmt = RESULTS_TYPES.get(ctype)
        if fmt is None:
            return f"expected SPARQL results, got Content-Type {ctype!r}"
        try:
            parsed = ox.parse_query_results(resp.content, fmt)
        except (SyntaxError, ValueError) as exc:
            return f"results do not parse as {ctype}: {exc}"
        if req.expected_format == "boolean":
            if not isinstance(parsed, ox.QueryBoolean):
                return "expected a boolean result"
            if req.expected_boolean is not None and bool(parsed) != req.expected_boolean:
                return f"expected {req.expected_boolean}, got {bool(parsed)}"
        elif not isinstance(parsed, ox.QuerySolutions):
            return "expected tabular results"
        else:
            list(parsed)
        return ""
    # RDF
    fmt = ox.RdfFormat.from_media_type(ctype) if ctype else None
    if fmt is None:
        return f"expected RDF, got Content-Type {ctype!r}"
    try:
        list(ox.parse(resp.content, fmt))
    except SyntaxError as exc:
        return f"RDF does not parse as {ctype}: {exc}"
    return ""


def run_test(test: ProtocolTest, base_url: str, extra_headers: dict[str, str] | None = None) -> Outcome:
    """Send the test's requests in order; pass when every response meets its expectations."""
    statuses = []
    with requests.Session() as s:
        for i, req in enumerate(test.requests):
            path = req.path
            if path.startswith("/sparql/"):
                path = "/sparql" + path[len("/sparql/") - 1 :].removeprefix("/")
            headers = dict(req.headers)
            headers.update(extra_headers or {})
            headers.setdefault("Accept-Encoding", "identity")
            r = requests.Request(req.method, base_url + path, headers=headers, data=req.body)
            prepared = s.prepare_request(r)
            prepared.url = base_url + path  # keep the manifest's percent-encoding verbatim
            if req.body is None:
                prepared.headers.pop("Content-Length", None)
            resp = s.send(prepared, allow_redirects=False, timeout=30)
            statuses.append(resp.status_code)
            if resp.status_code // 100 not in req.expected_status:
                return Outcome(
                    test,
                    False,
                    f"request {i + 1}: status {resp.status_code}, expected "
                    f"{'/'.join(f'{c}xx' for c in req.expected_status)}: {resp.text[:200].strip()}",
                    statuses,
                )
            reason = _check_body(req, resp)
            if reason:
                return Outcome(test, False, f"request {i + 1}: {reason}", statuses)
    return Outcome(test, True, "", statuses)


def run_manifest(
    tests: list[ProtocolTest], base_url: str, extra_headers: dict[str, str] | None = None
) -> list[Outcome]:
    return [run_test(t, base_url, extra_headers) for t in tests]


def summary(outcomes: list[Outcome]) -> str:
    lines = [f"{sum(o.passed for o in outcomes)}/{len(outcomes)} passed"]
    lines += [f"FAIL {o.test.short}: {o.reason}" for o in outcomes if not o.passed]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - manual run
    import os
    import tempfile

    from tests.support.paths import W3C
    from tests.support.server import make_store, running_server

    tests = read_manifest(W3C / "protocol" / "manifest.ttl")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        make_store(store)
        from twinrdf.store import OxigraphStore

        st = OxigraphStore(store)
        for iri, p in all_graph_data(tests).items():
            st.load_file(p, graph=iri)
        st.close()
        del st
        with running_server(store) as base:
            print("read-only:", summary(run_manifest(tests, base)))
        os.environ["TWINRDF_UPDATE_TOKEN"] = "secret"
        with running_server(store, {"enable_updates": True}) as base:
            out = run_manifest(tests, base, {"Authorization": "Bearer secret"})
            print("updates:", summary(out))
            print(json.dumps([o.statuses for o in out]))
