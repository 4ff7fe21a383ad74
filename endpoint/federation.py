"""Federated ``SERVICE`` clauses, evaluated by twinrdf itself so that only allowlisted
endpoints are ever contacted, with a timeout and the configured User-Agent.

Each ``SERVICE [SILENT] <iri> { pattern }`` is found lexically (strings, IRIs and comments are
skipped the way the SPARQL grammar tokenizes them), its IRI checked against the allowlist, the
pattern sent to the remote endpoint as ``SELECT * WHERE { pattern }`` (with the query's
prologue), and the clause replaced by a ``VALUES`` block holding the remote solutions. Joining
inline data at the same place in the group is what SERVICE means, so the answer is the same,
and pyoxigraph never makes an HTTP request itself. A SERVICE whose target is a variable, a
non-allowlisted IRI, or anything this scanner cannot make sense of is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class FederationError(Exception):
    """``kind``: "forbidden" (403), "bad_request" (400) or "service" (502, remote failed)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<lbrace>\{)
  | (?P<rbrace>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*(?::[^\s{}()<>,;]*)?|[?$][A-Za-z0-9_]+|:[^\s{}()<>,;]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Service:
    start: int  # offset of the SERVICE keyword
    end: int  # offset just after the closing brace
    iri: str
    silent: bool
    pattern: str  # text between the braces


def find_services(query: str) -> list[_Service]:
    """The outermost SERVICE clauses of ``query``, in order."""
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(query)]
    tokens = [t for t in tokens if t[0] != "comment" and not (t[0] == "other" and t[1].isspace())]
    found: list[_Service] = []
    i = 0
    while i < len(tokens):
        kind, text, start, _ = tokens[i]
        if kind == "word" and text.upper() == "SERVICE":
            j = i + 1
            silent = False
            if j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT":
                silent = True
                j += 1
            if j >= len(tokens):
                raise FederationError("bad_request", "malformed SERVICE clause")
            tkind, ttext = tokens[j][0], tokens[j][1]
            if tkind != "iri":
                raise FederationError(
                    "forbidden",
                    f"SERVICE target {ttext} refused: only an allowlisted <IRI> may be a SERVICE target",
                )
            if j + 1 >= len(tokens) or tokens[j + 1][0] != "lbrace":
                raise FederationError(
                    "bad_request", "malformed SERVICE clause: expected { after the endpoint IRI"
                )
            depth = 0
            k = j + 1
            while k < len(tokens):
                if tokens[k][0] == "lbrace":
                    depth += 1
                elif tokens[k][0] == "rbrace":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            if k >= len(tokens):
                raise FederationError("bad_request", "malformed SERVICE clause: unbalanced braces")
            open_end, close_start = tokens[j + 1][3], tokens[k][2]
            found.append(_Service(start, tokens[k][3], ttext[1:-1], silent, query[open_end:close_start]))
            i = k + 1
            continue
        i += 1
    return found


_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE)


def check_allowed(query: str, allowlist: list[str]) -> list[_Service]:
    services = find_services(query)
    allowed = set(allowlist)
    for s in services:
        if s.iri not in allowed:
            raise FederationError(
                "forbidden",
                f"SERVICE <{s.iri}> refused: federated queries may only call "
                f"{', '.join(sorted(allowed)) or 'nothing'}",
            )
    return services


def resolve_services(query: str, allowlist: list[str], timeout: float, user_agent: str) -> str:
    """Evaluate every SERVICE clause remotely and return the query with VALUES in their place."""
    services = check_allowed(query, allowlist)
    if not services:
        return query
    prologue = query[: _PROLOGUE.match(query).end()]  # type: ignore[union-attr]
    out: list[str] = []
    pos = 0
    for s in services:
        out.append(query[pos : s.start])
        out.append(_values_block(_call(s, prologue, timeout, user_agent)))
        pos = s.end
    out.append(query[pos:])
    return "".join(out)


def _call(s: _Service, prologue: str, timeout: float, user_agent: str) -> dict | None:
    import requests

    remote = f"{prologue}\nSELECT * WHERE {{{s.pattern}}}"
    try:
        resp = requests.post(
            s.iri,
            data={"query": remote},
            headers={"Accept": "application/sparql-results+json", "User-Agent": user_agent},
            timeout=timeout,
            allow_redirects=False,
        )
        resp.raise_for_status()
        return resp.json()
    except (requests.RequestException, ValueError) as exc:
        if s.silent:
            return None
        raise FederationError("service", f"SERVICE <{s.iri}> failed: {exc}") from exc


def _values_block(results: dict | None) -> str:
    """SPARQL JSON results -> ``VALUES (?a ?b) { ... }`` (None: SERVICE SILENT's one empty solution)."""
    if results is None:
        return " VALUES () { () } "
    variables = [v for v in results.get("head", {}).get("vars", []) if re.fullmatch(r"[A-Za-z0-9_]+", v)]
    rows = results.get("results", {}).get("bindings", [])
    head = " ".join("?" + v for v in variables)
    body = []
    for row in rows:
        body.append("(" + " ".join(_term(row.get(v)) for v in variables) + ")")
    return f" VALUES ({head}) {{ {' '.join(body)} }} "


def _term(t: dict | None) -> str:
    import json

    if not t:
        return "UNDEF"
    kind, value = t.get("type"), t.get("value", "")
    if kind == "uri":
        if not re.fullmatch(r"[^<>\"{}|^`\\\x00-\x20]*", value):
            raise FederationError("service", f"the remote endpoint returned an invalid IRI: {value!r}")
        return f"<{value}>"
    if kind == "bnode":
        return "UNDEF"  # blank nodes from another endpoint cannot be referred to
    if kind in ("literal", "typed-literal"):
        lexical = json.dumps(value, ensure_ascii=False)
        if t.get("xml:lang"):
            lang = t["xml:lang"]
            if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", lang):
                raise FederationError(
                    "service", f"the remote endpoint returned an invalid language tag: {lang!r}"
                )
            return f"{lexical}@{lang}"
        if t.get("datatype"):
            dt = t["datatype"]
            if not re.fullmatch(r"[^<>\"{}|^`\\\x00-\x20]*", dt):
                raise FederationError("service", f"the remote endpoint returned an invalid datatype: {dt!r}")
            return f"{lexical}^^<{dt}>"
        return lexical
    raise FederationError("service", f"the remote endpoint returned an unsupported term type: {kind!r}")
