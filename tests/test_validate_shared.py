"""The bundled and shared data, validated: the seed dataset and the example queries conform, and
the shared files, converted by the shipped converters, give exactly the pinned number of results
per rule (so a change in a converter or in the shapes that shifts them is noticed).

The Wikipedia lists and the P190 crawl are validated on their first 1,500 rows to keep the suite
fast; `python3 bench/validate_shared.py` gives the figures for the whole files (in
docs/validation.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.paths import DATA
from twinrdf.convert import convert
from twinrdf.resources import as_path, examples_dir
from twinrdf.validate import validate

EXAMPLES = as_path(examples_dir())
MAPPINGS = EXAMPLES / "mappings"
P190 = DATA / "wikidata" / "p190-crawl-2016"


def _head(src: Path, lines: int, dst: Path) -> Path:
    with open(src, encoding="utf-8") as f:
        dst.write_text("".join(line for _, line in zip(range(lines), f, strict=False)), encoding="utf-8")
    return dst


def test_seed_dataset_conforms() -> None:
    seed = EXAMPLES / "seed" / "seed.ttl"
    assert seed.is_file(), "examples/seed/seed.ttl is part of the package"
    outcome = validate(seed)
    assert outcome.conforms, [r.as_dict() for r in outcome.results if r.severity == "Violation"]
    # The only findings: agreements whose start the seed text does not give (the twinnings of
    # Coventry with Stalingrad and Dresden, Hamburg-Dresden, ...): warnings, pinned.
    assert outcome.counts == {"agreement-start-date": 7}
    assert validate(seed, engine="oxigraph").results == outcome.results


def test_example_queries_conform() -> None:
    files = sorted((EXAMPLES / "queries").glob("[0-9]*.ttl"))
    assert len(files) >= 20
    outcome = validate(files, fail_on="info")
    assert outcome.results == []


CASES = {
    # name: (input, lines kept (None = all), mapping, pinned counts per rule)
    "wikipedia-raw": (DATA / "wikipedia-twin-lists" / "twin_cities_raw.csv", 1501,
                      "wikipedia-twin-lists-raw.yaml", {"agreement-start-date": 1500}),
    "wikipedia-geocoded": (DATA / "wikipedia-twin-lists" / "twin_cities_geocoded.csv", 1501,
                           "wikipedia-twin-lists-geocoded.yaml", {"agreement-start-date": 1499}),
    "p190-crawl": (P190 / "relations.tsv", 1500, "wikidata-p190-crawl-2016.yaml",
                   {"agreement-start-date": 1468}),
    "weimar-json": (P190 / "weimar.json", None, None, {}),
    "bielefeld-json": (DATA / "wikidata" / "wikibase-sdk" / "Q2112.json", None, None,
                       {"agreement-start-date": 1}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_converted_shared_file_gives_the_pinned_counts(name: str, tmp_path: Path, shared_dir: Path) -> None:
    src, lines, mapping, expected = CASES[name]
    if lines is not None:
        src = _head(src, lines, tmp_path / src.name)
    if name == "p190-crawl":  # the mapping's name lookup is found next to the input
        shutil.copy(P190 / "names.tsv", tmp_path / "names.tsv")
    out = tmp_path / "converted.nt"
    summary, rejects = convert([src], out, mapping=MAPPINGS / mapping if mapping else None)
    assert summary.written and not rejects
    outcome = validate(out, engine="oxigraph")
    assert outcome.counts == expected
    assert outcome.conforms
