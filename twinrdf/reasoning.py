"""Inference over twin: data: the documented SPARQL rule for twin:twinnedWith and an OWL 2 RL
closure (owlrl) that reports inconsistencies instead of hiding them."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Namespace

from twinrdf.resources import ontology_file
from twinrdf.vocab import load_ontology

#: owlrl records each inconsistency as a resource of this type carrying the message.
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


def twinned_with_rule() -> str:
    """The SPARQL CONSTRUCT that derives twin:twinnedWith from agreements (ontology/rules)."""
    return ontology_file("rules/twinned-with.rq").read_text(encoding="utf-8")


def derive_twinned_with(data: Graph) -> Graph:
    """The twin:twinnedWith triples (both directions) that the agreements in ``data`` imply."""
    out = Graph()
    out.bind("twin", "https://w3id.org/twinrdf/ns#")
    for triple in data.query(twinned_with_rule()):
        out.add(triple)  # type: ignore[arg-type]
    return out


@dataclass
class Closure:
    """The OWL 2 RL closure of ontology + data, and the inconsistencies owlrl found."""

    graph: Graph
    errors: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.errors


def owl_rl_closure(data: Graph, alignments: bool = True) -> Closure:
    """Expand ``data`` together with the ontology (and its alignments) under OWL 2 RL.

    Inconsistencies (an irreflexive twin:twinnedWith used on one locality, a resource in two
    disjoint classes, a literal that does not match its datatype) come back as messages."""
    import owlrl  # only here: it is slow to import and only reasoning needs it

    g = load_ontology(alignments=alignments)
    for triple in data:
        g.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False, datatype_axioms=False
    ).expand(g)
    errors = sorted(str(m) for m in g.objects(None, OWLRL_ERR.error))
    return Closure(g, errors)
