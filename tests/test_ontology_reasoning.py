"""OWL 2 RL closure (owlrl) of the ontology, its alignments and the example data is consistent
and yields the expected inferences; the documented SPARQL rule derives twin:twinnedWith."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import XSD

from tests.support.ontology import once
from twinrdf.namespace import TWIN
from twinrdf.reasoning import Closure, derive_twinned_with, owl_rl_closure, twinned_with_rule

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "ontology" / "examples" / "example.ttl"
PLACE = Namespace("https://example.org/twinning/place/")
AGREEMENT = Namespace("https://example.org/twinning/agreement/")
AGENT = Namespace("https://example.org/twinning/agent/")
ORG = Namespace("http://www.w3.org/ns/org#")
SDO = Namespace("https://schema.org/")
PREFIXES = "PREFIX twin: <https://w3id.org/twinrdf/ns#>\n"


@pytest.fixture(scope="module")
def example() -> Graph:
    return Graph().parse(EXAMPLE)


ONE_WAY = PREFIXES + "<urn:a> a twin:Town ; twin:twinnedWith <urn:b> ."  # only one direction stated


def _build_closure(out: Path) -> None:
    example = Graph().parse(EXAMPLE)
    data = example + derive_twinned_with(example) + Graph().parse(data=ONE_WAY, format="turtle")
    result = owl_rl_closure(data)
    (out / "closure.pickle").write_bytes(pickle.dumps(result))  # generalised RDF: not N-Triples


@pytest.fixture(scope="module")
def closure(tmp_path_factory) -> Closure:
    """The closure of ontology + alignments + example data (+ rule output), computed once per run."""
    out = once(tmp_path_factory, "owlrl-closure", _build_closure)
    return pickle.loads((out / "closure.pickle").read_bytes())


def test_closure_of_ontology_alignments_and_example_is_consistent(closure):
    assert closure.consistent, closure.errors


def test_closure_types_by_subclass_and_domain(closure):
    g = closure.graph
    assert (PLACE.coventry, RDF.type, TWIN.Locality) in g  # City ⊑ Locality
    assert (PLACE.coventry, RDF.type, SDO.Place) in g  # via the alignments
    assert (PLACE["poix-du-nord"], RDF.type, TWIN.Locality) in g  # Municipality ⊑ Locality
    assert (AGENT["coventry-city-council"], RDF.type, ORG.Organization) in g  # ⊑ org:Organization
    assert (AGENT["coventry-city-council"], RDF.type, TWIN.Agent) in g
    assert (TWIN.TwinTown, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in g
    # partnerOf is the inverse of partner
    assert (PLACE.keighley, TWIN.partnerOf, AGREEMENT["keighley--poix-du-nord"]) in g


def test_twinned_with_is_symmetric_under_owl_rl(closure):
    assert (URIRef("urn:b"), TWIN.twinnedWith, URIRef("urn:a")) in closure.graph
    assert (URIRef("urn:b"), RDF.type, TWIN.Locality) in closure.graph  # by the range


def test_closure_reports_inconsistencies():
    data = Graph().parse(
        data=PREFIXES + "<urn:a> twin:twinnedWith <urn:a> . <urn:x> a twin:City, twin:TwinningAgreement .",
        format="turtle",
    )
    errors = owl_rl_closure(data, alignments=False).errors
    assert any("Irreflexive" in e and "urn:a" in e for e in errors), errors
    assert any("urn:x" in e for e in errors), errors  # Locality and TwinningAgreement are disjoint


def test_rule_derives_twinned_with_in_both_directions(example):
    derived = derive_twinned_with(example)
    pairs = {(s.split("/")[-1], o.split("/")[-1]) for s, _, o in derived}
    assert pairs == {
        ("keighley", "poix-du-nord"), ("poix-du-nord", "keighley"),
        ("coventry", "volgograd"), ("volgograd", "coventry"),
    }
    assert all(p == TWIN.twinnedWith for _, p, _ in derived)


def test_rule_skips_self_links_and_agreements_never_concluded():
    data = Graph().parse(
        data=PREFIXES
        + """
        <urn:ag1> a twin:TwinningAgreement ; twin:partner <urn:pr>, <urn:na> ; twin:status twin:Proposed .
        <urn:ag2> a twin:TwinningAgreement ; twin:partner <urn:a>, <urn:b>, <urn:c> ; twin:status twin:Ended .
        <urn:ag3> a twin:TwinningAgreement ; twin:partner <urn:d>, <urn:e> ; twin:status twin:Abandoned .
        """,
        format="turtle",
    )
    derived = {(str(s), str(o)) for s, _, o in derive_twinned_with(data)}
    letters = ("urn:a", "urn:b", "urn:c")
    assert derived == {(x, y) for x in letters for y in letters if x != y}  # three partners: six links
    assert "FILTER (?a != ?b)" in twinned_with_rule()


def test_example_states_the_two_seed_facts(example):
    """Keighley – Poix-du-Nord 1920, and Coventry City Council suspending the Volgograd link in 2022."""
    rows = list(example.query(PREFIXES + """
        SELECT ?kind ?start WHERE {
          ?ag twin:partner ?k, ?p ; twin:kind ?kind ; twin:startDate ?start .
          ?k rdfs:label "Keighley"@en . ?p rdfs:label "Poix-du-Nord"@fr .
        }"""))
    assert rows == [(TWIN.TwinTown, Literal("1920", datatype=XSD.gYear))]
    rows = list(example.query(PREFIXES + """
        SELECT ?date ?by WHERE {
          ?ag twin:partner ?c, ?v ; twin:status twin:Suspended ; twin:statusChange ?change .
          ?c rdfs:label "Coventry"@en . ?v twin:formerName "Stalingrad"@en .
          ?change twin:status twin:Suspended ; twin:date ?date ; twin:initiatedBy ?by .
        }"""))
    assert rows == [(Literal("2022", datatype=XSD.gYear), AGENT["coventry-city-council"])]


def test_bundled_seed_data_is_consistent_with_the_ontology():
    """The converted seed dataset (examples/seed/seed.ttl) breaks no axiom: no locality twinned
    with itself, nothing typed into two disjoint classes, no literal outside its datatype."""
    from twinrdf.resources import as_path, examples_dir

    seed = as_path(examples_dir()) / "seed" / "seed.ttl"
    if not seed.is_file():
        pytest.skip("the seed dataset is not built yet")
    data = Graph().parse(seed)
    result = owl_rl_closure(data + derive_twinned_with(data), alignments=False)
    assert result.consistent, result.errors[:10]
    assert any(result.graph.triples((None, TWIN.twinnedWith, None)))
