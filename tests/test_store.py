"""The store: loading every format atomically, querying, dumping, through the functions and the CLI."""

from __future__ import annotations

import gzip
import json
import os

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from twinrdf.cli import main
from twinrdf.store import (
    OxigraphStore,
    StoreError,
    dump_store,
    load_files,
    open_store,
    rdf_format_for,
)

EX = "http://example.org/"
TTL = f"""@prefix ex: <{EX}> .
ex:a ex:twinnedWith ex:b ; ex:label "Alpha"@en .
ex:b ex:label "Beta" .
"""


def _write_all_formats(tmp_path):
    """The same two-triple graph in every format the converters write (plus a quad format)."""
    quads = list(ox.parse(TTL, ox.RdfFormat.TURTLE))
    triples = [q.triple for q in quads]
    files = {}
    for suffix, fmt in [
        (".ttl", ox.RdfFormat.TURTLE),
        (".nt", ox.RdfFormat.N_TRIPLES),
        (".rdf", ox.RdfFormat.RDF_XML),
        (".jsonld", ox.RdfFormat.JSON_LD),
    ]:
        p = tmp_path / f"data{suffix}"
        p.write_bytes(ox.serialize(triples, format=fmt))
        files[suffix] = p
    g = ox.NamedNode(EX + "g")
    for suffix, fmt in [(".nq", ox.RdfFormat.N_QUADS), (".trig", ox.RdfFormat.TRIG)]:
        p = tmp_path / f"data{suffix}"
        p.write_bytes(
            ox.serialize([ox.Quad(t.subject, t.predicate, t.object, g) for t in triples], format=fmt)
        )
        files[suffix] = p
    gz = tmp_path / "data.nt.gz"
    gz.write_bytes(gzip.compress(files[".nt"].read_bytes()))
    files[".nt.gz"] = gz
    return files


def test_loads_every_format_into_graphs(tmp_path):
    files = _write_all_formats(tmp_path)
    for suffix, path in files.items():
        store = OxigraphStore(tmp_path / f"store{suffix}")
        graph = None if suffix in (".nq", ".trig") else EX + "loaded"
        report = load_files(store, [path], graph=graph)
        assert report.failed == [], suffix
        assert report.quads == 3, suffix
        expected_graph = EX + "g" if graph is None else graph
        assert store.graphs() == [expected_graph], suffix
        assert store.triple_count(expected_graph) == 3
        res = store.query(f"SELECT ?l WHERE {{ GRAPH ?g {{ <{EX}a> <{EX}label> ?l }} }}")
        assert [s["l"] for s in res] == [ox.Literal("Alpha", language="en")], suffix
        store.close()


def test_a_file_failing_halfway_leaves_the_store_as_it_was(tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text(TTL)
    lines = [f'<{EX}s{i}> <{EX}p> "{i}" .' for i in range(5000)]
    lines.insert(4000, f'<{EX}broken> <{EX}p> "no end .')
    bad = tmp_path / "bad.nt"
    bad.write_text("\n".join(lines) + "\n")
    store = OxigraphStore(tmp_path / "store")
    report = load_files(store, [good, bad, good])
    assert [p.name for p, _ in report.failed] == ["bad.nt"]
    assert "line 4001" in report.failed[0][1]
    assert len(report.loaded) == 2
    # nothing of the 4000 good lines before the error got in
    assert store.triple_count() == 3
    assert not bool(store.query(f"ASK {{ <{EX}s1> ?p ?o }}"))


def test_unknown_suffix_and_bad_graph_iri_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="unknown RDF file type"):
        rdf_format_for(tmp_path / "x.csv")
    store = OxigraphStore(tmp_path / "s")
    (tmp_path / "x.ttl").write_text(TTL)
    report = load_files(store, [tmp_path / "x.ttl"], graph="not an iri")
    assert report.failed and "absolute IRI" in report.failed[0][1]


