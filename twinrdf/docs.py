"""HTML documentation of the vocabulary (pyLODE) and of the SHACL shapes, usable offline.

``build_docs(outdir)`` writes
- ``index.html``: the twin: ontology rendered by pyLODE's OntPub profile;
- ``shapes.html``: the validation rules of ``shapes/twin-shapes.ttl`` (when the shapes exist);
- ``twin.ttl``, ``twin.jsonld``, ``context.jsonld``, ``alignments.ttl`` and ``twin-shapes.ttl``:
  the machine-readable files the w3id.org redirects point to (see docs/vocabulary.md).

Offline first: every page is checked for references that would make a browser fetch something
from another host (stylesheets, fonts, scripts, images); any found is removed, and the build
fails if one survives. Ordinary hyperlinks to the IRIs of other vocabularies stay.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import importlib.util
import json
import logging
import re
import sys
import tempfile
import types
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import click
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, SKOS

from twinrdf.resources import as_path, ontology_file, shapes_file
from twinrdf.vocab import load_ontology

SHAPES_NS = "https://w3id.org/twinrdf/shapes#"
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
_CSS_REMOTE = re.compile(
    r"""url\(\s*['"]?\s*(?:https?:)?//[^)]*\)|@import\s+(?:url\()?\s*['"]?\s*(?:https?:)?//[^;]*;""", re.I
)
# <link rel=...> values that make the browser load the target (hyperlinks like rel=alternate do not).
_LOADING_RELS = {
    "stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload", "manifest",
}
_LOADING_ATTRS = {"src", "srcset", "poster", "data", "background"}


class DocsError(click.ClickException):
    exit_code = 2


class _RemoteRefs(HTMLParser):
    """Collects the start tags that would load a resource from another host."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str]] = []  # (tag name, exact start-tag text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        remote = any(k in _LOADING_ATTRS and _REMOTE.match(v) for k, v in a.items())
        if tag == "link" and _REMOTE.match(a.get("href", "")):
            remote = remote or bool(set(a.get("rel", "").lower().split()) & _LOADING_RELS)
        if remote:
            self.tags.append((tag, self.get_starttag_text() or ""))

    handle_startendtag = handle_starttag


def remote_references(page: str) -> list[str]:
    """What in an HTML page would make a browser contact another host (empty when offline-safe)."""
    parser = _RemoteRefs()
    parser.feed(page)
    parser.close()
    return [text for _, text in parser.tags] + _CSS_REMOTE.findall(page)


def make_offline(page: str) -> str:
    """Remove the tags and CSS rules that load remote resources (a CDN stylesheet, a web font)."""
    parser = _RemoteRefs()
    parser.feed(page)
    parser.close()
    for tag, text in parser.tags:
        if tag in {"script", "iframe", "video", "audio", "object"}:
            page = re.sub(re.escape(text) + r".*?</" + tag + r"\s*>", "", page, flags=re.S | re.I)
        page = page.replace(text, "")
    return _CSS_REMOTE.sub("", page)


# --- pyLODE -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """pyLODE configures the root logger at DEBUG on import; keep the caller's logging as it was."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)


def _import_ontpub() -> type:
    """pyLODE's OntPub profile.

    pyLODE 3.4.1's wheel reads its version from a pyproject.toml that it does not ship; when
    that file is absent, provide ``pylode.version`` from the installed distribution's metadata."""
    if "pylode.version" not in sys.modules:
        spec = importlib.util.find_spec("pylode")
        if spec and spec.origin and not (Path(spec.origin).parent.parent / "pyproject.toml").exists():
            shim = types.ModuleType("pylode.version")
            shim.__version__ = metadata.version("pylode")  # type: ignore[attr-defined]
            sys.modules["pylode.version"] = shim
    with _quiet_root_logger():
        from pylode import OntPub
    return OntPub


@contextlib.contextmanager
def _pylode_lock() -> Iterator[None]:
    """pyLODE caches its background ontologies as a pickle inside its package on first use;
    serialise builds across processes so that none reads a half-written cache."""
    with open(Path(tempfile.gettempdir()) / "twinrdf-pylode.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ontology_for_pylode() -> Graph:
    """The ontology without its SKOS concept schemes and concepts: OntPub would read every
    skos:ConceptScheme as a second ontology header (mixing their titles into the page's). They
    are documented on concepts.html instead."""
    g = load_ontology()
    for s in {*g.subjects(RDF.type, SKOS.ConceptScheme), *g.subjects(RDF.type, SKOS.Concept)}:
        g.remove((s, None, None))
    return g


def ontology_html() -> str:
    """The twin: ontology as one self-contained HTML page (pyLODE OntPub, CSS inlined)."""
    ontpub = _import_ontpub()
    with _pylode_lock(), _quiet_root_logger():
        try:
            page = ontpub(_ontology_for_pylode(), sort_subjects=True).make_html(include_css=True)
        except Exception as exc:  # pyLODE raises PylodeError and plain errors alike
            raise DocsError(f"pyLODE could not document the ontology: {exc}") from exc
    links = [("concepts.html", "Concept schemes"), ("shapes.html", "Shapes"), ("twin.ttl", "Turtle"),
             ("twin.jsonld", "JSON-LD"), ("alignments.ttl", "Alignments")]
    nav = '<p id="twinrdf-nav">' + " · ".join(f'<a href="{h}">{x}</a>' for h, x in links) + "</p>"
    page = page.replace('<div id="content">', '<div id="content">' + nav, 1)
    return make_offline(_anchor_by_local_name(page))


_ENTITY = re.compile(r'(<div class="[^"]*\bentity" id=")([^"]+)(">.{0,600}?<code>)([^<]+)(</code>)', re.S)


def _anchor_by_local_name(page: str) -> str:
    """Give each term's section the id of its local name, so that the hash IRI
    https://w3id.org/twinrdf/ns#Locality, redirected to this page, lands on twin:Locality.
    (pyLODE derives ids from labels, such as "locality".) Internal links are rewritten to match."""
    ns = "https://w3id.org/twinrdf/ns#"
    renamed: dict[str, str] = {}

    def entity(m: re.Match[str]) -> str:
        iri = m.group(4).strip()
        if not iri.startswith(ns):
            return m.group(0)
        renamed[m.group(2)] = iri[len(ns):]
        return m.group(1) + iri[len(ns):] + m.group(3) + m.group(4) + m.group(5)

    page = _ENTITY.sub(entity, page)
    ids = set(re.findall(r'\bid="([^"]+)"', page))

    def link(m: re.Match[str]) -> str:
        target = renamed.get(m.group(1), m.group(1))
        # concepts, schemes and datatypes are documented on concepts.html
        return f'href="#{target}"' if target in ids else f'href="concepts.html#{target}"'

    return re.sub(r'href="#([^"]+)"', link, page)


# --- the shapes page ---------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 75em; line-height: 1.4; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }}
td code {{ overflow-wrap: anywhere; }}
th {{ background: #f3f3f3; }} code {{ font-size: 90%; }}
.Violation {{ color: #a00; }} .Warning {{ color: #a60; }} .Info {{ color: #06a; }}
</style></head><body>
<p><a href="index.html">Vocabulary</a> · <a href="concepts.html">Concept schemes</a> ·
<a href="shapes.html">Shapes</a> · <a href="twin.ttl">Turtle</a> · <a href="twin.jsonld">JSON-LD</a></p>
<h1>{title}</h1>
{body}
</body></html>
"""


def _short(g: Graph, node: object) -> str:
    if isinstance(node, URIRef):
        try:
            return g.namespace_manager.normalizeUri(node)
        except Exception:  # noqa: BLE001 - an IRI rdflib cannot shorten is shown in full
            return str(node)
    if isinstance(node, Literal):
        return str(node)
    items = list(g.items(node)) if (node, RDF.first, None) in g else []  # an RDF list (sh:or, sh:in)
    if items:
        return "(" + " ".join(_short(g, i) for i in items) + ")"
    return "[" + "; ".join(f"{_short(g, p)} {_short(g, o)}" for p, o in g.predicate_objects(node)) + "]"


def _text(g: Graph, s: object, p: URIRef) -> str:
    values = sorted(g.objects(s, p), key=lambda o: (getattr(o, "language", None) != "en", str(o)))
    return str(values[0]) if values else ""


_SHOWN = {RDF.type, RDFS.label, SH.path, SH.message, SH.severity, SH.description, SH.name, SH.property}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def _targets(g: Graph, shape: object) -> list[str]:
    own = [f"{_short(g, p).split(':')[-1]} {_short(g, t)}" for p in _TARGETS for t in g.objects(shape, p)]
    via = [f"{_short(g, p).split(':')[-1]} {_short(g, t)}"
           for parent in g.subjects(SH.property, shape) for p in _TARGETS for t in g.objects(parent, p)]
    return sorted(set(own + via))


def shapes_html(shapes: Graph) -> str:
    """Every rule of the shapes (a shape with an sh:message) in one table: its id, what it
    applies to, its path and constraint, its severity, what it checks and what it tells a
    publisher."""
    shapes.bind("twinsh", SHAPES_NS)
    shapes.bind("twin", "https://w3id.org/twinrdf/ns#")
    header = URIRef("https://w3id.org/twinrdf/shapes")
    title = _text(shapes, header, RDFS.label) or "SHACL shapes"
    parts = []
    desc = _text(shapes, header, DCTERMS.description)
    if desc:
        parts.append(f"<p>{html.escape(desc)}</p>")
    rules = sorted({s for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef)}, key=str)
    rows = []
    for rule in rules:
        rule_id = str(rule).rsplit("#", 1)[-1]
        constraint = "; ".join(
            f"{_short(shapes, p)} {_short(shapes, o)}"
            for p, o in sorted(shapes.predicate_objects(rule), key=lambda po: (str(po[0]), str(po[1])))
            if p not in _SHOWN and p not in _TARGETS and str(p).startswith(str(SH))
        )
        sev = shapes.value(rule, SH.severity)
        severity = str(sev).rsplit("#", 1)[-1] if sev is not None else ""
        path = shapes.value(rule, SH.path)
        cells = [
            f"<code>{html.escape(rule_id)}</code><br>{html.escape(_text(shapes, rule, RDFS.label))}",
            "<br>".join(f"<code>{html.escape(x)}</code>" for x in _targets(shapes, rule)),
            f"<code>{html.escape(_short(shapes, path))}</code>" if path is not None else "",
            f"<code>{html.escape(constraint)}</code>",
            html.escape(severity),
            html.escape(_text(shapes, rule, SH.description)),
            html.escape(_text(shapes, rule, SH.message)),
        ]
        tds = "".join(f'<td class="{html.escape(severity)}">{c}</td>' if i == 4 else f"<td>{c}</td>"
                      for i, c in enumerate(cells))
        rows.append(f'<tr id="{html.escape(rule_id)}">{tds}</tr>')
    parts.append(f"<p>{len(rules)} rules.</p>")
    parts.append(
        "<table><tr><th>rule</th><th>applies to</th><th>path</th><th>constraint</th><th>severity</th>"
        "<th>what it checks</th><th>message</th></tr>" + "\n".join(rows) + "</table>"
    )
    return _PAGE.format(title=html.escape(title), body="\n".join(parts))


def concepts_html(g: Graph) -> str:
    """The SKOS concept schemes and the datatypes of the vocabulary, which pyLODE's OntPub does not
    list: one table per scheme with each concept's IRI, labels and definition."""
    g.bind("twin", "https://w3id.org/twinrdf/ns#")
    parts = []
    for scheme in sorted(g.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        name = str(scheme).rsplit("#", 1)[-1]
        parts.append(f'<h2 id="{html.escape(name)}">{html.escape(_text(g, scheme, RDFS.label))} '
                     f"<code>{html.escape(_short(g, scheme))}</code></h2>")
        parts.append(f"<p>{html.escape(_text(g, scheme, SKOS.definition))}</p>")
        rows = []
        for concept in sorted(g.subjects(SKOS.inScheme, scheme), key=str):
            cname = str(concept).rsplit("#", 1)[-1]
            alt = ", ".join(sorted(str(o) for o in g.objects(concept, SKOS.altLabel)))
            rows.append(
                f'<tr id="{html.escape(cname)}"><td><code>{html.escape(_short(g, concept))}</code></td>'
                f"<td>{html.escape(_text(g, concept, RDFS.label))}</td><td>{html.escape(alt)}</td>"
                f"<td>{html.escape(_text(g, concept, SKOS.definition))}</td></tr>"
            )
        parts.append("<table><tr><th>concept</th><th>label</th><th>also called</th><th>definition</th></tr>"
                     + "\n".join(rows) + "</table>")
    parts.append("<h2>Datatypes</h2>")
    for dt in sorted(s for s in g.subjects(RDF.type, RDFS.Datatype) if isinstance(s, URIRef)):
        name = str(dt).rsplit("#", 1)[-1]
        union = [_short(g, m) for eq in g.objects(dt, OWL.equivalentClass) for u in g.objects(eq, OWL.unionOf)
                 for m in g.items(u)]
        parts.append(
            f'<h3 id="{html.escape(name)}"><code>{html.escape(_short(g, dt))}</code> '
            f"{html.escape(_text(g, dt, RDFS.label))}</h3><p>{html.escape(_text(g, dt, SKOS.definition))}</p>"
            + (f"<p>Union of <code>{html.escape(' '.join(union))}</code>.</p>" if union else "")
        )
    title = "Concept schemes and datatypes of the twinning vocabulary"
    return _PAGE.format(title=title, body="\n".join(parts))


# --- the build ---------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    from twinrdf.rdfio import atomic_text

    with atomic_text(path) as f:
        f.write(text)


def build_docs(outdir: Path) -> list[Path]:
    """Write the HTML documentation and the machine-readable vocabulary files into ``outdir``;
    return the files written. Raises DocsError if a page would still load a remote resource."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    context = json.loads(ontology_file("context.jsonld").read_text(encoding="utf-8"))["@context"]
    pages: dict[str, str] = {
        "index.html": ontology_html(),
        "concepts.html": concepts_html(load_ontology()),
        "twin.ttl": ontology_file("twin.ttl").read_text(encoding="utf-8"),
        "twin.jsonld": load_ontology().serialize(format="json-ld", context=context),
        "context.jsonld": ontology_file("context.jsonld").read_text(encoding="utf-8"),
        "alignments.ttl": ontology_file("alignments.ttl").read_text(encoding="utf-8"),
    }
    shapes_path = as_path(shapes_file())
    if shapes_path.is_file():
        pages["shapes.html"] = make_offline(shapes_html(Graph().parse(shapes_path, format="turtle")))
        pages["twin-shapes.ttl"] = shapes_path.read_text(encoding="utf-8")
    written = []
    for name, text in pages.items():
        if name.endswith(".html") and (left := remote_references(text)):
            raise DocsError(f"{name} would load remote resources: {left[:3]}")
        _write_atomic(outdir / name, text)
        written.append(outdir / name)
    return written


@click.command("docs")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
def docs_command(outdir: Path) -> None:
    """Write HTML documentation of the vocabulary and the shapes to OUTDIR (works offline)."""
    try:
        for path in build_docs(outdir):
            click.echo(str(path))
    except (OSError, SyntaxError, ValueError) as exc:  # unwritable OUTDIR, unparseable shapes
        raise DocsError(str(exc)) from exc


__all__ = ["build_docs", "docs_command", "make_offline", "remote_references", "shapes_html"]
