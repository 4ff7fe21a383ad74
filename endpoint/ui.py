"""The query UI (YASGUI, vendored) and the example queries it offers.

``query_ui()`` is what ``GET /sparql`` answers to a browser (``Accept: text/html`` and no
query): the sparql blueprint delegates to it. YASGUI is served from this app's static files
(``static/vendor/yasgui-<version>.min.js``) and configured so that it never leaves this host:
its endpoint catalogue lists only this endpoint, the prefix look-up reads ``/-/prefixes.json``
from this server instead of prefix.cc, the LOV class/property autocompleters are switched off,
and nothing is persisted in the browser's storage (each visit starts from the examples).

The example queries (``examples/queries/**/*.ttl``, in the SIB sparql-examples style:
``sh:SPARQLExecutable`` with ``rdfs:comment`` and ``sh:select``/``sh:ask``/``sh:construct``) are
the UI's tabs, and are published as RDF at ``/.well-known/sparql-examples``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, url_for
from twinrdf.endpoint.rdfviews import BY_SUFFIX, negotiate_rdf, prefixes, serialize

from twinrdf.resources import examples_dir

YASGUI_VERSION = "4.6.2"
SH = "http://www.w3.org/ns/shacl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SCHEMA = "https://schema.org/"

bp = Blueprint(
    "ui", __name__, static_folder="static", static_url_path="/-/static", template_folder="templates"
)


@dataclass(frozen=True)
class Example:
    """One example query: its IRI, a short name, the comment shown to users and the SPARQL."""

    iri: str
    name: str
    comment: str
    query: str
    group: str
    keywords: tuple[str, ...] = ()


def _example_files() -> list[tuple[str, Any]]:
    root = examples_dir() / "queries"
    if not root.is_dir():
        return []
    out: list[tuple[str, Any]] = []

    def walk(d: Any, prefix: str) -> None:
        for child in sorted(d.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".ttl"):
                out.append((f"{prefix}{child.name}", child))

    walk(root, "")
    return out


@lru_cache(maxsize=1)
def examples_graph() -> tuple[ox.Triple, ...]:
    """All example files as one graph (each file parsed on its own; a broken file is skipped)."""
    triples: list[ox.Triple] = []
    for _, f in _example_files():
        try:
            triples.extend(ox.parse(f.read_bytes(), format=ox.RdfFormat.TURTLE))
        except SyntaxError:
            continue
    return tuple(triples)


@lru_cache(maxsize=1)
def load_examples() -> tuple[Example, ...]:
    """The example queries, in file order (federation examples last)."""
    found: list[Example] = []
    for rel, f in _example_files():
        try:
            store = ox.Store()
            store.load(f.read_bytes(), format=ox.RdfFormat.TURTLE)
        except SyntaxError:
            continue
        q = f"""
SELECT ?ex ?comment ?query ?kw WHERE {{
  ?ex a <{SH}SPARQLExecutable> .
  ?ex <{SH}select>|<{SH}ask>|<{SH}construct>|<{SH}describe> ?query .
  OPTIONAL {{ ?ex <{RDFS}comment> ?comment }}
  OPTIONAL {{ ?ex <{SCHEMA}keywords> ?kw }}
}}"""
        by_ex: dict[str, dict[str, Any]] = {}
        for sol in store.query(q):
            d = by_ex.setdefault(
                sol["ex"].value,
                {
                    "comment": sol["comment"].value if sol["comment"] else "",
                    "query": sol["query"].value,
                    "kw": set(),
                },
            )
            if sol["kw"] is not None:
                d["kw"].add(sol["kw"].value)
        group = rel.rsplit("/", 1)[0] if "/" in rel else ""
        stem = rel.rsplit("/", 1)[-1].removesuffix(".ttl")
        for iri, d in sorted(by_ex.items()):
            name = stem if len(by_ex) == 1 else iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            found.append(
                Example(iri, name, d["comment"], _with_prefixes(d["query"]), group, tuple(sorted(d["kw"])))
            )
    found.sort(key=lambda e: (e.group == "federation", e.group, e.name))
    return tuple(found)


def _with_prefixes(query: str) -> str:
    """Declare the standard prefixes a query uses but does not declare (sh:prefixes style)."""
    lines = []
    for p, ns in prefixes().items():
        used = re.search(rf"(?<![\w\-.:]){re.escape(p)}:", query)
        declared = re.search(rf"(?i)PREFIX\s+{re.escape(p)}:", query)
        if used and not declared:
            lines.append(f"PREFIX {p}: <{ns}>")
    return ("\n".join(lines) + "\n" + query) if lines else query


def query_ui() -> Response:
    """The YASGUI page for this endpoint (what a browser gets at GET /sparql)."""
    endpoint = request.base_url
    config = {
        "endpoint": endpoint,
        "prefixesUrl": url_for("ui.prefixes_json"),
        "prefixes": prefixes(),
        "examples": [asdict(e) for e in load_examples()],
    }
    html = render_template(
        "ui/yasgui.html",
        config_json=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
        yasgui_js=url_for("ui.static", filename=f"vendor/yasgui-{YASGUI_VERSION}.min.js"),
        yasgui_css=url_for("ui.static", filename=f"vendor/yasgui-{YASGUI_VERSION}.min.css"),
        endpoint=endpoint,
        examples=load_examples(),
    )
    resp = Response(html, mimetype="text/html")
    resp.headers["Vary"] = "Accept"
    return resp


@bp.get("/-/prefixes.json")
def prefixes_json() -> Response:
    """The prefixes for YASQE's prefix autocompletion, in prefix.cc's JSON shape."""
    return Response(json.dumps(prefixes(), indent=1), mimetype="application/json")


@bp.get("/.well-known/sparql-examples")
def sparql_examples() -> Response:
    """The example queries as RDF (SIB sparql-examples style), or a list for browsers."""
    fmt = request.args.get("format")
    chosen = (BY_SUFFIX[fmt].mimetype, BY_SUFFIX[fmt]) if fmt in BY_SUFFIX else negotiate_rdf(html=True)
    if chosen is None:
        abort(406)
    _, output = chosen
    if output is None:
        resp = Response(render_template("ui/examples.html", examples=load_examples()), mimetype="text/html")
    else:
        resp = Response(
            serialize(examples_graph(), output, dict(prefixes(), sh=SH)), mimetype=output.mimetype
        )
    resp.headers["Vary"] = "Accept"
    return resp
