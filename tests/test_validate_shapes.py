"""The shapes, rule by rule: each rule has a conforming and a violating example in shapes/tests/,
and the violating one gives exactly the results (focus node, path, value, severity, message,
constraint component) written in its companion JSON. pyshacl is the validator of record; the
oxigraph engine must give the identical report on every example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef

from twinrdf.resources import as_path, shapes_file
from twinrdf.validate import SH, TWINSH, ValidationResult, load_shapes, rules, term_text, validate

CASES = as_path(shapes_file("tests"))
CASE_RULES = sorted(p.name.removesuffix("-bad.json") for p in CASES.glob("*-bad.json"))
DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def _flat(r: ValidationResult) -> dict:
    return {
        "focus_node": term_text(r.focus_node),
        "path": r.path,
        "value": term_text(r.value) if r.value is not None else None,
        "severity": r.severity,
        "message": r.message,
        "component": r.component,
    }


def _key(d: dict) -> str:
    return json.dumps(d, sort_keys=True)


def test_every_rule_has_examples_and_every_example_a_rule(shapes: Graph) -> None:
    assert [r.id for r in rules(shapes)] == CASE_RULES
    for rule in CASE_RULES:
        assert (CASES / f"{rule}-ok.ttl").is_file(), rule
        assert (CASES / f"{rule}-bad.ttl").is_file(), rule


def test_every_rule_is_documented_in_the_shapes(shapes: Graph) -> None:
    for r in rules(shapes):
        assert r.label and r.description and r.message, r.id
        assert r.severity in ("Violation", "Warning", "Info"), r.id
        assert (r.shape, SH.severity, None) in shapes, f"{r.id}: severity must be stated"
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", r.id), r.id


def test_severities_fit_the_field(shapes: Graph) -> None:
    sev = {r.id: r.severity for r in rules(shapes)}
    assert sev["agreement-start-date"] == "Warning"  # common in real data
    assert sev["locality-not-self-twinned"] == "Violation"
    assert sev["end-not-before-start"] == "Violation"
    assert sev["agreement-two-partners"] == "Violation"


@pytest.mark.parametrize("rule", CASE_RULES)
def test_violating_example_gives_exactly_the_expected_results(rule: str, shapes: Graph) -> None:
    expected = json.loads((CASES / f"{rule}-bad.json").read_text(encoding="utf-8"))
    assert expected["rule"] == rule
    outcome = validate(CASES / f"{rule}-bad.ttl", shapes=shapes, fail_on="warning")
    got = [_flat(r) for r in outcome.results]
    assert sorted(got, key=_key) == sorted(expected["results"], key=_key)
    assert {r.rule for r in outcome.results} == {rule}
    assert not outcome.conforms
    oxi = validate(CASES / f"{rule}-bad.ttl", shapes=shapes, engine="oxigraph", fail_on="warning")
    assert oxi.results == outcome.results


@pytest.mark.parametrize("rule", CASE_RULES)
def test_conforming_example_has_no_results(rule: str, shapes: Graph) -> None:
    outcome = validate(CASES / f"{rule}-ok.ttl", shapes=shapes, fail_on="info")
    assert [_flat(r) for r in outcome.results] == []
    assert outcome.conforms
    oxi = validate(CASES / f"{rule}-ok.ttl", shapes=shapes, engine="oxigraph", fail_on="info")
    assert oxi.results == []


def test_docs_list_exactly_the_rules_with_their_severity(shapes: Graph) -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| (Violation|Warning|Info) \|", text, flags=re.MULTILINE)
    assert sorted(rows) == sorted((r.id, r.severity) for r in rules(shapes))


def test_rule_ids_are_the_shape_local_names(shapes: Graph) -> None:
    for r in rules(shapes):
        assert r.shape == URIRef(TWINSH + r.id)
        assert (r.shape, RDF.type, SH.NodeShape) in shapes or (r.shape, RDF.type, SH.PropertyShape) in shapes


def test_concept_lists_are_exactly_the_vocabulary_schemes(shapes: Graph) -> None:
    """Every sh:in list of concepts names its scheme (rdfs:seeAlso) and equals that scheme's
    members in ontology/twin.ttl, so adding a concept to the vocabulary without the shapes fails."""
    from rdflib import RDFS, SKOS
    from rdflib.collection import Collection

    from twinrdf.vocab import load_ontology

    onto = load_ontology()
    checked = 0
    for shape, lst in shapes.subject_objects(SH["in"]):
        scheme = shapes.value(shape, RDFS.seeAlso)
        assert scheme is not None, f"{shape}: sh:in without rdfs:seeAlso naming its concept scheme"
        members = set(onto.subjects(SKOS.inScheme, scheme))
        assert members, f"{shape}: {scheme} has no concepts in the vocabulary"
        assert set(Collection(shapes, lst)) == members, shape
        checked += 1
    assert checked == 7


@pytest.mark.parametrize("rule", ["end-not-before-start", "agreement-kind", "locality-latitude"])
def test_core_constraints_split_over_worker_processes_give_the_same_report(
    rule: str, shapes: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large data runs pyshacl's core constraints in two forked processes; forced here."""
    single = validate(CASES / f"{rule}-bad.ttl", shapes=shapes, engine="oxigraph")
    monkeypatch.setenv("TWINRDF_VALIDATE_WORKERS", "2")
    forked = validate(CASES / f"{rule}-bad.ttl", shapes=shapes, engine="oxigraph")
    assert "pyshacl-core-wait" in forked.timings
    assert forked.results == single.results and forked.results
    assert len(forked.report) == len(single.report)
