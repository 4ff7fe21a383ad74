"""The builder writes each statement once, also when a record repeats itself (issue 4: the
agreements' statements are deduplicated per agreement node instead of globally)."""

from __future__ import annotations

from twinrdf.build import build
from twinrdf.records import Agreement, Listing, Locality, Origin, RecordSet, Source


def _records() -> RecordSet:
    rs = RecordSet()
    rs.localities += [Locality("a", names=[("A", "en")], country="DE"),
                      Locality("b", names=[("B", "en")], country="FR"),
                      Locality("c", names=[("C", "en")], country="FR")]
    rs.sources += [Source("s", title="S"), Source("t", title="T")]
    o = Origin("t.csv", 2)
    rs.agreements += [
        # plain (partners, sources, listings only), each repeated
        Agreement(None, ["a", "b", "b"], sources=["s", "s"],
                  listings=[Listing("a", "b", "s", o), Listing("a", "b", "s", o)], origin=o),
        # the general path: repeated purposes and sources
        Agreement(None, ["a", "c"], kind="TwinTown", purposes=["Cultural", "Cultural"],
                  sources=["t", "s", "t"], origin=Origin("t.csv", 3)),
    ]
    rs.rows_read = 2
    return rs


def test_repeated_values_give_each_statement_once():
    result = build(_records())
    assert not result.rejects
    lines = result.lines
    assert len(lines) == len(set(lines)) == result.summary.triples
    derived = [x for x in lines if "wasDerivedFrom" in x and "/agreement/" in x.split(" ")[0]]
    ab = [x for x in derived if x.startswith("<https://w3id.org/twinrdf/data/agreement/a--b>")]
    ac = [x for x in derived if x.startswith("<https://w3id.org/twinrdf/data/agreement/a--c>")]
    assert len(ab) == 1 and len(ac) == 2
    assert sum(1 for x in lines if "#purpose>" in x) == 1
    assert sum(1 for x in lines if "#listing>" in x) == 1
