"""PROV-O for a conversion run: which files (by SHA-256), which mapping, which converter, when.

A publisher who finds a doubtful triple must be able to tell which input produced it and
whether that input has changed since. Each run becomes a ``prov:Activity`` that
``prov:used`` every source file (and the mapping, a ``prov:Plan``), each file identified by
its checksum (``spdx:checksum``, as DCAT 3 recommends); the output dataset
``prov:wasGeneratedBy`` the run, which ``prov:wasAssociatedWith`` the twinrdf version that
did it. File and checksum nodes are content-addressed (``<base>file/<sha256>``), so the same
file gets the same IRI in every run; the run's IRI includes its time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from twinrdf import __version__

PROV = "http://www.w3.org/ns/prov#"
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SOFTWARE = "https://w3id.org/twinrdf/software/twinrdf/"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (dumps can be tens of gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _files(inputs: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in inputs:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith(".")))
        else:
            out.append(p)
    return out


def run_quads(
    inputs: Sequence[Path],
    *,
    base_iri: str,
    mapping: Path | None = None,
    started: datetime | None = None,
    ended: datetime | None = None,
    dataset_iri: str | None = None,
) -> list[ox.Quad]:
    """The PROV-O description of one conversion run, in the default graph."""
    started = started or datetime.now(UTC)
    ended = ended or datetime.now(UTC)
    q: list[ox.Quad] = []

    def t(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        q.append(ox.Quad(s, ox.NamedNode(p) if isinstance(p, str) else p, o, ox.DefaultGraph()))

    def when(d: datetime) -> ox.Literal:
        return ox.Literal(d.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                          datatype=ox.NamedNode(XSD + "dateTime"))

    files = _files(inputs)
    sums = [(f, sha256_file(f)) for f in files]
    mapping_sum = sha256_file(mapping) if mapping is not None else None
    run_id = hashlib.sha256("|".join([started.isoformat(), __version__, *(s for _, s in sums),
                                      mapping_sum or ""]).encode()).hexdigest()[:16]
    run = ox.NamedNode(f"{base_iri}run/{run_id}")
    agent = ox.NamedNode(SOFTWARE + __version__)
    dataset = ox.NamedNode(dataset_iri or base_iri + "dataset")
    t(run, str(RDF_TYPE.value), ox.NamedNode(PROV + "Activity"))
    t(run, str(RDFS_LABEL.value), ox.Literal(f"twinrdf convert run {run_id}"))
    t(run, PROV + "startedAtTime", when(started))
    t(run, PROV + "endedAtTime", when(ended))
    t(run, PROV + "wasAssociatedWith", agent)
    t(agent, str(RDF_TYPE.value), ox.NamedNode(PROV + "SoftwareAgent"))
    t(agent, str(RDFS_LABEL.value), ox.Literal(f"twinrdf {__version__}"))
    t(agent, "http://www.w3.org/2002/07/owl#versionInfo", ox.Literal(__version__))
    t(dataset, str(RDF_TYPE.value), ox.NamedNode(PROV + "Entity"))
    t(dataset, PROV + "wasGeneratedBy", ox.NamedNode(run.value))
    t(dataset, PROV + "generatedAtTime", when(ended))
    entries = [(f, s, False) for f, s in sums]
    if mapping is not None and mapping_sum is not None:
        entries.append((Path(mapping), mapping_sum, True))
    for f, s, is_plan in entries:
        node = ox.NamedNode(f"{base_iri}file/{s}")
        ck = ox.NamedNode(f"{base_iri}file/{s}/checksum")
        t(run, PROV + "used", node)
        if not is_plan:
            t(dataset, PROV + "wasDerivedFrom", node)
        t(node, str(RDF_TYPE.value), ox.NamedNode(PROV + ("Plan" if is_plan else "Entity")))
        t(node, str(RDFS_LABEL.value), ox.Literal(f.name))
        t(node, DCT + "title", ox.Literal(f.name))
        try:
            size = ox.Literal(str(os.path.getsize(f)), datatype=ox.NamedNode(XSD + "nonNegativeInteger"))
            t(node, "http://www.w3.org/ns/dcat#byteSize", size)
        except OSError:
            pass
        t(node, SPDX + "checksum", ck)
        t(ck, str(RDF_TYPE.value), ox.NamedNode(SPDX + "Checksum"))
        t(ck, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
        t(ck, SPDX + "checksumValue", ox.Literal(s, datatype=ox.NamedNode(XSD + "hexBinary")))
    return q
