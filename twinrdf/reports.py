"""The reports a conversion writes besides RDF: one-sided pairs and the review of resolution.

- **One-sided pairs**: A lists B as a twin but B does not list A, a well-known defect of
  scraped twinning lists (only a few percent of the Wikipedia pairs appear from both sides).
  One CSV row per pair, with who listed whom, the source and the input line.
- **Review**: entity-resolution decisions a person should check (:class:`ReviewItem`):
  merges made on weaker evidence and possible duplicates left apart.

Both are CSV, written atomically like every other output.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from twinrdf import rdfio
from twinrdf.records import RecordSet, Reject

ONE_SIDED_COLUMNS = ("listed_by", "listed_by_name", "partner", "partner_name", "source", "file", "line")
REVIEW_COLUMNS = ("kind", "merged", "names", "message", "file", "line")


@dataclass(frozen=True)
class OneSided:
    listed_by: str
    listed_by_name: str
    partner: str
    partner_name: str
    source: str
    file: str
    line: int


def one_sided_pairs(records: RecordSet, rejects: Iterable[Reject] = ()) -> list[OneSided]:
    """Pairs of two localities whose listings all come from one side (rejected rows left out)."""
    bad = {(r.file, r.line) for r in rejects if r.file}
    label = {}
    for loc in records.localities:
        if loc.key not in label and loc.names:
            label[loc.key] = loc.names[0][0]
    sides: dict[frozenset[str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for a in records.agreements:
        if a.origin is not None and (a.origin.file, a.origin.line) in bad:
            continue
        if len(set(a.partners)) != 2:
            continue
        for li in a.listings:
            sides[frozenset(a.partners)][li.listed_by].append(li)
    out: list[OneSided] = []
    for pair, by in sides.items():
        if len(by) != 1:
            continue
        (who, listings), = by.items()
        li = listings[0]
        partner = next(iter(pair - {who}))
        o = li.origin
        out.append(OneSided(who, label.get(who, ""), partner, label.get(partner, ""), li.source or "",
                            o.file if o else "", o.line if o else 0))
    out.sort(key=lambda x: (x.file, x.line, x.listed_by, x.partner))
    return out


def _atomic_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable]) -> None:
    with rdfio.atomic_text(path) as out:
        w = csv.writer(out)
        w.writerow(list(header))
        w.writerows(rows)


def write_one_sided(pairs: Iterable[OneSided], path: Path) -> None:
    """The one-sided pairs report (CSV, columns ONE_SIDED_COLUMNS)."""
    _atomic_csv(path, ONE_SIDED_COLUMNS, ([p.listed_by, p.listed_by_name, p.partner, p.partner_name, p.source,
                                           p.file, p.line] for p in pairs))


def write_review(records: RecordSet, path: Path) -> None:
    """The entity-resolution review report (CSV, columns REVIEW_COLUMNS)."""
    _atomic_csv(path, REVIEW_COLUMNS, (
        [x.kind, "yes" if x.merged else "no", " | ".join(x.names), x.message,
         x.origin.file if x.origin else "", x.origin.line if x.origin else ""]
        for x in records.review))
