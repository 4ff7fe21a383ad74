"""`twinrdf validate` and `twinrdf.validate()`: inputs of every format, store directories, graphs,
report formats, levels and exit codes (0 conforms, 1 fails at the level, 2 input error)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, URIRef

from twinrdf.cli import main
from twinrdf.resources import as_path, shapes_file
from twinrdf.validate import SH, ValidationInputError, validate

CASES = as_path(shapes_file("tests"))
BAD = CASES / "end-not-before-start-bad.ttl"  # 2 violations
WARN = CASES / "agreement-start-date-bad.ttl"  # 1 warning, no violation
OK = CASES / "locality-name-ok.ttl"


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def test_twinrdf_validate_is_the_function_even_after_importing_the_module() -> None:
    import twinrdf
    import twinrdf.validate  # noqa: F401 - the import under test
    from twinrdf import validate as v

    assert callable(v) and v.__name__ == "validate" and v.__module__ == "twinrdf.validate"
    assert twinrdf.validate is v
    assert twinrdf.validate(OK).conforms
    module = importlib.import_module("twinrdf.validate")
    assert module.validate is v and hasattr(module, "validate_command")


def test_conforming_data_exits_0() -> None:
    r = run(str(OK))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("conforms at level violation: 0 result(s)")


def test_violations_exit_1_with_a_report_grouped_by_rule() -> None:
    r = run(str(BAD))
    assert r.exit_code == 1
    assert "FAILS at level violation: 2 result(s) (2 violation, 0 warning, 0 info)" in r.output
    assert "VIOLATION end-not-before-start: 2 result(s)" in r.output
    assert "fix: The end date" in r.output
    assert "  - <https://example.org/ab>  twin:endDate" in r.output


def test_fail_on_sets_the_level() -> None:
    assert run(str(WARN)).exit_code == 0
    r = run(str(WARN), "--fail-on", "warning")
    assert r.exit_code == 1
    assert "WARNING agreement-start-date: 1 result(s)" in r.output
    assert run(str(OK), "--fail-on", "info").exit_code == 0


def test_json_report() -> None:
    r = run(str(BAD), "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["conforms"] is False
    assert data["counts"] == {"end-not-before-start": 2}
    assert data["severity_counts"] == {"Violation": 2, "Warning": 0, "Info": 0}
    first = data["results"][0]
    assert first["focus_node"] == "<https://example.org/ab>"
    assert first["path"] == "twin:endDate"
    assert first["severity"] == "Violation"
    assert first["component"] == "SPARQLConstraintComponent"


def test_turtle_report_is_the_shacl_validation_report() -> None:
    r = run(str(BAD), "--format", "turtle")
    assert r.exit_code == 1
    g = Graph().parse(data=r.output, format="turtle")
    report = next(g.subjects(None, SH.ValidationReport))
    assert len(list(g.objects(report, SH.result))) == 2
    assert str(g.value(report, SH.conforms)) == "false"


def test_oxigraph_engine_from_the_command_line() -> None:
    a = json.loads(run(str(BAD), "--format", "json").output)
    b = json.loads(run(str(BAD), "--format", "json", "--engine", "oxigraph").output)
    assert a["results"] == b["results"] and b["engine"] == "oxigraph"


@pytest.mark.parametrize("suffix,fmt", [
    (".nt", ox.RdfFormat.N_TRIPLES),
    (".nq", ox.RdfFormat.N_QUADS),
    (".trig", ox.RdfFormat.TRIG),
    (".jsonld", ox.RdfFormat.JSON_LD),
    (".rdf", ox.RdfFormat.RDF_XML),
])
def test_every_format_the_converters_write(tmp_path: Path, suffix: str, fmt: ox.RdfFormat) -> None:
    quads = list(ox.parse(path=str(BAD), format=ox.RdfFormat.TURTLE))
    target = tmp_path / f"data{suffix}"
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):  # put the data in a named graph
        g = ox.NamedNode("https://example.org/graph")
        quads = [ox.Quad(q.subject, q.predicate, q.object, g) for q in quads]
        ox.serialize(quads, output=str(target), format=fmt)
    else:
        ox.serialize((q.triple for q in quads), output=str(target), format=fmt)
    expected = validate(BAD).results
    assert validate(target).results == expected


def test_several_files_are_validated_together(tmp_path: Path) -> None:
    """Links from one file to nodes described in another are resolved: the files form one graph."""
    text = BAD.read_text(encoding="utf-8")
    head = text[: text.index("ex:a a twin:Locality")]
    lines = text[len(head):].splitlines()
    localities = tmp_path / "localities.ttl"
    agreements = tmp_path / "agreements.ttl"
    for target, subjects in ((localities, ("ex:a ", "ex:b ")), (agreements, ("ex:ab ", "ex:cd "))):
        target.write_text(head + "\n".join(x for x in lines if x.startswith(subjects)), encoding="utf-8")
    assert "twinned-with-agreement" in validate(localities).counts
    assert "agreement-partner" in validate(agreements).counts
    r = run(str(localities), str(agreements), "--format", "json")
    assert json.loads(r.output)["counts"] == {"end-not-before-start": 2}


def test_store_directory(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = ox.Store(str(path))
    store.load(path=str(BAD), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
    store.flush()
    del store
    assert validate(path).results == validate(BAD).results
    assert run(str(path)).exit_code == 1


def test_rdflib_graph_and_dataset_inputs_are_not_changed() -> None:
    g = Graph().parse(BAD)
    n = len(g)
    assert validate(g).results == validate(BAD).results
    assert len(g) == n
    ds = Dataset()
    ds.graph(URIRef("https://example.org/g")).parse(BAD)
    assert validate(ds).results == validate(BAD).results


def test_the_ontology_is_added_for_subclasses(tmp_path: Path) -> None:
    """A partner typed only twin:City is a twin:Locality through the vocabulary's axioms."""
    data = tmp_path / "cities.ttl"
    data.write_text(
        "@prefix twin: <https://w3id.org/twinrdf/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix ex: <https://example.org/> .\n"
        'ex:a a twin:City ; rdfs:label "Alpha"@en ; twin:twinnedWith ex:b .\n'
        'ex:b a twin:Town ; rdfs:label "Beta"@en ; twin:twinnedWith ex:a .\n'
        'ex:ab a twin:TwinningAgreement ; twin:partner ex:a , ex:b ; twin:startDate "1950"^^xsd:gYear .\n',
        encoding="utf-8",
    )
    assert validate(data).results == []
    without = validate(data, ontology=False)
    assert without.counts == {"agreement-partner": 2}
    assert run(str(data), "--no-ontology").exit_code == 1


