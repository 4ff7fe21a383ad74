"""The values a record may take, read from the vocabulary (ontology/twin.ttl) itself.

The ontology is the source of truth: the allowed agreement kinds, statuses, purposes, locality
scopes and so on are the SKOS concepts and subclasses it defines, so the builder's checks, the
table docs and their tests can never drift from it.
"""

from __future__ import annotations

from functools import cache, lru_cache

import pyoxigraph as ox

from twinrdf.resources import VOCAB_NS, as_path, ontology_file

RDFS_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
SKOS_IN_SCHEME = ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme")

# field name -> ("scheme" | "subclass", twin: local name of the concept scheme or root class)
_DEFS: dict[str, tuple[str, str]] = {
    "scope": ("subclass", "Locality"),
    "agent_kind": ("subclass", "Agent"),
    "activity_kind": ("subclass", "DiplomacyActivity"),
    "territorial_kind": ("subclass", "TerritorialStatus"),
    "agreement_kind": ("scheme", "AgreementKindScheme"),
    "status": ("scheme", "AgreementStatusScheme"),
    "purpose": ("scheme", "PurposeScheme"),
    "role": ("scheme", "OrganisationRoleScheme"),
    "basis": ("scheme", "RecognitionBasisScheme"),
    "commemoration_form": ("scheme", "CommemorationFormScheme"),
}

# Activities may also be historical events (the context of a twinning), which are not diplomacy.
_EXTRA = {"activity_kind": ("HistoricalEvent",)}


@lru_cache(maxsize=1)
def _store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(as_path(ontology_file())), format=ox.RdfFormat.TURTLE)
    return store


def _local(node: ox.NamedNode) -> str | None:
    return node.value[len(VOCAB_NS):] if node.value.startswith(VOCAB_NS) else None


@cache
def allowed(name: str) -> tuple[str, ...]:
    """The twin: local names allowed for a field (``allowed("status")``), sorted."""
    how, root = _DEFS[name]
    store = _store()
    root_node = ox.NamedNode(VOCAB_NS + root)
    found: set[str] = set()
    if how == "scheme":
        for quad in store.quads_for_pattern(None, SKOS_IN_SCHEME, root_node):
            if isinstance(quad.subject, ox.NamedNode) and (local := _local(quad.subject)):
                found.add(local)
    else:
        todo = [root_node]
        while todo:
            parent = todo.pop()
            for quad in store.quads_for_pattern(None, RDFS_SUBCLASS, parent):
                child = quad.subject
                if isinstance(child, ox.NamedNode) and (local := _local(child)) and local not in found:
                    found.add(local)
                    todo.append(child)
    found.update(_EXTRA.get(name, ()))
    return tuple(sorted(found))


def normalise(name: str, value: str) -> str | None:
    """The canonical spelling of ``value`` for field ``name`` (case-insensitive), or None if not allowed."""
    return _folded(name).get(value.strip().casefold())


@cache
def _folded(name: str) -> dict[str, str]:
    return {v.casefold(): v for v in allowed(name)}


def describe(name: str) -> str:
    """``'A, B or C'`` for error messages."""
    values = allowed(name)
    return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0]


FIELDS = tuple(_DEFS)
