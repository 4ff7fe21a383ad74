"""A polite, cached SPARQL client for the Wikidata Query Service and for mirrors of it.

WDQS enforces rules that clients in the field keep tripping on; this client follows them:

- a descriptive User-Agent with contact information (refused locally without one when the
  endpoint is the public service);
- POST, ``VALUES`` batches (default 100 ids), one request at a time;
- exponential back-off on connection errors and 5xx; ``Retry-After`` on 429 (60 s when absent);
  no retry on other 4xx; a batch that timed out is split in half rather than repeated;
- clear errors for the "please set a user-agent" answer (as 403 and as 200 with a text body),
  HTML error pages, and JSON cut off mid-stream after a server timeout;
- an on-disk SQLite cache keyed by endpoint and query with a TTL, and an offline mode.

It is built on SPARQLWrapper for the protocol (POST form encoding, Accept, User-Agent,
timeout) and reads the raw response itself, because the WDQS failure modes above only show in
the status line, the headers and the raw body, which SPARQLWrapper's converters hide.
Results are returned as rows of rdflib terms, so the same code works against WDQS, Oxigraph,
Virtuoso (``typed-literal`` in JSON) and QLever.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import socket
import sqlite3
import time
import urllib.error
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from twinrdf import __version__

WDQS_URL = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"

# Every query the package sends declares these (portable: no WDQS implicit prefixes).
PREFIXES = {
    "wd": WD,
    "wdt": "http://www.wikidata.org/prop/direct/",
    "wdtn": "http://www.wikidata.org/prop/direct-normalized/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "psv": "http://www.wikidata.org/prop/statement/value/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "pqv": "http://www.wikidata.org/prop/qualifier/value/",
    "pr": "http://www.wikidata.org/prop/reference/",
    "prv": "http://www.wikidata.org/prop/reference/value/",
    "wds": "http://www.wikidata.org/entity/statement/",
    "wdv": "http://www.wikidata.org/value/",
    "wdref": "http://www.wikidata.org/reference/",
    "wdno": "http://www.wikidata.org/prop/novalue/",
    "wikibase": "http://wikiba.se/ontology#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

Row = dict[str, Node]
VIRTUOSO_GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
WKT_LITERAL = "http://www.opengis.net/ont/geosparql#wktLiteral"


def prefix_block(names: Iterable[str] | None = None) -> str:
    """PREFIX declarations for ``names`` (all known prefixes by default)."""
    chosen = PREFIXES if names is None else {n: PREFIXES[n] for n in names}
    return "".join(f"PREFIX {n}: <{iri}>\n" for n, iri in chosen.items())


# --- errors ---------------------------------------------------------------------------------


class WikidataError(Exception):
    """Base class: every failure of the client is one of these, with a message for a person."""


class UserAgentRequired(WikidataError):
    """Raised before any request: the public WDQS requires a descriptive User-Agent."""


class UserAgentRejected(WikidataError):
    """The service answered with its "please set a user-agent" policy message."""


class HtmlErrorPage(WikidataError):
    """The service answered with an HTML page instead of SPARQL results."""


class TruncatedResponse(WikidataError):
    """The JSON results stop mid-stream (WDQS appends a Java exception after a server timeout)."""


class QueryTimeout(WikidataError):
    """The query timed out and cannot be split any further."""


class HTTPStatusError(WikidataError):
    """A 4xx (other than 429) or a 5xx that persisted after the retries."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class TooManyRetries(WikidataError):
    """Connection errors, 5xx or 429 persisted after the configured number of attempts."""


class CacheMiss(WikidataError):
    """Offline mode: the query is not in the cache (or its entry has expired)."""


class BadResponse(WikidataError):
    """The body is not SPARQL JSON results for another reason."""


