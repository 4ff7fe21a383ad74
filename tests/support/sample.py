"""A small twinning graph in the twin: vocabulary, for endpoint tests (written to tmp_path)."""

from __future__ import annotations

from pathlib import Path

TWIN = "https://w3id.org/twinrdf/ns#"
BASE = "https://example.org/id/"
GRAPH = "https://example.org/graph/extra"

CITIES = [
    ("Keighley", "GB"),
    ("Poix-du-Nord", "FR"),
    ("Myslowice", "PL"),
    ("Dieburg", "DE"),
    ("Bly", "FR"),
    ("Ivry", "FR"),
    ("Ghent", "BE"),
    ("Nara", "JP"),
    ("Toledo", "ES"),
    ("Tartu", "EE"),
]


def sample_turtle() -> str:
    """Ten localities and nine agreements chaining them (city i twinned with city i+1)."""
    lines = [
        f"@prefix twin: <{TWIN}> .",
        f"@prefix id: <{BASE}> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
    ]
    for i, (name, cc) in enumerate(CITIES):
        lines.append(f'id:city{i} a twin:City ; rdfs:label "{name}"@en ; twin:countryCode "{cc}" .')
    for i in range(len(CITIES) - 1):
        lines.append(
            f"id:agreement{i} a twin:TwinningAgreement ; twin:partner id:city{i}, id:city{i + 1} ; "
            f'twin:startDate "{1950 + i}"^^xsd:gYear .'
        )
        lines.append(
            f"id:city{i} twin:twinnedWith id:city{i + 1} . id:city{i + 1} twin:twinnedWith id:city{i} ."
        )
    return "\n".join(lines) + "\n"


def write_sample(directory: Path) -> tuple[Path, Path]:
    """(default-graph file, named-graph file)."""
    main = directory / "sample.ttl"
    main.write_text(sample_turtle(), encoding="utf-8")
    extra = directory / "extra.ttl"
    extra.write_text(f'<{BASE}city0> <http://www.w3.org/2000/01/rdf-schema#comment> "in the extra graph" .\n')
    return main, extra


def sample_store(directory: Path) -> Path:
    from tests.support.server import make_store

    main, extra = write_sample(directory)
    path = make_store(directory / "store", [main])
    from twinrdf.store import OxigraphStore

    store = OxigraphStore(path)
    store.load_file(extra, graph=GRAPH)
    store.close()
    return path
