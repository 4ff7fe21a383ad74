"""Result formats and their streaming writers.

SELECT results are written row by row (so the row limit can be applied and nothing is built as
one string); ASK results and RDF graphs use pyoxigraph's serializers, writing to a stream.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# name -> (media type, kind). kind: "results" (SELECT/ASK) or "graph" (CONSTRUCT/DESCRIBE).
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("application/sparql-results+json", "results"),
    "xml": ("application/sparql-results+xml", "results"),
    "csv": ("text/csv", "results"),
    "tsv": ("text/tab-separated-values", "results"),
    "turtle": ("text/turtle", "graph"),
    "ntriples": ("application/n-triples", "graph"),
    "jsonld": ("application/ld+json", "graph"),
    "rdfxml": ("application/rdf+xml", "graph"),
    "trig": ("application/trig", "graph"),
    "nquads": ("application/n-quads", "graph"),
}

# ``format=`` parameter aliases (short names and media types).
FORMAT_ALIASES: dict[str, str] = {
    "json": "json",
    "srj": "json",
    "xml": "xml",
    "srx": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "turtle": "turtle",
    "ttl": "turtle",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "n-triples": "ntriples",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "trig": "trig",
    "nq": "nquads",
    "nquads": "nquads",
    "n-quads": "nquads",
}
for _name, (_mt, _kind) in FORMATS.items():
    FORMAT_ALIASES[_mt] = _name
FORMAT_ALIASES.update(
    {
        "application/json": "json",
        "application/xml": "xml",
        "text/xml": "xml",
        "application/x-turtle": "turtle",
        "text/plain": "ntriples",
        "application/json+ld": "jsonld",
    }
)

# What Accept may ask for, per kind, in server preference order (first = default for */*).
ACCEPTABLE: dict[str, list[tuple[str, str]]] = {
    "results": [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("application/json", "json"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
    ],
    "graph": [
        ("text/turtle", "turtle"),
        ("application/n-triples", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/trig", "trig"),
        ("application/n-quads", "nquads"),
        ("application/x-turtle", "turtle"),
        ("text/plain", "ntriples"),
        ("application/json", "jsonld"),
        ("application/xml", "rdfxml"),
    ],
}

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def content_type(fmt: str) -> str:
    mt = FORMATS[fmt][0]
    return f"{mt}; charset=utf-8" if mt.startswith("text/") or "json" in mt or "xml" in mt else mt


# --- term encodings --------------------------------------------------------------------------


def _json_term(t: Any) -> dict[str, Any]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d: dict[str, Any] = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            d["datatype"] = t.datatype.value
        return d
    if isinstance(t, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(t.subject),
                "predicate": _json_term(t.predicate),
                "object": _json_term(t.object),
            },
        }
    raise TypeError(f"unexpected term {t!r}")


def _xml_term(t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    if isinstance(t, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(t.subject)}</subject><predicate>{_xml_term(t.predicate)}"
            f"</predicate><object>{_xml_term(t.object)}</object></triple>"
        )
    raise TypeError(f"unexpected term {t!r}")


def _csv_term(t: Any) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.NamedNode | ox.Literal):
        return t.value
    return str(t)


def write_solutions(
    variables: Sequence[str], rows: Iterable[Any], fmt: str, write: Callable[[bytes], Any]
) -> int:
    """Write SELECT solutions in ``fmt`` (json, xml, csv, tsv) through ``write``, row by row;
    returns the number of rows."""
    n = 0
    buf: list[str] = []

    def flush() -> None:
        if buf:
            write("".join(buf).encode("utf-8"))
            buf.clear()

    if fmt == "json":
        buf.append(
            '{"head":{"vars":'
            + json.dumps(list(variables), separators=(",", ":"))
            + '},"results":{"bindings":['
        )
        # Each distinct term is encoded once (predicates, classes and countries repeat a lot).
        cache: dict[Any, str] = {}
        keys = [json.dumps(v) + ":" for v in variables]
        for row in rows:
            parts = []
            for key, v in zip(keys, variables, strict=True):
                t = row[v]
                if t is None:
                    continue
                frag = cache.get(t)
                if frag is None:
                    frag = json.dumps(_json_term(t), ensure_ascii=False, separators=(",", ":"))
                    if len(cache) < 100_000:
                        cache[t] = frag
                parts.append(key + frag)
            buf.append(("{" if not n else ",{") + ",".join(parts) + "}")
            n += 1
            if len(buf) >= 512:
                flush()
        buf.append("]}}\n")
    elif fmt == "xml":
        buf.append('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>')
        buf.extend(f"<variable name={quoteattr(v)}/>" for v in variables)
        buf.append("</head><results>")
        for row in rows:
            buf.append("<result>")
            for v in variables:
                t = row[v]
                if t is not None:
                    buf.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
            buf.append("</result>\n")
            n += 1
            if len(buf) >= 1024:
                flush()
        buf.append("</results></sparql>\n")
    elif fmt == "csv":
        sio = io.StringIO()
        w = csv.writer(sio, lineterminator="\r\n")
        w.writerow(variables)
        for row in rows:
            w.writerow([_csv_term(row[v]) for v in variables])
            n += 1
            if sio.tell() > 65536:
                write(sio.getvalue().encode("utf-8"))
                sio.seek(0)
                sio.truncate()
        buf.append(sio.getvalue())
    elif fmt == "tsv":
        buf.append("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            buf.append("\t".join("" if row[v] is None else str(row[v]) for v in variables) + "\n")
            n += 1
            if len(buf) >= 1024:
                flush()
    else:
        raise ValueError(f"not a results format: {fmt}")
    flush()
    return n


def write_boolean(value: bool, fmt: str, write: Callable[[bytes], Any]) -> None:
    if fmt == "json":
        write(b'{"head":{},"boolean":' + (b"true" if value else b"false") + b"}\n")
    elif fmt == "xml":
        write(
            b'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            b"<boolean>" + (b"true" if value else b"false") + b"</boolean></sparql>\n"
        )
    elif fmt in ("csv", "tsv"):
        write(b"_askResult\r\n" if fmt == "csv" else b"?_askResult\n")
        write((b"true" if value else b"false") + (b"\r\n" if fmt == "csv" else b"\n"))
    else:
        raise ValueError(f"not a results format: {fmt}")


class StreamWriter(io.RawIOBase):
    """A binary file object for pyoxigraph's serializers that hands each write to a callback."""

    def __init__(self, sink: Callable[[bytes], Any]):
        super().__init__()
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        if data:
            self._sink(data)
        return len(data)


def write_triples(triples: Iterable[ox.Triple], fmt: str, write: Callable[[bytes], Any]) -> None:
    """Serialize CONSTRUCT/DESCRIBE triples with pyoxigraph, streaming through ``write``."""
    out = io.BufferedWriter(StreamWriter(write), buffer_size=65536)
    ox.serialize(triples, out, RDF_FORMATS[fmt])
    out.flush()
