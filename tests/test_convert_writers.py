"""Outputs written by forked writer processes while the build runs (rdfio.OutputStream, issue 4).

The same bytes as the sequential path for every streamed format; a writer that fails is one
clear error with exit code 2; nothing half-written, no temporary file and no child process is
left behind, whatever goes wrong and where.
"""

from __future__ import annotations

import csv
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinrdf import rdfio
from twinrdf.build import build
from twinrdf.convert import convert, convert_command
from twinrdf.parse import detect_and_parse

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RAW = SHARED / "wikipedia-twin-lists" / "twin_cities_raw.csv"
MAPPING = ROOT / "examples" / "mappings" / "wikipedia-twin-lists-raw.yaml"
ROWS = 1200  # ~15,000 statements: several of the builder's chunks of 4,096


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """The first rows of the real Wikipedia-derived list, and one row without a name (a reject)."""
    if not RAW.is_file():
        pytest.skip("shared data not available")
    src = tmp_path / "in" / "twins.csv"
    src.parent.mkdir()
    with open(RAW, encoding="utf-8", newline="") as f, open(src, "w", encoding="utf-8", newline="") as g:
        w = csv.writer(g)
        for i, row in enumerate(csv.reader(f)):
            if i > ROWS:
                break
            w.writerow(row)
        w.writerow(["", "Germany", "Weimar", "Germany"])
    return src


def _gone(pids: list[int]) -> bool:
    """True when every pid has exited and been reaped (no orphan, no zombie)."""
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        return False
    return True


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(("suffix", "per_source"), [(".ttl", False), (".nt", False), (".nq", True),
                                                    (".trig", True), (".rdf", False)])
def test_forked_writers_write_the_bytes_of_the_sequential_path(table, tmp_path, monkeypatch, forks,
                                                               suffix, per_source):
    out = tmp_path / f"forked{suffix}"
    summary, rejects = convert([table], out, mapping=MAPPING, graph_per_source=per_source)
    assert len(forks) == 1 and _gone(forks)
    monkeypatch.setenv("TWINRDF_NO_FORK", "1")
    seq = tmp_path / f"sequential{suffix}"
    summary2, rejects2 = convert([table], seq, mapping=MAPPING, graph_per_source=per_source)
    assert len(forks) == 1  # no writer forked this time
    assert out.read_bytes() == seq.read_bytes() and out.stat().st_size > 100_000
    assert summary == summary2 and summary.triples_written > 3 * 4096 and len(rejects) == 1
    assert _files(tmp_path) == sorted(["in", out.name, seq.name])


def test_three_outputs_fed_in_chunks_during_the_build(table, tmp_path, forks):
    """N-Triples and Turtle share a writer (the text is copied as the Turtle writer reads it);
    RDF/XML, parsed too, gets a writer of its own."""
    outs = [tmp_path / "o.nt", tmp_path / "o.ttl", tmp_path / "o.rdf"]
    sent: list[int] = []
    records = detect_and_parse([table], MAPPING)
    with rdfio.OutputStream([(o, rdfio.choose_format(o)) for o in outs]) as stream:
        def sink(lines: list[str]) -> None:
            stream.send(lines)
            sent.append(stream.sent)

        result = build(records, sink=sink)
        assert not any(o.exists() for o in outs)  # nothing in place before the commit
        assert stream.commit(result) == [len(result.lines)] * 3
    assert len(forks) == 2 and _gone(forks) and stream.children_cpu() > 0
    assert len(sent) >= 3 and sent[0] < len(result.lines)  # sent while building, not at the end
    for o in outs:
        ref = tmp_path / f"ref{o.suffix}"
        rdfio.write_rdf(result, ref)
        assert o.read_bytes() == ref.read_bytes()


def _invoke(table: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(convert_command, [str(table), "--mapping", str(MAPPING), "-o", str(out)])
    return result.exit_code, result.output + (result.stderr or "")


def test_a_failing_writer_is_exit_2_with_its_reason_and_leaves_nothing(table, tmp_path, monkeypatch, forks):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "twins.ttl"
    out.write_text("previous complete output\n", encoding="utf-8")

    def full_disk(fd, outs) -> None:  # runs in the forked writer
        outs[0][0].write(os.read(fd, 1000))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rdfio, "_write_stream", full_disk)
    code, text = _invoke(table, out)
    assert code == 2, text
    assert f"error: cannot write {out}: OSError: [Errno 28] No space left on device" in text
    assert "Traceback" not in text
    assert out.read_text(encoding="utf-8") == "previous complete output\n"
    assert _files(out_dir) == ["twins.ttl"] and len(forks) == 1 and _gone(forks)


def test_a_killed_writer_is_reported(table, tmp_path, monkeypatch, forks):
    out = tmp_path / "out.nt"

    def killed(fd, outs) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(rdfio, "_write_stream", killed)
    code, text = _invoke(table, out)
    assert code == 2 and "writer process killed by signal 9" in text, text
    assert not out.exists() and _files(tmp_path) == ["in"] and _gone(forks)


def test_an_error_while_building_stops_the_writers(table, tmp_path, monkeypatch, forks):
    import twinrdf.convert as conv

    def failing_build(records, **kwargs):
        build(records, **kwargs)  # the writers have been fed by now
        raise RuntimeError("builder bug")

    monkeypatch.setattr(conv, "build", failing_build)
    with pytest.raises(RuntimeError, match="builder bug"):
        convert([table], tmp_path / "out.ttl", mapping=MAPPING)
    assert _files(tmp_path) == ["in"] and len(forks) == 1 and _gone(forks)


def test_strict_with_rejects_discards_the_streamed_output(table, tmp_path, forks):
    out = tmp_path / "out.ttl"
    summary, rejects = convert([table], out, mapping=MAPPING, strict=True)
    assert rejects and not summary.written
    assert _files(tmp_path) == ["in"] and len(forks) == 1 and _gone(forks)


def test_a_slow_writer_never_holds_up_the_build(table, tmp_path, monkeypatch, forks):
    """What a writer's pipe cannot take yet waits in the parent (backlog), sent at the commit."""
    real = rdfio._write_stream

    def slow(fd, outs) -> None:
        import time

        time.sleep(1.0)  # the build finishes meanwhile
        real(fd, outs)

    monkeypatch.setattr(rdfio, "_write_stream", slow)
    out = tmp_path / "o.ttl"
    records = detect_and_parse([table], MAPPING)
    with rdfio.OutputStream([(out, rdfio.choose_format(out))]) as stream:
        result = build(records, sink=stream.send)
        assert stream.writers[0].backlog  # more than the pipe holds was sent: queued, not waited for
        stream.commit(result)
    rdfio.write_rdf(result, tmp_path / "ref.ttl")
    assert out.read_bytes() == (tmp_path / "ref.ttl").read_bytes() and _gone(forks)
