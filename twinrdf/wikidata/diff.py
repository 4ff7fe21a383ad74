"""Diff between the local twinnings and Wikidata's P190 (twinned administrative body) statements.

Finds twinnings in the local data that Wikidata lacks, twinnings in Wikidata that the local data
lacks, one-sided P190 statements in Wikidata (A lists B, B does not list A), and start or end
dates that disagree (compared at the coarser of the two precisions). Writes a Markdown report,
a CSV, and QuickStatements (V1, tab-separated) for the missing P190 statements with a P580
qualifier and an S854 reference URL where known, for an editor to review and upload.

Only localities linked with ``twin:wikidata`` take part; agreements with an unlinked partner are
counted as not comparable. Wikidata's side is read for every linked item in both directions
(statements of the item, and statements naming it), so one-sidedness is known for every pair
that touches the local data.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from twinrdf.dates import DateError, PartialDate
from twinrdf.wikidata.client import WikidataClient, prefix_block, qid
from twinrdf.wikidata.reconcile import (
    TWIN,
    build_client,
    client_options,
    exit_2_on_errors,
    load_localities,
    open_sources,
    write_atomic,
)

_P190_COLS = ("?item ?st ?partner ?start ?startPrec ?end ?endPrec ?ref WHERE { {values} "
              "?item p:P190 ?st . ?st ps:P190 ?partner ; wikibase:rank ?rank . "
              "FILTER(?rank != wikibase:DeprecatedRank) "
              "OPTIONAL { ?st pq:P580 ?start OPTIONAL { ?st pqv:P580/wikibase:timePrecision ?startPrec } } "
              "OPTIONAL { ?st pq:P582 ?end OPTIONAL { ?st pqv:P582/wikibase:timePrecision ?endPrec } } "
              "OPTIONAL { ?st prov:wasDerivedFrom ?r . ?r pr:P854 ?ref } }")
_PFX = prefix_block(["p", "ps", "pq", "pqv", "pr", "prov", "wikibase"])
Q_FORWARD = _PFX + "SELECT " + _P190_COLS
Q_REVERSE = _PFX + "SELECT " + _P190_COLS  # same shape, VALUES on ?partner
Q_LABELS = prefix_block(["rdfs"]) + (
    'SELECT ?item ?label WHERE { {values} ?item rdfs:label ?label FILTER(LANG(?label) IN ("en", "mul")) }')


@dataclass
class WdEdge:
    source: str
    target: str
    statement: str
    start: PartialDate | None = None
    end: PartialDate | None = None
    refs: set[str] = field(default_factory=set)


@dataclass
class LocalPair:
    a: str  # locality IRIs, a < b
    b: str
    qa: str
    qb: str
    agreement: str | None
    start: PartialDate | None = None
    end: PartialDate | None = None
    url: str | None = None


@dataclass
class Finding:
    kind: str  # local-only | wikidata-only | one-sided | date-disagrees
    qa: str
    qb: str
    detail: str
    local: str = ""
    label_a: str = ""
    label_b: str = ""


@dataclass
class DiffResult:
    findings: list[Finding]
    quickstatements: list[str]
    local_pairs: int
    not_comparable: int
    wikidata_edges: int

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _date(text: str | None) -> PartialDate | None:
    if not text:
        return None
    try:
        return PartialDate.parse(text)
    except DateError:
        return None


def _wd_date(value: object, prec: object) -> PartialDate | None:
    if value is None:
        return None
    try:
        return PartialDate.from_wikidata(str(value), int(str(prec)) if prec is not None else 11)
    except (DateError, ValueError):
        return None


def dates_agree(a: PartialDate, b: PartialDate) -> bool:
    """Equal at the coarser precision of the two (1987 agrees with 1987-05-12)."""
    order = {"year": 0, "month": 1, "day": 2}
    p = min(order[a.precision], order[b.precision])
    ka = (a.year, a.month, a.day)[: p + 1]
    kb = (b.year, b.month, b.day)[: p + 1]
    return ka == kb


Sources = str | Path | Sequence[str | Path] | Callable[..., Any]


def local_pairs(sources: Sources) -> tuple[list[LocalPair], int]:
    """Pairs of linked localities that the local data says are twinned; and how many agreements
    could not be compared because a partner has no Q-id."""
    query = sources if callable(sources) else open_sources(sources)
    links = {loc.iri: loc.wikidata for loc in load_localities(query) if loc.wikidata}
    q = f"""PREFIX twin: <{TWIN}>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?ag ?x ?y ?start ?end ?url WHERE {{
  ?ag a twin:TwinningAgreement ; twin:partner ?x, ?y . FILTER(STR(?x) < STR(?y))
  OPTIONAL {{ ?ag twin:startDate ?start }} OPTIONAL {{ ?ag twin:endDate ?end }}
  OPTIONAL {{ ?ag prov:wasDerivedFrom ?src . ?src twin:url ?url }}
}}"""
    shortcuts = f"PREFIX twin: <{TWIN}>\nSELECT ?x ?y WHERE {{ ?x twin:twinnedWith ?y }}"
    pairs: dict[tuple[str, str], LocalPair] = {}
    unlinked: set[str] = set()
    agreed: set[tuple[str, str]] = set()
    for sol in query(q):
        x, y = sol["x"].value, sol["y"].value
        ag = sol["ag"].value
        agreed.add((x, y))
        if x not in links or y not in links:
            unlinked.add(ag)
            continue
        pair = pairs.get((x, y))
        if pair is None:
            pair = pairs[(x, y)] = LocalPair(x, y, links[x], links[y], ag)
        pair.start = pair.start or _date(sol["start"].value if sol["start"] is not None else None)
        pair.end = pair.end or _date(sol["end"].value if sol["end"] is not None else None)
        pair.url = pair.url or (sol["url"].value if sol["url"] is not None else None)
    # twin:twinnedWith shortcuts (either direction) count only where no agreement links the two
    for sol in query(shortcuts):
        x, y = sorted((sol["x"].value, sol["y"].value))
        if x == y or (x, y) in agreed or (x, y) in pairs:
            continue
        if x not in links or y not in links:
            unlinked.add(f"{x} {y}")
            continue
        pairs[(x, y)] = LocalPair(x, y, links[x], links[y], None)
    return [pairs[k] for k in sorted(pairs)], len(unlinked)


def wikidata_edges(client: WikidataClient, qids: Sequence[str]) -> dict[tuple[str, str], list[WdEdge]]:
    """Non-deprecated P190 statements from and to the given items, by (source, target)."""
    edges: dict[str, WdEdge] = {}
    rows = client.select_values(Q_FORWARD, "item", list(qids))
    rows += client.select_values(Q_REVERSE, "partner", list(qids))
    for row in rows:
        st = str(row["st"])
        e = edges.get(st)
        if e is None:
            e = edges[st] = WdEdge(qid(row["item"]), qid(row["partner"]), st,
                                   _wd_date(row.get("start"), row.get("startPrec")),
                                   _wd_date(row.get("end"), row.get("endPrec")))
        if "ref" in row:
            e.refs.add(str(row["ref"]))
    out: dict[tuple[str, str], list[WdEdge]] = defaultdict(list)
    for e in sorted(edges.values(), key=lambda e: e.statement):
        out[(e.source, e.target)].append(e)
    return out


def _qs_time(d: PartialDate) -> str:
    prec = {"year": 9, "month": 10, "day": 11}[d.precision]
    return f"+{d.year:04d}-{d.month or 0:02d}-{d.day or 0:02d}T00:00:00Z/{prec}"


def quickstatement(source: str, target: str, start: PartialDate | None, url: str | None,
                   end: PartialDate | None = None) -> str:
    """A QuickStatements V1 line: source P190 target, with P580/P582 qualifiers and S854."""
    parts = [source, "P190", target]
    if start is not None:
        parts += ["P580", _qs_time(start)]
    if end is not None:
        parts += ["P582", _qs_time(end)]
    if url:
        parts += ["S854", '"' + url.replace('"', "%22") + '"']
    return "\t".join(parts)


def _key(q: str) -> tuple[int, str]:
    return (len(q), q)


def diff(sources: str | Path | Sequence[str | Path], client: WikidataClient) -> DiffResult:
    """Compare the local twinnings in ``sources`` with Wikidata's P190 statements."""
    query = open_sources(sources)
    pairs, not_comparable = local_pairs(query)
    linked = sorted({loc.wikidata for loc in load_localities(query) if loc.wikidata}, key=_key)
    edges = wikidata_edges(client, linked)
    findings: list[Finding] = []
    qs: list[str] = []
    local_set = {frozenset((p.qa, p.qb)): p for p in pairs}
    for p in pairs:
        fwd, back = edges.get((p.qa, p.qb), []), edges.get((p.qb, p.qa), [])
        if not fwd and not back:
            findings.append(Finding("local-only", p.qa, p.qb, "Wikidata has no P190 either way",
                                    p.agreement or ""))
            qs.append(quickstatement(p.qa, p.qb, p.start, p.url, p.end))
            qs.append(quickstatement(p.qb, p.qa, p.start, p.url, p.end))
            continue
        for e in fwd + back:
            checks = (("start", p.start, e.start, "P580"), ("end", p.end, e.end, "P582"))
            for what, local_d, wd_d, prop in checks:
                if local_d is not None and wd_d is not None and not dates_agree(local_d, wd_d):
                    detail = f"{what}: local {local_d}, Wikidata {prop} {wd_d} ({e.statement})"
                    findings.append(Finding("date-disagrees", e.source, e.target, detail, p.agreement or ""))
    seen_pairs: set[frozenset[str]] = set()
    linked_set = set(linked)
    for (s, t), es in sorted(edges.items(), key=lambda kv: (_key(kv[0][0]), _key(kv[0][1]))):
        pair = frozenset((s, t))
        if not edges.get((t, s)):
            e = es[0]
            findings.append(Finding("one-sided", s, t, f"{s} lists {t} as P190, {t} does not list {s}",
                                    local_set[pair].agreement or "" if pair in local_set else ""))
            local = local_set.get(pair)
            url = sorted(e.refs)[0] if e.refs else (local.url if local else None)
            qs.append(quickstatement(t, s, e.start or (local.start if local else None), url,
                                     e.end or (local.end if local else None)))
        if pair in local_set or pair in seen_pairs:
            continue
        seen_pairs.add(pair)
        a, b = sorted(pair, key=_key)
        both = "both in" if a in linked_set and b in linked_set else "one partner not in"
        findings.append(Finding("wikidata-only", a, b, f"P190 in Wikidata; {both} the local data"))
    labels = _labels(client, {q for f in findings for q in (f.qa, f.qb)})
    for f in findings:
        f.label_a, f.label_b = labels.get(f.qa, ""), labels.get(f.qb, "")
    order = {"local-only": 0, "wikidata-only": 1, "one-sided": 2, "date-disagrees": 3}
    findings.sort(key=lambda f: (order[f.kind], _key(f.qa), _key(f.qb), f.detail))
    n_edges = sum(len(v) for v in edges.values())
    return DiffResult(findings, sorted(set(qs), key=lambda line: line.split("\t")[:3]), len(pairs),
                      not_comparable, n_edges)


