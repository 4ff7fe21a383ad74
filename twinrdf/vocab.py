"""The vocabulary as data: load it, print it, and generate the artefacts derived from it.

The ontology (``ontology/twin.ttl``) is the source of truth. From it this module generates
``twinrdf/namespace.py`` (an rdflib ``DefinedNamespace``), ``ontology/context.jsonld`` (a JSON-LD
context), the term list of ``docs/vocabulary.md`` and the canonical Turtle layout of ``twin.ttl``
and ``alignments.ttl`` themselves, so that every edit produces a small, readable diff.
``twinrdf vocab --generate`` rewrites them all; ``twinrdf vocab --check`` (and the test suite)
fails when one has drifted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from rdflib import OWL, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef

from twinrdf.resources import VOCAB_IRI, VOCAB_NS, as_path, ontology_file

#: Prefixes that the canonical Turtle and the JSON-LD context use (one binding per namespace).
PREFIXES: dict[str, str] = {
    "twin": VOCAB_NS,
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": "http://purl.org/dc/terms/",
    "vann": "http://purl.org/vocab/vann/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wgs84": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "schema": "https://schema.org/",
    "time": "http://www.w3.org/2006/time#",
    "gn": "http://www.geonames.org/ontology#",
    "dbo": "http://dbpedia.org/ontology/",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
}

#: Terms of other vocabularies that twin: data reuses instead of minting its own (they are
#: named in the ontology's description and get a short name in the JSON-LD context).
REUSED_TERMS: dict[str, tuple[str, dict[str, str]]] = {
    "label": ("rdfs:label", {"@container": "@language"}),
    "prefLabel": ("skos:prefLabel", {"@container": "@language"}),
    "altLabel": ("skos:altLabel", {"@container": "@language"}),
    "note": ("skos:note", {}),
    "title": ("dcterms:title", {}),
    "description": ("dcterms:description", {}),
    "publisher": ("dcterms:publisher", {"@type": "@id"}),
    "lat": ("wgs84:lat", {"@type": "xsd:decimal"}),
    "long": ("wgs84:long", {"@type": "xsd:decimal"}),
    "hasGeometry": ("geo:hasGeometry", {"@type": "@id"}),
    "asWKT": ("geo:asWKT", {"@type": "geo:wktLiteral"}),
    "wasDerivedFrom": ("prov:wasDerivedFrom", {"@type": "@id"}),
    "hadPrimarySource": ("prov:hadPrimarySource", {"@type": "@id"}),
}

ONTOLOGY = URIRef(VOCAB_IRI)
KIND_ORDER = ("Class", "ObjectProperty", "DatatypeProperty", "Datatype", "ConceptScheme", "Concept")
SECTION_TITLES = {
    "Ontology": "The ontology",
    "Class": "Classes",
    "ObjectProperty": "Object properties",
    "DatatypeProperty": "Datatype properties",
    "Datatype": "Datatypes",
    "ConceptScheme": "Concept schemes",
    "Concept": "Concepts",
    "Other": "Statements about terms defined elsewhere",
}


class VocabError(click.ClickException):
    """A problem with the vocabulary files (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Term:
    """One term defined by the ontology."""

    iri: URIRef
    name: str  # local name after the namespace
    kind: str  # one of KIND_ORDER
    label: str
    definition: str


def ontology_text() -> str:
    return ontology_file("twin.ttl").read_text(encoding="utf-8")


def load_ontology(alignments: bool = False) -> Graph:
    """The ontology as an rdflib Graph (plus the alignments when asked)."""
    g = Graph()
    g.parse(data=ontology_text(), format="turtle")
    if alignments:
        g.parse(data=ontology_file("alignments.ttl").read_text(encoding="utf-8"), format="turtle")
    return g


def _kind(g: Graph, s: URIRef) -> str | None:
    types = set(g.objects(s, RDF.type))
    for kind, t in (
        ("Class", OWL.Class),
        ("ObjectProperty", OWL.ObjectProperty),
        ("DatatypeProperty", OWL.DatatypeProperty),
        ("Datatype", RDFS.Datatype),
        ("ConceptScheme", SKOS.ConceptScheme),
        ("Concept", SKOS.Concept),
    ):
        if t in types:
            return kind
    return None


def _en(g: Graph, s: URIRef, p: URIRef) -> str:
    values = sorted(str(o) for o in g.objects(s, p) if isinstance(o, Literal) and o.language == "en")
    return values[0] if values else ""


def vocabulary_terms(g: Graph | None = None) -> list[Term]:
    """Every term in the twin: namespace that the ontology defines, ordered by kind then name."""
    g = load_ontology() if g is None else g
    terms = []
    for s in set(g.subjects()):
        if not isinstance(s, URIRef) or not str(s).startswith(VOCAB_NS):
            continue
        kind = _kind(g, s)
        if kind is None:
            continue
        terms.append(Term(s, str(s)[len(VOCAB_NS):], kind, _en(g, s, RDFS.label), _en(g, s, SKOS.definition)))
    return sorted(terms, key=lambda t: (KIND_ORDER.index(t.kind), t.name))


# --- canonical Turtle -------------------------------------------------------------------------


def _closure(g: Graph, s: URIRef | BNode, out: Graph) -> None:
    """Add the triples of ``s`` and of the blank nodes it reaches (its concise bounded description)."""
    for p, o in g.predicate_objects(s):
        out.add((s, p, o))
        if isinstance(o, BNode):
            _closure(g, o, out)


def canonical_turtle(g: Graph) -> str:
    """A deterministic Turtle layout, grouped into commented sections (ontology, classes, object
    properties, ..., concepts), each sorted by name, with rdflib's sorted ``longturtle`` writer
    inside a section. Reparsing and rewriting gives the same text, so diffs stay readable."""
    groups: dict[str, list[URIRef]] = {}
    for s in sorted({s for s in g.subjects() if isinstance(s, URIRef)}, key=str):
        if (s, RDF.type, OWL.Ontology) in g:
            key = "Ontology"
        else:
            key = _kind(g, s) or "Other"
        groups.setdefault(key, []).append(s)
    covered: set = set()
    out = ["".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))]
    for key in ("Ontology", *KIND_ORDER, "Other"):
        if key not in groups:
            continue
        sub = Graph()
        for p, ns in PREFIXES.items():
            sub.bind(p, ns, replace=True)
        for s in groups[key]:
            _closure(g, s, sub)
        covered.update(sub)
        body = sub.serialize(format="longturtle")
        body = "\n".join(line for line in body.splitlines() if not line.startswith("PREFIX ")).strip()
        rule = "#" * 100
        out.append(f"\n{rule}\n# {SECTION_TITLES[key]}\n{rule}\n\n{body}\n")
    missing = [t for t in g if t not in covered]
    if missing:
        raise VocabError(f"canonical Turtle would drop {len(missing)} triples hanging off blank nodes")
    return "".join(out)


