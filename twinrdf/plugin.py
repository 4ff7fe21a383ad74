"""rdflib parser plugin for the twinrdf tables: ``Graph().parse("agreements.csv", format="twin-tables")``.

Registered through the ``rdf.plugins.parser`` entry point (pyproject.toml), so it works in any
program that has twinrdf installed, with no import. Given one table file, it reads that file
and its sibling table files in the same folder (references between tables then resolve, as
they would with ``twinrdf convert FOLDER``). The triples
are those of :func:`twinrdf.build.build`, the same as the converter writes.

Keyword arguments to ``Graph.parse``: ``base_iri`` (default https://w3id.org/twinrdf/data/),
``strict`` (raise ValueError when any row is rejected; by default the rejected rows are skipped
with a warning naming the first few), and ``only_file=True`` to read the given file alone.
With ``graph_per_source=True`` and a context-aware store (``Dataset().parse(...)``) the triples
of each table go to a named graph of their own, ``<base>graph/<file name>``.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from rdflib.parser import FileInputSource, InputSource, Parser, URLInputSource

from twinrdf.build import DEFAULT_BASE, build, term_to_rdflib
from twinrdf.parse.tables import parse_tables, table_name


def _path_of(source: InputSource) -> Path | None:
    """The local file behind an rdflib input source, if there is one."""
    system_id = source.getSystemId() or ""
    if system_id.startswith("file:"):
        return Path(url2pathname(unquote(urlparse(system_id).path)))
    if isinstance(source, FileInputSource):
        name = getattr(source.file, "name", None)
        if isinstance(name, str):
            return Path(name)
    return None


class TwinTablesParser(Parser):
    """Reads twinrdf tables into an rdflib graph (see the module docstring)."""

    def parse(self, source: InputSource, sink: Any, **kwargs: Any) -> None:
        path = _path_of(source)
        table = kwargs.get("table")
        with tempfile.TemporaryDirectory() as tmp:
            if path is None or not path.exists() or isinstance(source, URLInputSource):
                # a stream (data=..., file object): write it out under its table name
                name = table or (path.name if path is not None and table_name(path) else None)
                if name is None:
                    raise ValueError("twin-tables: give table='localities' (or the table's name) when "
                                     "parsing data that does not come from a named table file")
                stream = source.getByteStream()
                data = stream.read() if stream is not None else source.getCharacterStream().read()
                path = Path(tmp) / (name.removesuffix(".csv") + ".csv")
                path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
                inputs = [path]
            elif path.is_dir() or kwargs.get("only_file"):
                inputs = [path]
            else:
                if table_name(path) is None:
                    raise ValueError(f"twin-tables: {path} is not a twinrdf table file "
                                     "(expected a name like localities.csv or agreements.csv)")
                inputs = [path.parent]
            records = parse_tables(inputs)
        per_source = bool(kwargs.get("graph_per_source")) and sink.store.context_aware
        result = build(records, base_iri=kwargs.get("base_iri", DEFAULT_BASE), graph_per_source=per_source)
        if result.rejects:
            shown = "; ".join(f"{r.file}:{r.line} {r.reason}" for r in result.rejects[:3])
            message = f"twin-tables: {len(result.rejects)} rows rejected: {shown}"
            if kwargs.get("strict"):
                raise ValueError(message)
            warnings.warn(message, stacklevel=2)
        if per_source:
            from rdflib import Graph, URIRef

            graphs: dict[str, Graph] = {}
            for q in result.quads:
                gn = q.graph_name
                target = sink
                if hasattr(gn, "value"):
                    target = graphs.setdefault(gn.value, Graph(store=sink.store, identifier=URIRef(gn.value)))
                target.add((term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)))
            return
        sink.addN(
            (term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object), sink)
            for q in result.quads
        )
