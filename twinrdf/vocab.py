"""The vocabulary as data: load it, print it, and generate the artefacts derived from it."""

from __future__ import annotations

import sys

import click

from twinrdf.resources import ontology_file


def ontology_text() -> str:
    return ontology_file("twin.ttl").read_text(encoding="utf-8")


@click.command("vocab")
@click.option("--alignments", is_flag=True, help="Print the alignments (ontology/alignments.ttl) instead.")
def vocab_command(alignments: bool) -> None:
    """Print the twin: vocabulary (OWL, Turtle)."""
    name = "alignments.ttl" if alignments else "twin.ttl"
    sys.stdout.write(ontology_file(name).read_text(encoding="utf-8"))