# --- generated artefacts ----------------------------------------------------------------------


def _python_comment(text: str) -> str:
    return " ".join(text.split())


def generate_namespace() -> str:
    """The source of ``twinrdf/namespace.py``: a DefinedNamespace listing every twin: term."""
    g = load_ontology()
    version = str(g.value(ONTOLOGY, OWL.versionInfo) or "")
    lines = [
        '"""The twin: vocabulary as an rdflib DefinedNamespace (unknown terms raise AttributeError).',
        "",
        f"GENERATED from ontology/twin.ttl (<{VOCAB_IRI}>, version {version}) by",
        "``twinrdf vocab --generate``. Do not edit by hand: edit the ontology and regenerate;",
        "tests/test_ontology_artifacts.py fails when this file has drifted from the ontology.",
        '"""',
        "",
        "from rdflib.namespace import DefinedNamespace, Namespace",
        "from rdflib.term import URIRef",
        "",
        "",
        "class TWIN(DefinedNamespace):",
        f'    """{_python_comment(_en(g, ONTOLOGY, URIRef("http://purl.org/dc/terms/title")))}"""',
        "",
        "    _fail = True",
        f'    _NS = Namespace("{VOCAB_NS}")',
    ]
    current = None
    for term in vocabulary_terms(g):
        if term.kind != current:
            current = term.kind
            lines += ["", f"    # {SECTION_TITLES[current]}"]
        lines.append(f"    {term.name}: URIRef  # {_python_comment(term.label)}")
    return "\n".join(lines) + "\n"


def _is_concept_class(g: Graph, cls: URIRef) -> bool:
    return (cls, RDFS.subClassOf, SKOS.Concept) in g


