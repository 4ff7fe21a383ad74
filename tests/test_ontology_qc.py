"""Every ontology QC query (ontology/qc/*-violation.rq) returns no rows, and each one catches
the fault it names when the fault is put in."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Store

from twinrdf import qc

CHECKS = qc.check_files()


@pytest.fixture(scope="module")
def store() -> Store:
    return qc.qc_store()


def test_there_are_checks():
    assert len(CHECKS) >= 8


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.name)
def test_check_finds_no_violation(check, store):
    rows = qc.run_check(check, store)
    assert not rows, "\n".join(str(v) for v in rows)


PREFIXES = """
PREFIX twin: <https://w3id.org/twinrdf/ns#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

# A faulty addition to the ontology per check, and the term the check must then report.
MUTANTS = {
    "term-without-english-label": (
        'twin:Mut a owl:Class ; rdfs:label "x"@fr ; skos:definition "d"@en .', "Mut"
    ),
    "term-without-definition": ('twin:Mut a owl:Class ; rdfs:label "mutant"@en .', "Mut"),
    "term-without-is-defined-by": (
        'twin:Mut a owl:Class ; rdfs:label "mutant"@en ; skos:definition "d"@en .', "Mut"
    ),
    "property-without-domain": ("twin:mut a owl:ObjectProperty ; rdfs:range twin:Locality .", "mut"),
    "property-without-range": ("twin:mut a owl:DatatypeProperty ; rdfs:domain twin:Locality .", "mut"),
    "property-range-kind": ("twin:mut a owl:ObjectProperty ; rdfs:range xsd:string .", "mut"),
    "concept-not-in-scheme": ("twin:Mut a skos:Concept, twin:Purpose .", "Mut"),
    "duplicate-label": ('twin:Mut a owl:Class ; rdfs:label "city"@en .', "Mut"),
    "symmetric-property-domain-range": (
        "twin:mut a owl:ObjectProperty, owl:SymmetricProperty ;"
        " rdfs:domain twin:Locality ; rdfs:range twin:Agent .",
        "mut",
    ),
    "inverse-property-domain-range": (
        "twin:mut a owl:ObjectProperty ; owl:inverseOf twin:partner ; rdfs:domain twin:Agent .", "mut"
    ),
}


@pytest.mark.parametrize("check", sorted(MUTANTS))
def test_check_catches_its_fault(check, store):
    path = next(p for p in CHECKS if p.name == f"{check}-violation.rq")
    turtle, term = MUTANTS[check]
    ontology = qc.ontology_file("twin.ttl").read_text(encoding="utf-8")
    assert not qc.run_check(path, store)
    rows = qc.run_check(path, qc.qc_store(ontology=ontology + PREFIXES + turtle))
    assert any(value.endswith("#" + term) for v in rows for value in v.row.values()), rows


def test_metadata_check_catches_a_missing_licence():
    path = next(p for p in CHECKS if p.name == "ontology-metadata-violation.rq")
    ontology = qc.ontology_file("twin.ttl").read_text(encoding="utf-8")
    s = qc.qc_store(ontology=ontology)
    s.update("DELETE WHERE { ?o <http://purl.org/dc/terms/license> ?l }")
    assert [v.row["missing"] for v in qc.run_check(path, s)] == ["http://purl.org/dc/terms/license"]


def test_undefined_terms_are_reported_from_turtle_queries_and_shapes(tmp_path):
    data = tmp_path / "data.ttl"
    data.write_text(PREFIXES + "<urn:x> a twin:Cty ; twin:partner <urn:y> .\n")
    query = tmp_path / "q.rq"
    query.write_text(
        PREFIXES + "SELECT * { ?a twin:twinnedWith ?b ; <https://w3id.org/twinrdf/ns#partnr> ?c }"
    )
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        PREFIXES + 'PREFIX sh: <http://www.w3.org/ns/shacl#>\n'
        '<urn:s> sh:sparql [ sh:select "SELECT $this WHERE { $this twin:nosuch ?x }" ] .\n'
    )
    violations = qc.run_qc([data, query, shapes])
    found = {(v.row["term"].rsplit("#", 1)[1], Path(v.row["where"]).name) for v in violations}
    assert found == {("Cty", "data.ttl"), ("partnr", "q.rq"), ("nosuch", "shapes.ttl")}


def test_usage_covers_shapes_examples_rules_and_alignments():
    names = {p.name for p in qc.usage_files()}
    assert {"twin.ttl", "alignments.ttl", "example.ttl", "twinned-with.rq"} <= names


def test_terms_in_query_reads_prefixed_and_full_iris():
    text = "PREFIX twin: <https://w3id.org/twinrdf/ns#> ASK { ?a twin:partner ?b . ?b a twin:City. }"
    assert qc.terms_in_query(text) == {"partner", "City"}
