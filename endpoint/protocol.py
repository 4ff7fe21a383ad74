"""Shared SPARQL 1.1 Protocol helpers: request errors, content negotiation, query forms, auth."""

from __future__ import annotations

import functools
import hmac
import re

from flask import Request, Response
from twinrdf.endpoint.results import ACCEPTABLE, FORMAT_ALIASES, FORMATS
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


class ProtocolError(Exception):
    """An HTTP error with a readable message (rendered as text/plain)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(
            self.message.rstrip() + "\n", status=self.status, headers=self.headers, mimetype="text/plain"
        )


_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE from the text (None when it cannot tell: the
    evaluator then reports the syntax error)."""
    m = _PROLOGUE.match(query)
    kw = _FORM.match(query, m.end() if m else 0)
    return kw.group(1).upper() if kw else None


# ``format=`` values that name a different format depending on the result kind (clients such
# as SPARQLWrapper send format=json / xml / n3 whatever the query form).
_KIND_ALIASES = {
    "graph": {"json": "jsonld", "xml": "rdfxml", "n3": "turtle", "rdf+xml": "rdfxml"},
    "results": {},
}


def negotiate(kind: str, request: Request, format_param: str | None) -> str | None:
    """The format name for ``kind`` ("results" or "graph"): the ``format`` parameter wins when
    it names a format (of the right kind; of the wrong kind: None, a 406), an unknown value falls
    back to Accept with q-values, then the first offered format; None when nothing is acceptable."""
    if format_param:
        value = format_param.strip().lower()
        name = _KIND_ALIASES[kind].get(value) or FORMAT_ALIASES.get(value)
        if name is not None:
            return name if FORMATS[name][1] == kind else None
    return _by_accept(kind, request.headers.get("Accept") or "")


@functools.lru_cache(maxsize=1024)
def _by_accept(kind: str, accept: str) -> str | None:
    """Accept header -> format, memoised: clients send the same few headers again and again,
    and parsing one with q-values costs more than the rest of a cached request."""
    offered = ACCEPTABLE[kind]
    if not accept:
        return offered[0][1]
    best = parse_accept_header(accept, MIMEAccept).best_match([mt for mt, _ in offered])
    if best is None:
        return None
    return dict(offered)[best]


def check_update_auth(enabled: bool, token: str | None, request: Request) -> None:
    """Updates: off -> 403; on without a configured token -> 403; no credentials -> 401;
    a wrong token -> 403."""
    if not enabled:
        raise ProtocolError(
            403, "updates are disabled on this endpoint (set enable_updates and TWINRDF_UPDATE_TOKEN)"
        )
    if not token:
        raise ProtocolError(403, "updates are enabled but no update token is configured on the server")
    header = request.headers.get("Authorization", "")
    if not header:
        raise ProtocolError(
            401,
            "updates need an Authorization: Bearer <token> header",
            {"WWW-Authenticate": 'Bearer realm="twinrdf"'},
        )
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ProtocolError(403, "invalid update token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def decode_body(request: Request, what: str) -> str:
    """The request body as text: only UTF-8 is accepted (SPARQL Protocol)."""
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"the {what} must be sent as UTF-8 (got charset={charset})")
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {what} is not valid UTF-8: {exc}") from exc
