"""``twinrdf convert``: parse inputs, build the triples, write them atomically, account for every row.

:func:`convert` is the public function; :func:`convert_command` is its thin click shell.

Accounting: ``rows_read`` counts the data rows the parsers read. A row is *rejected* when any
reject names it (file, line); a row is *in the output* when it is not rejected and at least one
record read from it was emitted by the builder. Every row read is one or the other, so
``rows_read == rows_output + rows_rejected`` (the summary carries all three; tests check it).
The rejects report is a CSV with the columns file, line, column, reason, value.

Exit codes: 0 every row converted; 1 rows rejected (the output is still written, except with
``--strict``); 2 usage or I/O error, or an input that cannot be read at all (not UTF-8, a bad
table header, no parser for the input), reported in one message without a traceback.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from twinrdf import rdfio
from twinrdf.build import DEFAULT_BASE, build
from twinrdf.iris import BaseIRIError, check_base
from twinrdf.parse import InputError, detect_and_parse
from twinrdf.records import Reject

REJECT_COLUMNS = ("file", "line", "column", "reason", "value")


@dataclass
class Summary:
    rows_read: int = 0
    rows_rejected: int = 0
    rows_output: int = 0
    triples_written: int = 0
    localities: int = 0
    agreements: int = 0
    merged_pairs: int = 0
    one_sided_pairs: int = 0
    excluded: int = 0  # input left out by design, not rows (deprecated P190, dump entities without P190)
    review_items: int = 0  # entity-resolution decisions to check (--review FILE)
    written: bool = False  # False with --strict when rows were rejected

    def as_json(self) -> dict[str, int]:
        """The summary JSON (``--summary-json``)."""
        d = asdict(self)
        d.pop("written")
        return d

    def lines(self) -> list[str]:
        return [
            f"rows read        {self.rows_read}",
            f"rows in output   {self.rows_output}",
            f"rows rejected    {self.rows_rejected}",
            f"triples written  {self.triples_written}",
            f"localities       {self.localities}",
            f"agreements       {self.agreements}",
            f"pairs merged     {self.merged_pairs}",
            f"one-sided pairs  {self.one_sided_pairs}",
            *([f"excluded         {self.excluded}"] if self.excluded else []),
            *([f"to review        {self.review_items}"] if self.review_items else []),
        ]


class UsageError(ValueError):
    """Options that do not fit together (exit 2)."""


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    """The rejects report, atomically: a CSV with file, line, column, reason, value."""
    with rdfio.atomic_text(path) as out:
        w = csv.writer(out)
        w.writerow(REJECT_COLUMNS)
        for r in rejects:
            w.writerow([r.file, r.line, r.column or "", r.reason, "" if r.value is None else r.value])


def convert(
    inputs: Sequence[Path],
    output: Path,
    *,
    fmt: str | None = None,
    mapping: Path | None = None,
    base_iri: str = DEFAULT_BASE,
    graph_per_source: bool = False,
    strict: bool = False,
    rejects_path: Path | None = None,
    summary_path: Path | None = None,
    progress: bool = False,
    one_sided_path: Path | None = None,
    review_path: Path | None = None,
    provenance: bool = False,
) -> tuple[Summary, list[Reject]]:
    """Convert ``inputs`` to ``output``; returns the summary and the rejects (sorted by file, line).

    Raises InputError (unreadable input), rdfio.FormatError, BaseIRIError, UsageError or OSError;
    bad rows never raise. With ``strict``, nothing is written when any row is rejected.
    """
    output = Path(output)
    chosen = rdfio.choose_format(output, fmt)
    check_base(base_iri)
    if graph_per_source and not chosen.dataset:
        raise UsageError(f"--graph-per-source needs a format with named graphs (N-Quads, TriG or "
                         f"JSON-LD), not {chosen.name}")
    if not output.parent.is_dir():
        raise UsageError(f"{output}: the folder {output.parent} does not exist")
    from tqdm import tqdm

    from twinrdf.perf import paused_gc

    # the output is written by a forked process while the build goes on (rdfio.OutputStream);
    # forked before parsing, while this process is small
    stream = rdfio.OutputStream([(output, chosen)])
    bar = tqdm(total=3, desc="convert", unit="stage", disable=not progress, file=sys.stderr)
    with stream, paused_gc(), bar:
        records = detect_and_parse([Path(p) for p in inputs], mapping)
        bar.update()
        result = build(records, base_iri=base_iri, graph_per_source=graph_per_source, sink=stream.send)
        bar.update()
        s = result.summary
        summary = Summary(rows_read=s.rows_read, rows_rejected=s.rows_rejected, rows_output=s.rows_output,
                          localities=s.localities, agreements=s.agreements, merged_pairs=s.merged_pairs,
                          one_sided_pairs=s.one_sided_pairs)
        rejects = sorted(result.rejects, key=lambda r: (r.file, r.line))
        summary.excluded = sum(records.excluded.values())
        summary.review_items = len(records.review)
        if provenance:  # issue 4: PROV-O run record (files by SHA-256, mapping, version, time)
            from twinrdf.provenance import run_quads

            result.lines.extend(str(q) for q in run_quads(inputs, base_iri=base_iri, mapping=mapping))
        if not (strict and rejects):
            summary.triples_written = stream.commit(result)[0]
            summary.written = True
        bar.update()
    if rejects_path is not None:
        write_rejects(rejects, Path(rejects_path))
    if one_sided_path is not None or review_path is not None:
        from twinrdf import reports

        if one_sided_path is not None:
            reports.write_one_sided(reports.one_sided_pairs(records, rejects), Path(one_sided_path))
        if review_path is not None:
            reports.write_review(records, Path(review_path))
    if summary_path is not None:
        with rdfio.atomic_text(summary_path) as out:
            json.dump(summary.as_json(), out, indent=2)
            out.write("\n")
    return summary, rejects


MAX_SHOWN = 20


@click.command("convert")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file; its extension gives the format (.ttl .nt .jsonld .rdf .nq .trig).")
@click.option("--format", "fmt", help="Output format, overriding the extension: turtle, ntriples, "
              "jsonld, rdfxml, nquads or trig.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rejected rows here (CSV: file, line, column, reason, value).")
@click.option("--summary-json", "summary_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the summary counts here as JSON.")
@click.option("--base-iri", default=DEFAULT_BASE, show_default=True,
              help="Base IRI under which the data's IRIs are minted (ends in / or #).")
@click.option("--graph-per-source", is_flag=True,
              help="Put each input file's triples in a named graph of its own (N-Quads, TriG, JSON-LD).")
@click.option("--strict", is_flag=True, help="Write no output if any row is rejected.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mapping file (YAML/TOML) for tables that are not twinrdf tables (docs/converters.md).")
@click.option("--one-sided", "one_sided_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the one-sided pairs (A lists B, B does not list A) here (CSV).")
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the entity-resolution review report here (CSV): weaker merges, possible "
                   "duplicates.")
@click.option("--provenance", is_flag=True,
              help="Add a PROV-O record of the run (input files with SHA-256, mapping, version, time); "
                   "off by default so that the same input gives byte-identical output.")
def convert_command(
    inputs: tuple[Path, ...],
    output: Path,
    fmt: str | None,
    rejects_path: Path | None,
    summary_path: Path | None,
    base_iri: str,
    graph_per_source: bool,
    strict: bool,
    mapping: Path | None,
    one_sided_path: Path | None,
    review_path: Path | None,
    provenance: bool,
) -> None:
    """Convert twinrdf tables (and other registered sources) in INPUT... to RDF.

    Prints a summary. Exit codes: 0 ok, 1 rows rejected, 2 usage or I/O error.
    """
    try:
        summary, rejects = convert(
            list(inputs), output, fmt=fmt, mapping=mapping, base_iri=base_iri,
            graph_per_source=graph_per_source, strict=strict, rejects_path=rejects_path,
            summary_path=summary_path, progress=sys.stderr.isatty(),
            one_sided_path=one_sided_path, review_path=review_path, provenance=provenance,
        )
    except (InputError, rdfio.FormatError, BaseIRIError, UsageError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    for r in rejects[:MAX_SHOWN]:
        col = f" [{r.column}]" if r.column else ""
        click.echo(f"rejected {r.file}:{r.line}{col}: {r.reason}", err=True)
    if len(rejects) > MAX_SHOWN:
        more = "" if rejects_path else " (write them all with --rejects FILE)"
        click.echo(f"... and {len(rejects) - MAX_SHOWN} more rejects{more}", err=True)
    for line in summary.lines():
        click.echo(line)
    if summary.written:
        click.echo(f"wrote {output}")
    else:
        click.echo(f"--strict: {output} not written because rows were rejected", err=True)
    sys.exit(1 if summary.rows_rejected or rejects else 0)
