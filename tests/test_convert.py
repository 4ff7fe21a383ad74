"""``twinrdf convert``: every output format round-trips, writes are atomic, rows add up, exit codes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from twinrdf import rdfio
from twinrdf.build import build
from twinrdf.convert import convert, convert_command
from twinrdf.parse.tables import parse_tables

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "tables"
SEED = ROOT / "examples" / "seed"
DATA = SEED if (SEED / "localities.csv").is_file() else FIXTURE
RDFLIB_FORMAT = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml", ".nq": "nquads",
                 ".trig": "trig"}


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    folder = tmp_path / "tables"
    shutil.copytree(FIXTURE, folder)
    return folder


def _expected_graph(folder: Path) -> rdflib.Graph:
    return rdfio.to_rdflib(build(parse_tables([folder])).quads)


def _read_graph(path: Path) -> rdflib.Graph:
    fmt = RDFLIB_FORMAT[path.suffix]
    if fmt in ("nquads", "trig"):
        ds = rdflib.Dataset()
        ds.parse(path, format=fmt)
        g = rdflib.Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return rdflib.Graph().parse(path, format=fmt)


@pytest.mark.parametrize("ext", sorted(RDFLIB_FORMAT))
def test_dataset_round_trips_through_every_format(tmp_path: Path, ext: str):
    out = tmp_path / f"out{ext}"
    summary, rejects = convert([DATA], out)
    assert rejects == [] and summary.written
    graph = _read_graph(out)
    assert len(graph) == summary.triples_written > 100
    assert isomorphic(graph, _expected_graph(DATA))


@pytest.mark.parametrize("ext", [".nq", ".trig", ".jsonld"])
def test_graph_per_source_round_trips_with_its_named_graphs(tmp_path: Path, ext: str):
    out = tmp_path / f"out{ext}"
    convert([FIXTURE], out, graph_per_source=True)
    got = rdflib.Dataset()
    got.parse(out, format=RDFLIB_FORMAT[ext])
    expected = rdfio.to_rdflib(build(parse_tables([FIXTURE]), graph_per_source=True).quads, dataset=True)
    names = {str(g.identifier) for g in expected.graphs() if len(g)}
    assert {str(g.identifier) for g in got.graphs() if len(g)} == names
    assert "https://w3id.org/twinrdf/data/graph/agreements.csv" in names
    for name in names:
        assert isomorphic(got.graph(rdflib.URIRef(name)), expected.graph(rdflib.URIRef(name))), name


def test_jsonld_is_compacted_with_the_project_context(tmp_path: Path):
    out = tmp_path / "out.jsonld"
    convert([FIXTURE], out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    context = rdfio.load_context()
    assert doc["@context"] == context
    keighley = next(n for n in doc["@graph"] if n.get("id", "").endswith("/locality/keighley"))
    assert keighley["label"] == {"en": "Keighley"}
    assert set(keighley["type"]) == {"Locality", "Town"}


def test_format_option_overrides_the_extension_and_output_is_deterministic(tmp_path: Path):
    a, b = tmp_path / "a.out", tmp_path / "b.out"
    convert([FIXTURE], a, fmt="ntriples")
    convert(sorted(FIXTURE.glob("*.csv"), reverse=True), b, fmt="nt")
    assert a.read_bytes() == b.read_bytes()
    assert len(rdflib.Graph().parse(a, format="nt")) > 50


def test_graph_per_source_needs_a_dataset_format(tmp_path: Path):
    result = CliRunner().invoke(convert_command, [str(FIXTURE), "-o", str(tmp_path / "o.ttl"),
                                                  "--graph-per-source"])
    assert result.exit_code == 2 and "named graphs" in result.output


def test_rows_add_up_and_reports_are_written(tables: Path, tmp_path: Path):
    agreements = tables / "agreements.csv"
    text = agreements.read_text(encoding="utf-8")
    agreements.write_text(text.replace("TwinTown,Active,,1920", "Twinning,Active,,19xx"), encoding="utf-8")
    localities = tables / "localities.csv"
    localities.write_text(localities.read_text(encoding="utf-8").replace("48.708,44.513", "48.708,444.513"),
                          encoding="utf-8")
    rejects_csv, summary_json, out = tmp_path / "rejects.csv", tmp_path / "summary.json", tmp_path / "o.ttl"
    result = CliRunner().invoke(convert_command, [str(tables), "-o", str(out), "--rejects", str(rejects_csv),
                                                  "--summary-json", str(summary_json)])
    assert result.exit_code == 1, result.output
    assert "rows rejected    6" in result.output and "Traceback" not in result.output
    summary = json.loads(summary_json.read_text(encoding="utf-8"))
    assert set(summary) >= {"rows_read", "rows_rejected", "triples_written", "localities", "agreements",
                            "merged_pairs", "one_sided_pairs"}
    # rows read = every non-empty data row of every table, counted independently
    data_rows = sum(1 for f in tables.glob("*.csv") for row in list(csv.reader(f.open(encoding="utf-8")))[1:]
                    if any(row))
    assert summary["rows_read"] == data_rows
    with rejects_csv.open(encoding="utf-8", newline="") as f:
        reported = list(csv.DictReader(f))
    assert list(reported[0]) == ["file", "line", "column", "reason", "value"]
    rejected_rows = {(r["file"], r["line"]) for r in reported}
    # lon out of range; the agreement with an unknown kind and a bad date (two entries, one row); the
    # volgograd agreement, whose partner was rejected, and its two status changes and its signing
    assert len(reported) == 7 and len(rejected_rows) == 6 == summary["rows_rejected"]
    assert sorted((Path(r["file"]).name, r["column"], r["value"]) for r in reported) == sorted([
        ("localities.csv", "lon", "444.513"), ("agreements.csv", "kind", "Twinning"),
        ("agreements.csv", "start_date", "19xx"), ("agreements.csv", "partners", "volgograd"),
        ("status_changes.csv", "agreement", "coventry-volgograd"),
        ("status_changes.csv", "agreement", "coventry-volgograd"),
        ("signings.csv", "agreement", "coventry-volgograd")])
    assert "its agreement 'coventry-volgograd' was rejected" in reported[-1]["reason"]
    assert summary["rows_read"] == summary["rows_output"] + summary["rows_rejected"]
    # the rows in the output are really there
    g = rdflib.Graph().parse(out)
    assert summary["triples_written"] == len(g)
    assert summary["agreements"] == 0 and summary["localities"] == len(
        set(g.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/twinrdf/ns#Locality"))))


def test_strict_writes_no_output_when_rows_are_rejected(tables: Path, tmp_path: Path):
    (tables / "agreements.csv").write_text(
        (tables / "agreements.csv").read_text(encoding="utf-8").replace(",1920,", ",19xx,"), encoding="utf-8")
    out = tmp_path / "o.ttl"
    result = CliRunner().invoke(convert_command, [str(tables), "-o", str(out), "--strict"])
    assert result.exit_code == 1 and not out.exists()
    assert "agreements.csv:2 [start_date]: not a date: '19xx'" in result.output


def test_exit_codes_for_usage_and_io_errors(tables: Path, tmp_path: Path):
    runner = CliRunner()
    ok = runner.invoke(convert_command, [str(FIXTURE), "-o", str(tmp_path / "o.ttl")])
    assert ok.exit_code == 0 and "rows read        13" in ok.output
    for args, needle in [
        ([str(tmp_path / "missing"), "-o", str(tmp_path / "o.ttl")], "no such file"),
        ([str(FIXTURE), "-o", str(tmp_path / "o.unknown")], "cannot tell the format"),
        ([str(FIXTURE), "-o", str(tmp_path / "o.ttl"), "--format", "n5"], "unknown format"),
        ([str(FIXTURE), "-o", str(tmp_path / "no" / "dir" / "o.ttl")], "does not exist"),
        ([str(FIXTURE), "-o", str(tmp_path / "o.ttl"), "--base-iri", "urn:x"], "base IRI"),
        ([str(FIXTURE)], "Missing option"),
    ]:
        result = runner.invoke(convert_command, args)
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output and "Traceback" not in result.output
    (tables / "agreements.csv").write_bytes(b"id,partners\nab,a|b\xff\n")
    result = runner.invoke(convert_command, [str(tables), "-o", str(tmp_path / "o.ttl")])
    assert result.exit_code == 2 and "not UTF-8: byte 0xff at byte offset 18 (line 2)" in result.output


def test_bad_data_in_a_subprocess_gives_messages_not_tracebacks(tables: Path, tmp_path: Path):
    (tables / "localities.csv").write_text(
        (tables / "localities.csv").read_text(encoding="utf-8").replace("Keighley,en,", "Keighley,en,,,"),
        encoding="utf-8")
    cmd = [sys.executable, "-m", "twinrdf.cli", "convert", str(tables), "-o", str(tmp_path / "o.ttl")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "stray ','" in run.stderr
    (tables / "signings.csv").write_text("agreement,signatory\n", encoding="utf-8")
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "unknown column 'signatory'" in run.stderr and "missing required column person" in run.stderr


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupted_write_leaves_no_half_written_file(tmp_path: Path, monkeypatch, error):
    out = tmp_path / "seed.ttl"
    out.write_text("previous complete output\n", encoding="utf-8")
    # the write in this process (the forked writers' failures: tests/test_convert_writers.py)
    monkeypatch.setenv("TWINRDF_NO_FORK", "1")
    real = ox.serialize

    def failing(items, output, *args, **kwargs):
        data = real(items, None, *args, **kwargs)
        output.write(data[: len(data) // 2])  # half the file, then the crash
        raise error("interrupted")

    monkeypatch.setattr(ox, "serialize", failing)
    with pytest.raises(error):
        convert([FIXTURE], out)
    assert out.read_text(encoding="utf-8") == "previous complete output\n"
    assert [p.name for p in tmp_path.iterdir()] == ["seed.ttl"]
    monkeypatch.setattr(ox, "serialize", real)
    convert([FIXTURE], out)
    assert len(rdflib.Graph().parse(out)) > 50


def test_interrupted_jsonld_write_leaves_nothing(tmp_path: Path, monkeypatch):
    out = tmp_path / "o.jsonld"

    def failing(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rdflib.Graph, "serialize", failing)
    with pytest.raises(KeyboardInterrupt):
        convert([FIXTURE], out)
    assert list(tmp_path.iterdir()) == []


def test_jsonld_output_is_byte_identical_across_hash_seeds(tmp_path):
    """rdflib orders JSON-LD by hash; the writer must not let that leak into the bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"seed-{seed}.jsonld"
        subprocess.run(
            [sys.executable, "-m", "twinrdf.cli", "convert", str(SEED), "-o", str(out)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