def generate_context() -> str:
    """The source of ``ontology/context.jsonld``: prefixes, the reused terms and one term per
    twin: class, concept, scheme and property. Object properties are ``@id``-typed (``@vocab``
    when their range is a concept class, so ``"kind": "TwinTown"`` works); datatype properties
    carry their XSD datatype, except those ranging over twin:PartialDate, whose literals keep the
    precise type (gYear, gYearMonth or date) they are written with."""
    g = load_ontology()
    ctx: dict[str, object] = {"@version": 1.1}
    ctx.update({p: ns for p, ns in sorted(PREFIXES.items())})
    ctx.update({"id": "@id", "type": "@type"})
    for short, (curie, extra) in sorted(REUSED_TERMS.items()):
        ctx[short] = {"@id": curie, **extra} if extra else curie
    for term in vocabulary_terms(g):
        curie = f"twin:{term.name}"
        if term.kind == "ObjectProperty":
            ranges = list(g.objects(term.iri, RDFS.range))
            vocab = ranges and all(isinstance(r, URIRef) and _is_concept_class(g, r) for r in ranges)
            ctx[term.name] = {"@id": curie, "@type": "@vocab" if vocab else "@id"}
        elif term.kind == "DatatypeProperty":
            rng = g.value(term.iri, RDFS.range)
            if rng is not None and str(rng).startswith(str(XSD)) and rng != XSD.string:
                ctx[term.name] = {"@id": curie, "@type": f"xsd:{str(rng)[len(str(XSD)):]}"}
            else:
                ctx[term.name] = {"@id": curie}
        else:
            ctx[term.name] = curie
    return json.dumps({"@context": ctx}, indent=2, ensure_ascii=False) + "\n"


SCHEMA_DOMAIN = URIRef("https://schema.org/domainIncludes")
SCHEMA_RANGE = URIRef("https://schema.org/rangeIncludes")
BEGIN_TERMS = "<!-- BEGIN GENERATED TERMS (twinrdf vocab --generate) -->"
END_TERMS = "<!-- END GENERATED TERMS -->"


def _curies(g: Graph, nodes: object) -> str:
    out = []
    for n in sorted(nodes, key=str):  # type: ignore[call-overload]
        if isinstance(n, URIRef):
            out.append(n.n3(g.namespace_manager).replace("twin:", ""))
    return ", ".join(out)


def terms_markdown(g: Graph | None = None) -> str:
    """A compact Markdown list of every term: classes with their superclasses, properties with
    domain and range (``~`` marks schema:domainIncludes / rangeIncludes), concepts by scheme."""
    g = load_ontology() if g is None else g
    for p, ns in PREFIXES.items():
        g.bind(p, ns, replace=True)
    terms = vocabulary_terms(g)
    out: list[str] = []
    by_kind: dict[str, list[Term]] = {}
    for term in terms:
        by_kind.setdefault(term.kind, []).append(term)
    classes = by_kind.get("Class", [])
    out += [f"### Classes ({len(classes)})", "", "| class | label | subclass of |", "|---|---|---|"]
    out += [f"| `{c.name}` | {c.label} | {_curies(g, g.objects(c.iri, RDFS.subClassOf))} |" for c in classes]
    for kind in ("ObjectProperty", "DatatypeProperty"):
        props = by_kind.get(kind, [])
        out += ["", f"### {SECTION_TITLES[kind]} ({len(props)})", "", "| property | label | domain | range |",
                "|---|---|---|---|"]
        for prop in props:
            dom = _curies(g, g.objects(prop.iri, RDFS.domain)) or (
                "~ " + _curies(g, g.objects(prop.iri, SCHEMA_DOMAIN)))
            rng = _curies(g, g.objects(prop.iri, RDFS.range)) or (
                "~ " + _curies(g, g.objects(prop.iri, SCHEMA_RANGE)))
            flags = [f.split("#")[1].removesuffix("Property") for f in map(str, g.objects(prop.iri, RDF.type))
                     if f.endswith(("SymmetricProperty", "IrreflexiveProperty", "TransitiveProperty"))]
            inverse = _curies(g, g.objects(prop.iri, OWL.inverseOf))
            note = "".join(f" ({f.lower()})" for f in sorted(flags))
            note += f" (inverse of {inverse})" if inverse else ""
            out.append(f"| `{prop.name}`{note} | {prop.label} | {dom} | {rng} |")
    datatypes = by_kind.get("Datatype", [])
    out += ["", f"### Datatypes ({len(datatypes)})", ""]
    out += [f"- `{d.name}`: {d.definition}" for d in datatypes]
    schemes = by_kind.get("ConceptScheme", [])
    concepts = by_kind.get("Concept", [])
    out += ["", f"### Concept schemes ({len(schemes)}) and concepts ({len(concepts)})", ""]
    for scheme in schemes:
        members = sorted(c.name for c in concepts if (c.iri, SKOS.inScheme, scheme.iri) in g)
        out.append(f"- `{scheme.name}`: " + ", ".join(f"`{m}`" for m in members))
    return "\n".join(out) + "\n"


def _vocabulary_md_path() -> Path:
    return as_path(ontology_file("twin.ttl")).parent.parent / "docs" / "vocabulary.md"