def _labels(client: WikidataClient, qids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in client.select_values(Q_LABELS, "item", sorted(qids, key=_key)):
        q = qid(row["item"])
        lab = row["label"]
        if q not in out or getattr(lab, "language", None) == "en":
            out[q] = str(lab)
    return out


# --- reports ---------------------------------------------------------------------------------------

CSV_FIELDS = ["kind", "item_a", "label_a", "item_b", "label_b", "detail", "local_agreement"]
TITLES = {"local-only": "Twinnings in the local data that Wikidata lacks",
          "wikidata-only": "Twinnings in Wikidata that the local data lacks",
          "one-sided": "One-sided P190 statements in Wikidata",
          "date-disagrees": "Dates that disagree"}


def to_csv(result: DiffResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for f in result.findings:
        w.writerow([f.kind, f.qa, f.label_a, f.qb, f.label_b, f.detail, f.local])
    return buf.getvalue()


def to_markdown(result: DiffResult, endpoint: str) -> str:
    lines = ["# Twinnings: local data and Wikidata", "",
             f"Compared {result.local_pairs} local twinnings between linked localities with "
             f"{result.wikidata_edges} P190 statements from <{endpoint}>; "
             f"{result.not_comparable} local agreements have a partner without a Q-id and were not "
             "compared.", ""]
    lines += ["| finding | count |", "|---|---|"]
    lines += [f"| {TITLES[k]} | {result.count(k)} |" for k in TITLES]
    for kind, title in TITLES.items():
        rows = [f for f in result.findings if f.kind == kind]
        if not rows:
            continue
        lines += ["", f"## {title}", "", "| A | B | detail |", "|---|---|---|"]
        for f in rows:
            detail = f.detail.replace("|", "/")
            lines.append(f"| {_cell(f.qa, f.label_a)} | {_cell(f.qb, f.label_b)} | {detail} |")
    lines += ["", f"{len(result.quickstatements)} QuickStatements lines for the missing P190 statements.", ""]
    return "\n".join(lines)


def _cell(q: str, label: str) -> str:
    lab = label.replace("|", "/")
    return f"[{q}](https://www.wikidata.org/wiki/{q}) {lab}".strip()


@click.command("diff-wikidata")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CSV here.")
@click.option("--quickstatements", type=click.Path(dir_okay=False, path_type=Path),
              help="Write QuickStatements (V1) for the missing P190 statements here.")
@client_options
def diff_command(sources: tuple[Path, ...], markdown: Path | None, csv_path: Path | None,
                 quickstatements: Path | None, **client_kw: object) -> None:
    """Compare local twinnings with Wikidata's P190 statements.

    SOURCES are RDF files (data and the links from `twinrdf reconcile`) or one store folder.
    Prints the Markdown report unless --markdown is given. Exit 0 when the two agree, 1 when
    differences were found, 2 on usage, I/O or endpoint errors.
    """
    client = build_client(**client_kw)  # type: ignore[arg-type]
    with exit_2_on_errors():
        result = diff(sources, client)
    report = to_markdown(result, client.endpoint)
    if markdown is not None:
        write_atomic(markdown, report)
        click.echo(", ".join(f"{result.count(k)} {k}" for k in TITLES) +
                   f"; {len(result.quickstatements)} QuickStatements lines")
    else:
        click.echo(report)
    if csv_path is not None:
        write_atomic(csv_path, to_csv(result))
    if quickstatements is not None:
        lines = "".join(line + "\n" for line in result.quickstatements)
        write_atomic(quickstatements, lines)
    sys.exit(1 if result.findings else 0)