class _Timeout(Exception):
    """Internal: a timeout (client-side, or the server's own) that a batch split may cure."""

    def __init__(self, message: str, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


_UA_MESSAGE = re.compile(r"user[- ]?agent", re.IGNORECASE)
_JAVA_TIMEOUT = re.compile(r"(java\.util\.concurrent\.TimeoutException|TimeoutException|"
                           r"QueryTimeoutException|Query deadline is expired)")
_CONTACT = re.compile(r"(@|https?://|mailto:)")


def _is_public_wdqs(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host == "query.wikidata.org" or host.endswith(".wikidata.org") or host.endswith(".wikimedia.org")


# --- cache ----------------------------------------------------------------------------------


class QueryCache:
    """SQLite cache of raw result bodies, keyed by endpoint + query, with a TTL in seconds."""

    def __init__(self, path: str | Path, ttl: float = 7 * 24 * 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl
        self.clock = clock
        self._db = sqlite3.connect(str(self.path))
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, endpoint TEXT, "
                         "query TEXT, body TEXT, fetched REAL)")
        self._db.commit()

    @staticmethod
    def key(endpoint: str, query: str) -> str:
        return hashlib.sha256(f"{endpoint}\n{query}".encode()).hexdigest()

    def get(self, endpoint: str, query: str) -> str | None:
        hit = self.lookup(endpoint, query)
        return None if hit is None else hit[0]

    def lookup(self, endpoint: str, query: str) -> tuple[str, float] | None:
        """(body, time fetched) of a fresh entry, or None."""
        row = self._db.execute("SELECT body, fetched FROM answers WHERE key = ?",
                               (self.key(endpoint, query),)).fetchone()
        if row is None or self.clock() - row[1] > self.ttl:
            return None
        return row[0], row[1]

    def put(self, endpoint: str, query: str, body: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                         (self.key(endpoint, query), endpoint, query, body, self.clock()))
        self._db.commit()

    def close(self) -> None:
        self._db.close()


# --- the client -----------------------------------------------------------------------------


@dataclass
class QueryRecord:
    """One answered query, for provenance: its text, when the answer was fetched, from where."""

    query: str
    fetched: float
    from_cache: bool


@dataclass
class RequestLog:
    """What the client did, for progress reports, provenance and tests."""

    requests: int = 0
    cache_hits: int = 0
    waits: list[float] = field(default_factory=list)
    splits: int = 0
    queries: list[QueryRecord] = field(default_factory=list)


class WikidataClient:
    """SPARQL SELECT against WDQS or any mirror, following the WDQS rules (see module doc)."""

    def __init__(
        self,
        endpoint: str = WDQS_URL,
        *,
        user_agent: str | None = None,
        batch_size: int = 100,
        timeout: float = 60.0,
        max_attempts: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 120.0,
        cache: QueryCache | str | Path | None = None,
        cache_ttl: float = 7 * 24 * 3600,
        offline: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if _is_public_wdqs(endpoint) and not (user_agent and _CONTACT.search(user_agent)):
            raise UserAgentRequired(
                f"{endpoint} requires a descriptive User-Agent with contact information, "
                "e.g. 'my-portal/1.0 (https://example.org; me@example.org)'; "
                "set it with --user-agent or TWINRDF_USER_AGENT (see "
                "https://meta.wikimedia.org/wiki/User-Agent_policy)")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.endpoint = endpoint
        self.user_agent = user_agent or f"twinrdf/{__version__} (+https://w3id.org/twinrdf)"
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        if isinstance(cache, str | Path):
            cache = QueryCache(cache, ttl=cache_ttl)
        self.cache = cache
        self.offline = offline
        self.sleep = sleep
        self.log = RequestLog()
        if offline and cache is None:
            raise ValueError("offline mode needs a cache")

    # -- public API --

    def select(self, query: str) -> list[Row]:
        """Run one SELECT query and return its rows (variable -> rdflib term)."""
        try:
            return self._select_once(query)
        except _Timeout as exc:
            if exc.truncated:
                raise TruncatedResponse(str(exc)) from None
            raise QueryTimeout(str(exc)) from None

    def select_values(self, template: str, var: str, values: Sequence[Node | str],
                      batch_size: int | None = None) -> list[Row]:
        """Run ``template`` once per batch of ``values``, merging the rows.

        ``template`` contains the placeholder ``{values}``, replaced by a ``VALUES ?var {...}``
        block. Strings starting with ``Q`` are taken as Wikidata ids. A batch that times out is
        split in half (down to one value) rather than sent again.
        """
        terms = [_to_term(v) for v in values]
        size = batch_size or self.batch_size
        rows: list[Row] = []
        for start in range(0, len(terms), size):
            rows.extend(self._run_batch(template, var, terms[start:start + size]))
        return rows

    @staticmethod
    def values_query(template: str, var: str, terms: Sequence[Node]) -> str:
        block = f"VALUES ?{var} {{ " + " ".join(t.n3() for t in terms) + " }"
        return template.replace("{values}", block)

    # -- internals --

    def _run_batch(self, template: str, var: str, terms: list[Node]) -> list[Row]:
        if not terms:
            return []
        query = self.values_query(template, var, terms)
        try:
            return self._select_once(query)
        except _Timeout as exc:
            if len(terms) == 1:
                why = f"{exc} (even for a batch of one value: {terms[0].n3()})"
                raise (TruncatedResponse if exc.truncated else QueryTimeout)(why) from None
            self.log.splits += 1
            half = len(terms) // 2
            return self._run_batch(template, var, terms[:half]) + self._run_batch(template, var, terms[half:])

    def _select_once(self, query: str) -> list[Row]:
        if self.cache is not None:
            hit = self.cache.lookup(self.endpoint, query)
            if hit is not None:
                self.log.cache_hits += 1
                self.log.queries.append(QueryRecord(query, hit[1], True))
                return parse_results(hit[0])
        if self.offline:
            raise CacheMiss(f"offline mode: no cached answer from {self.endpoint} for this query")
        body = self._fetch(query)
        rows = parse_results(body)
        self.log.queries.append(QueryRecord(query, time.time(), False))
        if self.cache is not None:
            self.cache.put(self.endpoint, query, body)
        return rows

    def _wait(self, seconds: float) -> None:
        self.log.waits.append(seconds)
        self.sleep(seconds)

    def _fetch(self, query: str) -> str:
        """One logical request, with retries; returns a body that parses as SPARQL JSON."""
        delay = self.backoff
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            self.log.requests += 1
            try:
                status, headers, body = self._http(query)
            except _Timeout:
                raise
            except OSError as exc:  # connection refused/reset, DNS: back off and retry
                last = f"connection error: {exc}"
                if attempt < self.max_attempts:
                    self._wait(min(delay, self.max_backoff))
                    delay *= 2
                continue
            if status == 429:
                wait = _retry_after(headers.get("Retry-After"))
                last = f"HTTP 429 Too Many Requests from {self.endpoint}"
                if attempt < self.max_attempts:
                    self._wait(wait)
                continue
            text = body.decode("utf-8", errors="replace")
            ctype = (headers.get("Content-Type") or "").lower()
            if _UA_MESSAGE.search(text[:2000]) and ("json" not in ctype or status >= 400):
                raise UserAgentRejected(
                    f"{self.endpoint} rejected the User-Agent {self.user_agent!r} (HTTP {status}): "
                    f"{_first_line(text)}")
            if status >= 500:
                if status == 504 or _JAVA_TIMEOUT.search(text):
                    raise _Timeout(f"server-side timeout at {self.endpoint} (HTTP {status})")
                html = _looks_html(ctype, text)
                page = f"an HTML error page: {_html_title(text)}" if html else _first_line(text)
                last = f"HTTP {status} from {self.endpoint}: {page}"
                if attempt < self.max_attempts:
                    # a 503 may say when to come back; otherwise exponential back-off
                    hint = headers.get("Retry-After")
                    self._wait(_retry_after(hint) if hint else min(delay, self.max_backoff))
                    delay *= 2
                continue
            if _looks_html(ctype, text):
                raise HtmlErrorPage(f"{self.endpoint} answered an HTML page (HTTP {status}) instead of "
                                    f"SPARQL results: {_html_title(text)}")
            if status >= 400:
                raise HTTPStatusError(status, f"HTTP {status} from {self.endpoint}: {_first_line(text)}")
            _check_json(text, self.endpoint)
            return text
        raise TooManyRetries(f"gave up after {self.max_attempts} attempts: {last}")

    def _http(self, query: str) -> tuple[int, dict[str, str], bytes]:
        sw = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        sw.setQuery(query)
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setReturnFormat(JSON)
        sw.setTimeout(int(max(1, round(self.timeout))))
        if self.timeout < 1:  # SPARQLWrapper keeps integers; sub-second timeouts are for tests
            sw.timeout = self.timeout
        try:
            result = sw.query()
            resp = result.response
            try:
                body = resp.read()
            except TimeoutError as exc:
                raise _Timeout(f"timed out reading the answer of {self.endpoint} after "
                               f"{self.timeout} s") from exc
            return resp.status, dict(resp.headers.items()), body
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), _read_error(exc)
        except SPARQLWrapperException as exc:
            http = exc.__context__
            if isinstance(http, urllib.error.HTTPError):
                return http.code, dict(http.headers.items()), _sw_body(exc)
            raise BadResponse(str(exc)) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise _Timeout(f"no answer from {self.endpoint} within {self.timeout} s") from exc
            raise ConnectionError(str(exc.reason)) from exc
        except TimeoutError as exc:
            raise _Timeout(f"no answer from {self.endpoint} within {self.timeout} s") from exc


def _read_error(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except Exception:  # noqa: BLE001 - an unreadable error body is still an error
        return b""


def _sw_body(exc: SPARQLWrapperException) -> bytes:
    # SPARQLWrapper puts the body it read into the message: "...\n\nResponse:\n<body>"
    msg = str(exc)
    marker = "Response:\n"
    body = msg.split(marker, 1)[1] if marker in msg else msg
    if body.startswith("b'") or body.startswith('b"'):
        try:
            import ast

            return ast.literal_eval(body)
        except (ValueError, SyntaxError):
            pass
    return body.encode()


def _retry_after(value: str | None) -> float:
    if not value:
        return 60.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 60.0
    return max(0.0, when.timestamp() - time.time())


def _first_line(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text).strip()
    return (text.splitlines() or [""])[0][:300]


def _looks_html(ctype: str, text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return "text/html" in ctype or head.startswith("<!doctype html") or head.startswith("<html")


def _html_title(text: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return m.group(1).strip() if m else _first_line(text)


def _check_json(text: str, endpoint: str) -> None:
    try:
        data = json.loads(text)
    except ValueError as exc:
        if _JAVA_TIMEOUT.search(text) or text.rstrip().endswith(("Exception", ",")) or "Exception" in text:
            raise _Timeout(f"JSON results from {endpoint} are cut off at byte {exc.pos} "
                           f"(the server timed out mid-stream: {_java_tail(text)})", truncated=True) from None
        raise TruncatedResponse(f"JSON results from {endpoint} are cut off or malformed at byte "
                                f"{exc.pos}: {exc.msg}") from None
    if not isinstance(data, dict) or "results" not in data and "boolean" not in data:
        raise BadResponse(f"{endpoint} did not answer SPARQL JSON results")


def _java_tail(text: str) -> str:
    m = re.search(r"[\w.]*Exception[^\n]*", text)
    return m.group(0)[:200] if m else "no exception text"


def _to_term(v: Node | str) -> Node:
    if isinstance(v, Node):
        return v
    if re.fullmatch(r"[QPL]\d+", v):
        return URIRef(WD + v)
    return Literal(v)


def parse_results(body: str) -> list[Row]:
    """SPARQL 1.1 JSON results to rows of rdflib terms (accepts Virtuoso's ``typed-literal``)."""
    data: dict[str, Any] = json.loads(body)
    rows: list[Row] = []
    for binding in data.get("results", {}).get("bindings", []):
        row: Row = {}
        for var, cell in binding.items():
            row[var] = _cell(cell)
        rows.append(row)
    return rows


def _cell(cell: dict[str, str]) -> Node:
    kind = cell.get("type")
    value = cell.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    lang = cell.get("xml:lang")
    dtype = cell.get("datatype")
    if dtype == VIRTUOSO_GEOMETRY:  # Virtuoso turns geo:wktLiteral into its own geometry type
        value = re.sub(r"^POINT\(", "Point(", value)
        dtype = WKT_LITERAL
    # normalize=False keeps the lexical form (WDQS writes "1961-01-01T00:00:00Z", not "+00:00")
    if lang:
        return Literal(value, lang=lang, normalize=False)
    if dtype:
        return Literal(value, datatype=URIRef(dtype), normalize=False)
    return Literal(value, normalize=False)


def qid(term: Node | str) -> str:
    """``Q64`` from ``http://www.wikidata.org/entity/Q64`` (or the id itself)."""
    text = str(term)
    return text.rsplit("/", 1)[-1] if text.startswith(WD) else text


def iter_batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class StoreClient(WikidataClient):
    """The same interface over a local pyoxigraph store (a mirror built by ``twinrdf wikidata
    mirror``), without HTTP: results go through the same JSON serialisation and parser, so the
    code that consumes them cannot tell the difference."""

    def __init__(self, store_path: str | Path, *, batch_size: int = 100) -> None:
        from pyoxigraph import Store

        path = Path(store_path)
        if not (path / "CURRENT").exists():
            raise WikidataError(f"no Oxigraph store at {path} (build one with `twinrdf wikidata mirror`)")
        try:
            self._store = Store.read_only(str(path))
        except OSError as exc:
            raise WikidataError(f"cannot open the store at {path}: {exc}") from exc
        super().__init__(f"file://{path.resolve()}", batch_size=batch_size)

    def _fetch(self, query: str) -> str:
        from pyoxigraph import QueryResultsFormat

        self.log.requests += 1
        try:
            result = self._store.query(query)
            data = result.serialize(format=QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise HTTPStatusError(400, f"query rejected by the local store: {exc}") from exc
        return data.decode("utf-8")


def make_client(endpoint: str, **kwargs: Any) -> WikidataClient:
    """A client for ``endpoint``: an http(s) SPARQL endpoint URL, or the folder of a local mirror."""
    if endpoint.startswith(("http://", "https://")):
        return WikidataClient(endpoint, **kwargs)
    return StoreClient(endpoint, batch_size=kwargs.get("batch_size", 100))