@pytest.mark.parametrize("content,name,needle", [
    (None, "missing.ttl", "no such file or directory"),
    ("@prefix ex: <https://example.org/> .\nex:a ex:b .\n", "broken.ttl", "not valid Turtle"),
    ("a,b\n1,2\n", "table.csv", "unknown RDF file type '.csv'"),
])
def test_input_errors_exit_2_with_a_clear_message(tmp_path: Path, content: str | None, name: str,
                                                  needle: str) -> None:
    target = tmp_path / name
    if content is not None:
        target.write_text(content, encoding="utf-8")
    r = run(str(target))
    assert r.exit_code == 2
    assert needle in r.output and str(target) in r.output
    assert "Traceback" not in r.output
    with pytest.raises(ValidationInputError):
        validate(target)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    target = tmp_path / "broken.ttl"
    text = "@prefix ex: <https://example.org/> .\n\nex:a ex:b ex:c .\nex:d ex:e .\n"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationInputError, match=r"broken.ttl: not valid Turtle: .*line 4|4:"):
        validate(target)


def test_bad_shapes_file_exits_2(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("this is not turtle", encoding="utf-8")
    r = run(str(OK), "--shapes", str(shapes))
    assert r.exit_code == 2 and "shapes.ttl" in r.output


def test_real_process_exit_code() -> None:
    cmd = [sys.executable, "-m", "twinrdf.cli", "validate", str(BAD)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 1 and "end-not-before-start" in p.stdout
