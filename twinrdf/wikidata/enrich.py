"""Enrichment: pull Wikidata facts about reconciled localities into a separate named graph.

For every locality with a ``twin:wikidata`` link: labels in the configured languages,
coordinates (P625), country (P17), population (P1082, the latest best-rank value), GeoNames ID
(P1566), official website (P856), and Wikidata's own P190 statements with their P580/P582
qualifiers and P854 reference URLs (plus the labels of those partners). The facts are written
about the Wikidata items in the WDQS shape (``wdt:``, ``p:``/``ps:``/``pq:``), in a named graph
of their own with PROV provenance for every query (endpoint, query text, time), so they can
never overwrite or be confused with the publisher's statements, which stay about the
publisher's own IRIs and in their own graph. Re-running replaces the enrichment graph only.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode, Quad, RdfFormat, serialize
from rdflib import Literal, URIRef
from rdflib.term import Node

from twinrdf.wikidata.client import PREFIXES, WikidataClient, prefix_block, qid
from twinrdf.wikidata.reconcile import (
    build_client,
    client_options,
    exit_2_on_errors,
    load_localities,
    open_sources,
    write_atomic,
)

DEFAULT_GRAPH = "urn:twinrdf:graph:wikidata"
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it")
PROV = "http://www.w3.org/ns/prov#"
TWIN = "https://w3id.org/twinrdf/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FACT_PROPS = ("P625", "P17", "P1566", "P856")


def _labels_query(languages: Sequence[str]) -> str:
    langs = ", ".join(f'"{lang}"' for lang in languages)
    return prefix_block(["rdfs"]) + (
        "SELECT ?item ?label WHERE { {values} ?item rdfs:label ?label "
        f"FILTER(LANG(?label) IN ({langs})) }}")


Q_FACTS = prefix_block(["wdt"]) + (
    "SELECT ?item ?p ?o WHERE { {values} VALUES ?p { "
    + " ".join(f"wdt:{p}" for p in FACT_PROPS) + " } ?item ?p ?o }")
Q_POPULATION = prefix_block(["p", "ps", "pq", "wikibase"]) + (
    "SELECT ?item ?st ?pop ?date WHERE { {values} ?item p:P1082 ?st . "
    "?st a wikibase:BestRank ; ps:P1082 ?pop . "
    "OPTIONAL { ?st pq:P585 ?date } }")
Q_P190 = prefix_block(["p", "ps", "pq", "pr", "prov", "wikibase"]) + (
    "SELECT ?item ?st ?partner ?rank ?start ?end ?ref WHERE { {values} "
    "?item p:P190 ?st . ?st ps:P190 ?partner ; wikibase:rank ?rank . "
    "FILTER(?rank != wikibase:DeprecatedRank) "
    "OPTIONAL { ?st pq:P580 ?start } OPTIONAL { ?st pq:P582 ?end } "
    "OPTIONAL { ?st prov:wasDerivedFrom ?r . ?r pr:P854 ?ref } }")


@dataclass
class EnrichResult:
    graph: str
    endpoint: str
    items: list[str] = field(default_factory=list)
    quads: list[Quad] = field(default_factory=list)
    queries: int = 0


def _ox(term: Node) -> NamedNode | OxLiteral:
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return OxLiteral(str(term), language=term.language)
    if term.datatype:
        return OxLiteral(str(term), datatype=NamedNode(str(term.datatype)))
    return OxLiteral(str(term))


def _uuid(text: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def _n(prefix: str, local: str) -> NamedNode:
    return NamedNode(PREFIXES[prefix] + local)


def linked_items(sources: str | Path | Sequence[str | Path] | Callable[..., Any]) -> list[str]:
    """Q-ids that the localities in ``sources`` link to with twin:wikidata, sorted."""
    return sorted({loc.wikidata for loc in load_localities(sources) if loc.wikidata},
                  key=lambda q: (len(q), q))


def enrich(sources: str | Path | Sequence[str | Path] | Callable[..., Any], client: WikidataClient,
           languages: Sequence[str] = DEFAULT_LANGUAGES, graph: str = DEFAULT_GRAPH,
           progress: bool = False, now: datetime | None = None) -> EnrichResult:
    """Fetch the facts about every linked item; return them as quads in ``graph``."""
    items = linked_items(sources)
    result = EnrichResult(graph=graph, endpoint=client.endpoint, items=items)
    g = NamedNode(graph)
    triples: set[tuple] = set()
    first_query = len(client.log.queries)

    def add(s: NamedNode, p: NamedNode, o: NamedNode | OxLiteral) -> None:
        triples.add((s, p, o))

    labels_q = _labels_query(languages)
    batches = [items[i:i + client.batch_size] for i in range(0, len(items), client.batch_size)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), desc="enrich", unit=" items")
    partners: set[str] = set()
    for batch in batches:
        for row in client.select_values(labels_q, "item", batch):
            add(_ox(row["item"]), NamedNode(PREFIXES["rdfs"] + "label"), _ox(row["label"]))
        for row in client.select_values(Q_FACTS, "item", batch):
            add(_ox(row["item"]), _ox(row["p"]), _ox(row["o"]))
        latest: dict[str, tuple[str, str, dict[str, Node]]] = {}
        for row in client.select_values(Q_POPULATION, "item", batch):
            q = str(row["item"])
            key = (str(row.get("date", "")), str(row["st"]))
            if q not in latest or key > latest[q][:2]:
                latest[q] = (*key, row)
        for q, (_, _, row) in sorted(latest.items()):
            st = _ox(row["st"])
            add(NamedNode(q), _n("p", "P1082"), st)
            add(st, _n("ps", "P1082"), _ox(row["pop"]))
            if "date" in row:
                add(st, _n("pq", "P585"), _ox(row["date"]))
        for row in client.select_values(Q_P190, "item", batch):
            item, st = _ox(row["item"]), _ox(row["st"])
            add(item, _n("p", "P190"), st)
            add(st, NamedNode(RDF_TYPE), _n("wikibase", "Statement"))
            add(st, _n("ps", "P190"), _ox(row["partner"]))
            add(st, _n("wikibase", "rank"), _ox(row["rank"]))
            for var, prop in (("start", "P580"), ("end", "P582")):
                if var in row:
                    add(st, _n("pq", prop), _ox(row[var]))
            if "ref" in row:
                ref = NamedNode(_uuid(f"{row['st']} {row['ref']}"))
                add(st, NamedNode(PROV + "wasDerivedFrom"), ref)
                add(ref, _n("pr", "P854"), _ox(row["ref"]))
            partners.add(qid(row["partner"]))
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    others = sorted(partners - set(items), key=lambda q: (len(q), q))
    for row in client.select_values(labels_q, "item", others):
        add(_ox(row["item"]), NamedNode(PREFIXES["rdfs"] + "label"), _ox(row["label"]))
    result.quads = [Quad(s, p, o, g) for s, p, o in sorted(triples, key=lambda t: tuple(str(x) for x in t))]
    result.quads += _provenance(client, g, first_query, now)
    result.queries = len(client.log.queries) - first_query
    return result


def _provenance(client: WikidataClient, g: NamedNode, first: int, now: datetime | None) -> list[Quad]:
    now = now or datetime.now(UTC).replace(microsecond=0)
    out: list[Quad] = []
    prov = PROV
    run = NamedNode(_uuid(f"twinrdf-enrich {g.value} {now.isoformat()}"))
    dt = NamedNode(XSD + "dateTime")
    out += [Quad(g, NamedNode(RDF_TYPE), NamedNode(prov + "Entity"), g),
            Quad(g, NamedNode(prov + "wasGeneratedBy"), run, g),
            Quad(run, NamedNode(RDF_TYPE), NamedNode(prov + "Activity"), g),
            Quad(run, NamedNode(prov + "endedAtTime"), OxLiteral(now.isoformat(), datatype=dt), g),
            Quad(run, NamedNode(prov + "wasAssociatedWith"), NamedNode("https://w3id.org/twinrdf"), g)]
    endpoint = NamedNode(client.endpoint)
    for i, rec in enumerate(client.log.queries[first:], 1):
        act = NamedNode(f"{run.value}#query-{i}")
        when = datetime.fromtimestamp(rec.fetched, UTC).replace(microsecond=0).isoformat()
        out += [Quad(run, NamedNode("http://purl.org/dc/terms/hasPart"), act, g),
                Quad(act, NamedNode(RDF_TYPE), NamedNode(prov + "Activity"), g),
                Quad(act, NamedNode(prov + "used"), endpoint, g),
                Quad(act, NamedNode(TWIN + "sparqlQuery"), OxLiteral(rec.query), g),
                Quad(act, NamedNode(prov + "endedAtTime"), OxLiteral(when, datatype=dt), g),
                Quad(g, NamedNode(prov + "wasGeneratedBy"), act, g)]
    return out


def write_result(result: EnrichResult, output: Path | None = None, store: Path | None = None) -> None:
    """Write the enrichment graph to an N-Quads/TriG file (atomically) and/or replace it in a store."""
    if output is not None:
        fmt = RdfFormat.TRIG if output.suffix == ".trig" else RdfFormat.N_QUADS
        data = serialize(result.quads, format=fmt)
        write_atomic(output, data.decode("utf-8"))
    if store is not None:
        from twinrdf.store import open_store

        st = open_store(str(store))
        try:
            st.clear_graph(result.graph)
            st.load_data(serialize(result.quads, format=RdfFormat.N_QUADS), RdfFormat.N_QUADS,
                         graph=None, base_iri=None)
        finally:
            st.close()


@click.command("enrich")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the enrichment graph here (.nq N-Quads or .trig).")
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path),
              help="Replace the enrichment graph in this store (other graphs are not touched).")
@click.option("--graph", default=DEFAULT_GRAPH, show_default=True, help="IRI of the enrichment graph.")
@click.option("--languages", default=",".join(DEFAULT_LANGUAGES), show_default=True)
@click.option("--progress/--no-progress", default=True, show_default=True)
@client_options
def enrich_command(sources: tuple[Path, ...], output: Path | None, store_path: Path | None, graph: str,
                   languages: str, progress: bool, **client_kw: object) -> None:
    """Pull Wikidata facts about linked localities into a separate named graph.

    SOURCES are RDF files (the data and the links from `twinrdf reconcile`) or one store folder.
    Exit 0 on success, 2 on usage, I/O or endpoint errors.
    """
    if output is None and store_path is None:
        click.echo("error: give --output and/or --store", err=True)
        sys.exit(2)
    client = build_client(**client_kw)  # type: ignore[arg-type]
    langs = tuple(x.strip() for x in languages.split(",") if x.strip())
    with exit_2_on_errors():
        result = enrich(open_sources(sources), client, langs, graph, progress=progress)
        write_result(result, output, store_path)
    click.echo(f"{len(result.items)} items enriched into <{graph}>: {len(result.quads)} quads, "
               f"{client.log.requests} requests, {client.log.cache_hits} from cache")
