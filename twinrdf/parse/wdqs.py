"""WDQS answers (``application/sparql-results+json``) for twin-pair and locality queries.

The usual query asks for ``?city ?cityLabel ?twin ?twinLabel ?start ?end ?country ...`` with
the label service. A result document is a table whose rows are the bindings, so it goes
through the same row mapping as CSV files (:func:`twinrdf.parse.mapping.parse_rows`): each
binding becomes a row of ``{variable: value}`` plus ``variable@lang`` and ``variable^^``
(datatype) columns. Without ``--mapping`` the variables are recognised by the usual names:

- pair mode (a subject and a partner variable): one listing per row, ``subject lists partner``
  (what ``?city wdt:P190 ?twin`` means), with ``<var>Label`` / ``<var>AltLabel`` /
  ``<var>Description``, ``<var>Country``/``?country`` (+``Label``), ``<var>Coord``/``?coord``,
  ``?start``/``?end`` (P580/P582; WDQS gives dateTime, so precision is day at best);
- entity mode (only an item variable): one locality record per row, for queries that fetch
  labels, descriptions and aliases of items (``?item ?itemLabel ?itemDescription
  ?itemAltLabel``).

A row whose item is a blank node or not a Wikidata item is rejected (file, row, reason).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twinrdf.parse import InputError, register
from twinrdf.parse.common import json_error
from twinrdf.parse.mapping import Mapping, load_mapping, parse_rows
from twinrdf.perf import paused_gc
from twinrdf.records import Locality, Origin, RecordSet, Reject

SUBJECT_VARS = ("city", "item", "place", "subject", "city1", "town", "municipality", "entity", "source", "a")
PARTNER_VARS = ("twin", "partner", "sister", "twinCity", "sisterCity", "city2", "twinned", "target", "other",
                "b")
START_VARS = ("start", "startTime", "start_time", "startDate", "since", "from")
END_VARS = ("end", "endTime", "end_time", "endDate", "until", "to")
WD_ITEM = re.compile(r"^https?://www\.wikidata\.org/entity/(Q[1-9]\d*)$")


def _head(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read(4096)
    except (OSError, UnicodeDecodeError):
        return ""


def claims(path: Path, mapping: Path | None) -> bool:
    if not path.is_file():
        return False
    if path.suffix.lower() == ".srj":
        return True
    if path.suffix.lower() != ".json":
        return False
    head = _head(path)
    return '"head"' in head and ('"vars"' in head or '"results"' in head or '"boolean"' in head)


def read_results(path: Path, file: str) -> tuple[list[str], list[dict]]:
    """(variables, bindings) of a SPARQL JSON results document; InputError when it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise InputError(f"{file}: the file is empty")
    if b"\x00" in raw[:4096]:
        raise InputError(f"{file}: binary content; expected SPARQL JSON results")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(json_error(file, exc, len(raw.rstrip()))) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("head"), dict):
        raise InputError(f"{file}: not SPARQL JSON results (no 'head')")
    if "boolean" in doc:
        raise InputError(f"{file}: an ASK answer (true/false) has no rows to convert")
    vars_ = doc["head"].get("vars") or []
    results = doc.get("results")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        raise InputError(f"{file}: not SPARQL JSON results (no results.bindings)")
    return [str(v) for v in vars_], results["bindings"]


def _rows(bindings: list[dict]) -> Iterator[tuple[int, dict]]:
    for i, b in enumerate(bindings, start=1):
        if not isinstance(b, dict):
            yield i, {"__notobject__": type(b).__name__}
            continue
        row: dict[str, Any] = {}
        for var, term in b.items():
            if not isinstance(term, dict):
                continue
            if term.get("type") == "bnode":
                row[var + "^bnode"] = term.get("value")
                continue
            row[var] = term.get("value")
            if term.get("xml:lang"):
                row[var + "@lang"] = term["xml:lang"]
            if term.get("datatype"):
                row[var + "^^"] = term["datatype"]
        yield i, row


def _pick(vars_: list[str], names: tuple[str, ...]) -> str | None:
    low = {v.lower(): v for v in vars_}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def _side(vars_: list[str], var: str, country_var: str | None) -> dict[str, Any]:
    side: dict[str, Any] = {"wikidata": var}
    label = _pick(vars_, (var + "Label",))
    if label:
        side["name"] = label
        side["lang"] = label + "@lang"
    for key, suffix in (("aliases", "AltLabel"), ("description", "Description")):
        v = _pick(vars_, (var + suffix,))
        if v:
            side[key] = v
    c = _pick(vars_, (var + "CountryLabel",)) or _pick(vars_, (var + "Country",))
    if c is None and country_var:
        c = country_var
    if c:
        side["country"] = c
    coord = _pick(vars_, (var + "Coord", var + "Coords", var + "Location"))
    if coord:
        side["coordinates"] = coord
    return side


