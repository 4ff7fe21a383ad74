"""Where the bundled files are, installed or in a source checkout.

The ontology, shapes and examples are shipped as package data under ``twinrdf.ontology``,
``twinrdf.shapes`` and ``twinrdf.examples`` (mapped from the top-level folders), so the same
code finds them in a wheel and in an editable install.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

VOCAB_NS = "https://w3id.org/twinrdf/ns#"
VOCAB_IRI = "https://w3id.org/twinrdf/ns"


def _pkg(name: str) -> Traversable:
    return files(f"twinrdf.{name}")


def ontology_file(name: str = "twin.ttl") -> Traversable:
    return _pkg("ontology") / name


def shapes_file(name: str = "twin-shapes.ttl") -> Traversable:
    return _pkg("shapes") / name


def examples_dir() -> Traversable:
    return _pkg("examples")


def as_path(t: Traversable) -> Path:
    """A real filesystem path (package data is never zipped: setuptools installs it unpacked)."""
    return Path(str(t))