def test_dataset_arguments_replace_the_store_dataset(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    (tmp_path / "x.ttl").write_text(TTL)
    load_files(store, [tmp_path / "x.ttl"], graph=EX + "g1")
    q = f"ASK {{ <{EX}a> ?p ?o }}"
    assert not bool(store.query(q))  # default graph is empty
    assert bool(store.query(q, default_graph_uris=[EX + "g1"]))
    assert bool(store.query(f"ASK {{ GRAPH <{EX}g1> {{ ?s ?p ?o }} }}", named_graph_uris=[EX + "g1"]))
    assert not bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=[EX + "g2"]))


def test_dump_round_trips_atomically(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    (tmp_path / "x.ttl").write_text(TTL)
    load_files(store, [tmp_path / "x.ttl"], graph=EX + "g1")
    n = dump_store(store, tmp_path / "out" / "dump.nq.gz")
    assert n == 3
    quads = list(
        ox.parse(gzip.decompress((tmp_path / "out" / "dump.nq.gz").read_bytes()), ox.RdfFormat.N_QUADS)
    )
    assert len(quads) == 3 and all(q.graph_name == ox.NamedNode(EX + "g1") for q in quads)
    assert dump_store(store, tmp_path / "dump.ttl") == 3
    assert len(list(ox.parse(path=str(tmp_path / "dump.ttl")))) == 3
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["dump.nq.gz"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "dump.ttl").stat().st_mode & 0o777 == 0o666 & ~umask  # a new file's mode, not 0600
    with pytest.raises(StoreError):
        dump_store(store, tmp_path / "dump.csv")


def test_read_only_store_sees_data_and_refuses_missing(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    (tmp_path / "x.ttl").write_text(TTL)
    load_files(store, [tmp_path / "x.ttl"])
    store.close()
    ro = open_store(str(tmp_path / "s"), read_only=True)
    assert ro.triple_count() == 3
    with pytest.raises(StoreError, match="no store"):
        open_store(str(tmp_path / "missing"), read_only=True)


def test_cli_load_query_dump(tmp_path):
    runner = CliRunner()
    (tmp_path / "x.ttl").write_text(TTL)
    (tmp_path / "bad.ttl").write_text("@prefix ex: <http://e/> . ex:a ex:b")
    st = str(tmp_path / "st")
    r = runner.invoke(main, ["load", str(tmp_path / "x.ttl"), "--store", st, "--no-progress"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["load", str(tmp_path / "bad.ttl"), "--store", st, "--no-progress"])
    assert r.exit_code == 1 and "bad.ttl" in r.output
    q = f"SELECT ?s ?l WHERE {{ ?s <{EX}label> ?l }} ORDER BY ?s"
    r = runner.invoke(main, ["query", "--store", st, q])
    assert r.exit_code == 0
    assert "Alpha" in r.output and "Beta" in r.output and "<http://example.org/a>" in r.output
    r = runner.invoke(main, ["query", "--store", st, "--format", "json", q])
    data = json.loads(r.output)
    assert [b["l"]["value"] for b in data["results"]["bindings"]] == ["Alpha", "Beta"]
    r = runner.invoke(main, ["query", "--store", st, "--format", "csv", q])
    assert r.output.splitlines()[0] == "s,l"
    r = runner.invoke(main, ["query", "--store", st, "--format", "nt", "CONSTRUCT WHERE { ?s ?p ?o }"])
    assert len(r.output.strip().splitlines()) == 3
    r = runner.invoke(main, ["query", "--store", st, "SELEC nothing"])
    assert r.exit_code == 2 and "malformed query" in r.output
    r = runner.invoke(main, ["query", "--store", str(tmp_path / "nope"), "ASK {}"])
    assert r.exit_code == 2 and "no store" in r.output
    r = runner.invoke(main, ["dump", "--store", st, "-o", str(tmp_path / "d.nt.gz")])
    assert r.exit_code == 0
    assert len(gzip.decompress((tmp_path / "d.nt.gz").read_bytes()).splitlines()) == 3