def auto_mapping(vars_: list[str], file: str) -> Mapping | None:
    """A pair mapping from the usual variable names, or None when there is no partner variable."""
    subject = _pick(vars_, SUBJECT_VARS)
    partner = _pick(vars_, PARTNER_VARS)
    if subject is None or partner is None or subject == partner:
        return None
    country = _pick(vars_, ("countryLabel",)) or _pick(vars_, ("country",))
    twin_country = _pick(vars_, (partner + "CountryLabel", "twinCountryLabel", partner + "Country",
                                 "twinCountry"))
    spec: dict[str, Any] = {
        "from": _side(vars_, subject, country),
        "to": _side(vars_, partner, twin_country),
        "directional": True,
        "source": {"id": "wdqs-" + re.sub(r"[^A-Za-z0-9._-]+", "-", Path(file).name),
                   "title": f"Wikidata Query Service answer ({Path(file).name})",
                   "url": "https://query.wikidata.org/"},
    }
    if not any(k in spec["from"] for k in ("coordinates",)):
        coord = _pick(vars_, ("coord", "coords", "location"))
        if coord:
            spec["from"]["coordinates"] = coord
    agreement: dict[str, Any] = {}
    s = _pick(vars_, START_VARS)
    e = _pick(vars_, END_VARS)
    if s:
        agreement["start_date"] = s
    if e:
        agreement["end_date"] = e
    st = _pick(vars_, ("statement", "stmt"))
    if st:
        agreement["note"] = st
    if agreement:
        spec["agreement"] = agreement
    return Mapping(spec=spec)


def _entity_mode(vars_: list[str], bindings: list[dict], file: str) -> RecordSet:
    item = _pick(vars_, SUBJECT_VARS)
    if item is None:
        raise InputError(
            f"{file}: no variable names an item or a twin pair (variables: {', '.join(vars_)}); "
            "expected ?city/?item and ?twin/?partner, or give --mapping naming them"
        )
    rs = RecordSet()
    label = _pick(vars_, (item + "Label",))
    alt = _pick(vars_, (item + "AltLabel",))
    desc = _pick(vars_, (item + "Description",))
    for i, row in _rows(bindings):
        rs.rows_read += 1
        if "__notobject__" in row:
            rs.rejects.append(Reject(file, i, "a binding that is not an object"))
            continue
        if item + "^bnode" in row:
            rs.rejects.append(Reject(file, i, "the item is a blank node, not a Wikidata item", column=item,
                                     value=row[item + "^bnode"]))
            continue
        value = row.get(item)
        m = WD_ITEM.match(value or "")
        if not m:
            rs.rejects.append(Reject(file, i, "not a Wikidata item" if value else "the item is unbound",
                                     column=item, value=value))
            continue
        names = []
        if label and row.get(label):
            names.append((row[label], row.get(label + "@lang")))
        if alt and row.get(alt):
            names.extend((a.strip(), row.get(alt + "@lang")) for a in row[alt].split(", ") if a.strip())
        descriptions = [(row[desc], row.get(desc + "@lang"))] if desc and row.get(desc) else []
        qid = m.group(1)
        rs.localities.append(Locality(key=qid, wikidata=qid, names=names or [(qid, None)],
                                      descriptions=descriptions, origin=Origin(file, i)))
    return rs


def parse_results(path: Path, mapping: Mapping | None = None, label: str | None = None) -> RecordSet:
    """Records from one WDQS JSON answer (pair mode or entity mode, see the module docstring)."""
    file = label or str(path)
    vars_, bindings = read_results(path, file)
    with paused_gc():
        m = mapping or auto_mapping(vars_, file)
        if m is None:
            return _entity_mode(vars_, bindings, file)
        missing = _unknown_variables(m, vars_)
        if missing:
            raise InputError(f"{file}: the mapping names variables the answer does not have: "
                             f"{', '.join(missing)} (variables: {', '.join(vars_)})")
        rs = parse_rows(_pair_rows(_rows(bindings), m), m, file)
        return rs


def _pair_rows(rows: Iterator[tuple[int, dict]], m: Mapping) -> Iterator[tuple[int, dict]]:
    """Blank-node items have no Q-id; drop the value so that the row is rejected for it."""
    for i, row in rows:
        for side in ("from", "to"):
            var = m.spec[side].get("wikidata")
            if isinstance(var, str) and var + "^bnode" in row:
                yield i, {"__bnode__": var}
                break
        else:
            yield i, row


def _unknown_variables(m: Mapping, vars_: list[str]) -> list[str]:
    known = set(vars_)
    out = []
    for section in ("from", "to", "agreement"):
        for f in (m.spec.get(section) or {}).values():
            col = f if isinstance(f, str) else (f.get("column") if isinstance(f, dict) else None)
            if col and col.split("@")[0].split("^")[0] not in known:
                out.append(col)
    return sorted(set(out))


def parse(paths: list[Path], mapping: Path | None) -> RecordSet:
    m = load_mapping(mapping) if mapping is not None else None
    rs = RecordSet()
    for p in paths:
        rs.extend(parse_results(p, m))
    return rs


register("wdqs", claims, parse)