def generate_vocabulary_md() -> str:
    """docs/vocabulary.md with its generated term list brought up to date (the rest is prose)."""
    path = _vocabulary_md_path()
    skeleton = f"# The twin: vocabulary\n\n{BEGIN_TERMS}\n{END_TERMS}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else skeleton
    if BEGIN_TERMS not in text or END_TERMS not in text:
        raise VocabError(f"{path}: the markers {BEGIN_TERMS} and {END_TERMS} are missing")
    head, rest = text.split(BEGIN_TERMS, 1)
    _, tail = rest.split(END_TERMS, 1)
    return f"{head}{BEGIN_TERMS}\n\n{terms_markdown()}\n{END_TERMS}{tail}"


def _canonical_file(name: str) -> Callable[[], str]:
    def gen() -> str:
        g = Graph()
        g.parse(data=ontology_file(name).read_text(encoding="utf-8"), format="turtle")
        return canonical_turtle(g)

    gen.__doc__ = f"The canonical Turtle layout of ontology/{name}."
    return gen


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


#: artefact name -> (generator, where it lives in a source checkout)
ARTIFACTS: dict[str, tuple[Callable[[], str], Callable[[], Path]]] = {
    "twin.ttl": (_canonical_file("twin.ttl"), lambda: as_path(ontology_file("twin.ttl"))),
    "alignments.ttl": (_canonical_file("alignments.ttl"), lambda: as_path(ontology_file("alignments.ttl"))),
    "namespace.py": (generate_namespace, lambda: _package_dir() / "namespace.py"),
    "context.jsonld": (generate_context, lambda: as_path(ontology_file("context.jsonld"))),
    # only in a source checkout (an installed package has no docs/ folder: skipped there)
    "vocabulary.md": (generate_vocabulary_md, _vocabulary_md_path),
}


def stale_artifacts() -> list[Path]:
    """The generated files whose content differs from what the ontology generates now."""
    stale = []
    for gen, where in ARTIFACTS.values():
        path = where()
        if not path.parent.is_dir():
            continue
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != gen():
            stale.append(path)
    return stale


def _write_atomic(path: Path, text: str) -> None:
    from twinrdf.rdfio import atomic_text

    with atomic_text(path) as f:  # no newline translation: "\n" on every platform
        f.write(text)


def write_artifacts() -> list[Path]:
    """Regenerate every derived file in the source checkout; return the ones that changed.

    The Turtle files go first, since the namespace and the context are read from them."""
    changed = []
    for gen, where in ARTIFACTS.values():
        path = where()
        if not path.parent.is_dir():
            continue
        text = gen()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            _write_atomic(path, text)
            changed.append(path)
    return changed


@click.command("vocab")
@click.option("--alignments", is_flag=True, help="Print the alignments (ontology/alignments.ttl) instead.")
@click.option(
    "--format", "fmt", type=click.Choice(["turtle", "json-ld", "nt"]), default="turtle", show_default=True,
    help="Serialisation to print (turtle prints the file as shipped).",
)
@click.option(
    "--generate", is_flag=True,
    help="Rewrite the derived files in the source checkout (canonical twin.ttl and alignments.ttl, "
    "twinrdf/namespace.py, ontology/context.jsonld, the term list in docs/vocabulary.md).",
)
@click.option("--check", is_flag=True, help="Exit 1 if a derived file differs from what --generate writes.")
@click.option(
    "--qc", is_flag=True, help="Run the quality checks (ontology/qc/*-violation.rq); exit 1 on any row."
)
def vocab_command(alignments: bool, fmt: str, generate: bool, check: bool, qc: bool) -> None:
    """Print the twin: vocabulary (OWL), or regenerate and check the files derived from it."""
    try:
        if qc:
            from twinrdf.qc import check_files, run_qc

            violations = run_qc()
            for v in violations:
                click.echo(str(v))
            click.echo(f"{len(check_files())} checks, {len(violations)} violations", err=True)
            sys.exit(1 if violations else 0)
        if generate:
            for path in write_artifacts():
                click.echo(f"rewrote {path}")
            return
        if check:
            stale = stale_artifacts()
            for path in stale:
                click.echo(f"stale: {path} (run: twinrdf vocab --generate)", err=True)
            sys.exit(1 if stale else 0)
        name = "alignments.ttl" if alignments else "twin.ttl"
        text = ontology_file(name).read_text(encoding="utf-8")
        if fmt != "turtle":
            g = Graph()
            g.parse(data=text, format="turtle")
            if fmt == "json-ld":
                context = json.loads(ontology_file("context.jsonld").read_text(encoding="utf-8"))["@context"]
                text = g.serialize(format="json-ld", context=context)
            else:
                text = g.serialize(format=fmt)
        sys.stdout.write(text)
    except (OSError, SyntaxError, ValueError) as exc:
        raise VocabError(str(exc)) from exc
