"""``twinrdf wikidata ...``: commands about the local Wikidata mirror."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group("wikidata")
def wikidata_group() -> None:
    """Work with Wikidata data offline: build a local mirror in the WDQS RDF shape."""


@wikidata_group.command("mirror")
@click.argument("dumps", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the Oxigraph store to build (replaced atomically when complete).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rejected lines as CSV (file, line, reason) here.")
@click.option("--progress/--no-progress", default=False, help="Show a progress bar.")
def mirror_command(dumps: tuple[Path, ...], store_path: Path, rejects: Path | None, progress: bool) -> None:
    """Build a local Wikidata mirror from entity JSON or the JSON dump (plain, .gz, .bz2).

    Exit 0 when every entity was loaded, 1 when some lines were rejected, 2 on I/O errors.
    """
    from twinrdf.wikidata.mirror import build_mirror, write_rejects

    missing = [str(d) for d in dumps if not d.is_file()]
    if missing:
        click.echo(f"error: no such file: {', '.join(missing)}", err=True)
        sys.exit(2)
    try:
        report = build_mirror(dumps, store_path, progress=progress)
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{report.entities} entities, {report.triples} triples in {store_path}; "
               f"{len(report.rejects)} rejected")
    for r in report.rejects[:20]:
        click.echo(f"rejected: {r.file}:{r.line}: {r.reason}", err=True)
    if rejects is not None:
        write_rejects(report.rejects, rejects)
    sys.exit(1 if report.rejects else 0)
