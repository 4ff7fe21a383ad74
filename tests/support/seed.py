"""The seed dataset and the competency questions, as the tests of both see them.

The files are found through the installed package (twinrdf.resources), as users get them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import Graph, Namespace, URIRef

from twinrdf.resources import as_path, examples_dir

SEED_DIR = as_path(examples_dir()) / "seed"
SEED_TTL = SEED_DIR / "seed.ttl"
QUERIES_DIR = as_path(examples_dir()) / "queries"
PREFIXES_TTL = QUERIES_DIR / "prefixes.ttl"

SH = Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = Namespace("https://schema.org/")
EXAMPLES_NS = "https://w3id.org/twinrdf/.well-known/sparql-examples/"
QUERY_PREDICATES = (SH.select, SH.ask, SH.construct, SH.describe)


def query_files() -> list[Path]:
    """``NNN-short-name.ttl``, one competency question each, in number order."""
    return sorted(p for p in QUERIES_DIR.glob("[0-9][0-9][0-9]-*.ttl"))


def expected_file(query_file: Path) -> Path:
    return query_file.with_name(query_file.stem + ".expected.csv")


def executables(g: Graph) -> list[URIRef]:
    return sorted(set(g.subjects(predicate=None, object=SH.SPARQLExecutable)))


def query_text(query_file: Path) -> str:
    """The one query of the file (the tests check there is exactly one)."""
    g = Graph().parse(query_file, format="turtle")
    texts = [str(o) for p in QUERY_PREDICATES for o in g.objects(None, p)]
    assert len(texts) == 1, f"{query_file.name}: expected one query, found {len(texts)}"
    return texts[0]


def csv_rows(data: bytes | str) -> list[list[str]]:
    """Rows of a W3C SPARQL 1.1 CSV result (CRLF or LF line ends)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text, newline="")))


def table_rows(table: str) -> list[dict[str, str]]:
    with open(SEED_DIR / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
