"""The twinrdf tables: a folder of UTF-8 CSV files that map one-to-one onto the records.

The column reference is docs/tables.md (a test checks it against :data:`TABLES`). Each table
file is named after its table (``localities.csv``, ``agreements.csv``, ...). A file that cannot
be read at all (not UTF-8, a missing required column, an unknown or repeated column, an
unknown table name) raises :class:`TablesError` naming every such file; a bad row becomes a
``Reject`` with file, line, column, reason and value, and never stops the others.

What is checked here: the shape of each cell (ids, dates with precision, numbers and ranges,
language tags, Q-ids, booleans, the number of fields per row), the vocabulary values (with
the allowed values in the message), unique ids per table, and that status changes and signings
name an agreement of agreements.csv. References between records (partners, sources, agents)
are checked by the builder, which rejects a row naming an unknown or rejected id; the column
names of the tables are the record field names, so its rejects name the right column too.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twinrdf import concepts
from twinrdf.dates import DateError, PartialDate
from twinrdf.parse import InputError, register
from twinrdf.records import (
    Activity,
    Agent,
    Agreement,
    Document,
    Locality,
    Origin,
    RecordSet,
    Reject,
    Signing,
    Source,
    StatusChange,
    TerritorialStatus,
)

SEPARATOR = "|"
ID_RE = re.compile(r"^[A-Za-z0-9._-]+$")
LANG_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
QID_RE = re.compile(r"^Q[1-9][0-9]*$")
CODE_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class Column:
    """One column: its name, whether it is required, and how its cells are read.

    ``kind`` is one of: id, ref, refs, text, url, date, lat, lon, count, bool, qid, digits,
    lang, names, code, concept, concepts (the last two with ``scheme``, a twinrdf.concepts field).
    """

    name: str
    kind: str
    required: bool = False
    scheme: str | None = None


def _c(spec: str) -> Column:
    """``"name:kind[:scheme][*]"`` -> Column (``*`` marks a required column)."""
    required = spec.endswith("*")
    parts = spec.rstrip("*").split(":")
    return Column(parts[0], parts[1], required, parts[2] if len(parts) > 2 else None)


_SOURCES = "sources:refs"
TABLES: dict[str, tuple[Column, ...]] = {
    name: tuple(_c(s) for s in specs)
    for name, specs in {
        "sources": ["id:id*", "title:text", "url:url", "reference_number:text", "retrieved:date",
                    "quotation:text", "publisher:text"],
        "localities": ["id:id*", "name:text*", "lang:lang", "other_names:names", "scope:concept:scope",
                       "country:ref", "country_code:code", "parent:ref", "lat:lat", "lon:lon",
                       "population:count", "population_date:date", "wikidata:qid", "geonames:digits",
                       "governing_body:ref", "disputed:bool", "note:text", _SOURCES],
        "agents": ["id:id*", "kind:concept:agent_kind*", "name:text*", "lang:lang", "other_names:names",
                   "office:text", "country:ref", "roles:concepts:role", "parent:ref",
                   "collaborates_with:refs", "located_in:ref", "wikidata:qid", "description:text",
                   _SOURCES],
        "agreements": ["id:id*", "partners:refs*", "kind:concept:agreement_kind", "status:concept:status",
                       "signing_date:date", "start_date:date", "end_date:date",
                       "purposes:concepts:purpose", "held_by:refs", "coordinated_by:refs",
                       "initiated_by:refs", "documents:refs", "label:text", "note:text", _SOURCES],
        "status_changes": ["agreement:ref*", "status:concept:status*", "date:date", "reason:text", _SOURCES],
        "signings": ["agreement:ref*", "person:ref*", "on_behalf_of:ref", "office:text", "date:date"],
        "documents": ["id:id*", "title:text", "url:url", "date:date", "description:text", _SOURCES],
        "activities": ["id:id*", "kind:concept:activity_kind*", "label:text", "description:text", "date:date",
                       "start_date:date", "end_date:date", "not_before:date", "not_after:date",
                       "period_label:text", "frequency:text", "involves:refs", "participants:refs",
                       "agreement:ref", "purposes:concepts:purpose", "themes:concepts:purpose",
                       "sender:ref", "recipient:ref", "commemorates:ref", "located_in:ref",
                       "commemoration_form:concept:commemoration_form", "company:ref", "chamber:ref",
                       "initiated_by:refs", "coordinated_by:refs", "country:ref", "according_to:ref",
                       _SOURCES],
        "territorial": ["id:id*", "locality:ref*", "kind:concept:territorial_kind*", "recognised_by:ref",
                        "recognised_as_part_of:ref", "basis:concept:basis", "controlled_by:refs",
                        "date:date", "start_date:date", "end_date:date", _SOURCES],
    }.items()
}

# Read order: agreements before the tables that attach to them.
ORDER = ("sources", "localities", "agents", "documents", "agreements", "status_changes", "signings",
         "activities", "territorial")
assert set(ORDER) == set(TABLES)


class TablesError(InputError):
    """Files that cannot be read as twinrdf tables (one line per problem, each naming its file)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# ----------------------------------------------------------------------------- reading files


def table_name(path: Path) -> str | None:
    """The table a file holds, from its name (``localities.csv`` -> ``localities``)."""
    if path.suffix.lower() != ".csv":
        return None
    stem = path.stem.lower()
    return stem if stem in TABLES else None


def table_files(inputs: Iterable[Path]) -> list[Path]:
    """The CSV files of the inputs (folders expanded, sorted by name so every machine reads alike)."""
    files: list[Path] = []
    for p in inputs:
        if p.is_dir():
            files.extend(sorted(p.glob("*.csv"), key=lambda f: f.name))
        else:
            files.append(p)
    seen: set[Path] = set()  # a file given twice (as itself and in its folder) is read once
    unique = []
    for f in files:
        if (real := f.resolve()) not in seen:
            seen.add(real)
            unique.append(f)
    return unique


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TablesError([
            f"{path}: not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} (line {line}); "
            "save the table as 'CSV UTF-8'"
        ]) from None


def _header_problems(path: Path, table: str, header: list[str]) -> list[str]:
    columns = {c.name: c for c in TABLES[table]}
    problems = []
    seen: set[str] = set()
    for i, name in enumerate(header, 1):
        if name in seen:
            problems.append(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)
        if name not in columns:
            shown = repr(name) if name else f"(empty name, header field {i})"
            problems.append(
                f"{path}: unknown column {shown}; {table}.csv has the columns "
                f"{', '.join(columns)} (see docs/tables.md)"
            )
    missing = [c.name for c in TABLES[table] if c.required and c.name not in seen]
    if missing:
        problems.append(f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} in the header of {table}.csv")
    return problems


@dataclass
class _Row:
    file: str
    line: int
    cells: dict[str, str]


def _read(path: Path, table: str, problems: list[str], rejects: list[Reject]) -> tuple[list[_Row], int]:
    """Rows of one file (blank rows skipped) and the number of data rows read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{path}: cannot read: {exc.strerror or exc}")
        return [], 0
    try:
        text = _decode(path, data)
    except TablesError as exc:
        problems.extend(exc.problems)
        return [], 0
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    name = str(path)
    rows: list[_Row] = []
    count = 0
    try:
        header = next(reader, None)
        if header is None:
            problems.append(f"{path}: empty file: expected a header row naming the columns of {table}.csv")
            return [], 0
        header = [h.strip() for h in header]
        header_problems = _header_problems(path, table, header)
        if header_problems:
            problems.extend(header_problems)
            return [], 0
        end = reader.line_num
        for fields_ in reader:
            start, end = end + 1, reader.line_num
            if not any(f.strip() for f in fields_):
                continue
            count += 1
            if len(fields_) > len(header):
                extra = fields_[len(header):]
                rejects.append(Reject(
                    name, start,
                    f"the row has {len(fields_)} fields but the header has {len(header)}: a stray ',' "
                    "(put cells that contain commas in double quotes)",
                    column=None, value=",".join(extra),
                ))
                continue
            cells = {h: (fields_[i].strip() if i < len(fields_) else "") for i, h in enumerate(header)}
            rows.append(_Row(name, start, cells))
    except csv.Error as exc:
        problems.append(f"{path}: line {reader.line_num}: unreadable CSV ({exc}); check the quotes")
        return [], 0
    return rows, count


# ----------------------------------------------------------------------------- reading cells


class _Cells:
    """Reads the cells of one row by column kind, collecting problems instead of raising."""

    def __init__(self, row: _Row, table: str) -> None:
        self.row = row
        self.columns = COLUMNS[table]
        self.problems: list[tuple[str, str, str]] = []  # column, value, reason

    def bad(self, column: str, value: str, reason: str) -> None:
        self.problems.append((column, value, reason))

    def get(self, name: str) -> Any:
        col = self.columns[name]
        raw = self.row.cells.get(name)
        if not raw:
            if col.required:
                self.bad(name, "", f"{name} is required")
            if col.kind in _LIST_KINDS:
                return []
            return False if col.kind == "bool" else None
        return _READERS[col.kind](self, col, raw)

    def _text(self, col: Column, raw: str) -> str:
        return raw

    def _id(self, col: Column, raw: str) -> str | None:
        if not ID_RE.match(raw):
            self.bad(col.name, raw, f"not an id: {raw!r} (use letters, digits, '.', '_' and '-' only)")
            return None
        return raw

    _ref = _id

    def _refs(self, col: Column, raw: str) -> list[str]:
        out = []
        for part in raw.split(SEPARATOR):
            part = part.strip()
            if part and (v := self._id(col, part)) is not None and v not in out:
                out.append(v)
        return out

    def _url(self, col: Column, raw: str) -> str | None:
        if not URL_RE.match(raw):
            self.bad(col.name, raw, f"not an absolute URL: {raw!r}")
            return None
        return raw

    def _date(self, col: Column, raw: str) -> PartialDate | None:
        try:
            return PartialDate.parse(raw)
        except DateError as exc:
            self.bad(col.name, raw, str(exc))
            return None

    def _number(self, col: Column, raw: str, low: float, high: float) -> float | None:
        try:
            value = float(raw)
        except ValueError:
            self.bad(col.name, raw, f"not a number: {raw!r} (use a decimal point, like 53.8679)")
            return None
        if not math.isfinite(value) or not low <= value <= high:
            self.bad(col.name, raw, f"{col.name} {raw} is out of range ({low:g} to {high:g})")
            return None
        return value

    def _lat(self, col: Column, raw: str) -> float | None:
        return self._number(col, raw, -90, 90)

    def _lon(self, col: Column, raw: str) -> float | None:
        return self._number(col, raw, -180, 180)

    def _count(self, col: Column, raw: str) -> int | None:
        text = raw.replace("_", "")
        if not text.isdigit():
            self.bad(col.name, raw, f"not a whole number: {raw!r} (digits only, like 52000)")
            return None
        return int(text)

    def _bool(self, col: Column, raw: str) -> bool:
        v = raw.lower()
        if v in TRUE:
            return True
        if v not in FALSE:
            self.bad(col.name, raw, f"not true or false: {raw!r}")
        return False

    def _qid(self, col: Column, raw: str) -> str | None:
        if not QID_RE.match(raw):
            self.bad(col.name, raw, f"not a Wikidata item id: {raw!r} (expected Q and digits, like Q64)")
            return None
        return raw

    def _digits(self, col: Column, raw: str) -> str | None:
        if not raw.isdigit():
            self.bad(col.name, raw, f"not a GeoNames id: {raw!r} (digits only)")
            return None
        return raw

    def _lang(self, col: Column, raw: str) -> str | None:
        if not LANG_RE.match(raw):
            self.bad(col.name, raw, f"not a BCP 47 language tag: {raw!r} (like en, fr, zh-Hans)")
            return None
        return raw

    def _names(self, col: Column, raw: str) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for part in raw.split(SEPARATOR):
            part = part.strip()
            if not part:
                continue
            text, at, lang = part.rpartition("@")
            if not at or not text.strip():
                self.bad(col.name, part, f"write other names as Text@lang (like München@de), not {part!r}")
                continue
            if not LANG_RE.match(lang.strip()):
                self.bad(col.name, part, f"not a BCP 47 language tag after '@' in {part!r}")
                continue
            out.append((text.strip(), lang.strip()))
        return out

    def _code(self, col: Column, raw: str) -> str | None:
        code = raw.upper()
        if not CODE_RE.match(code) or not _known_code(code):
            self.bad(col.name, raw, f"not an ISO 3166 code: {raw!r} (ISO 3166-1 alpha-2 like FR, "
                                    "or ISO 3166-2 like GB-ENG)")
            return None
        return code

    def _concept(self, col: Column, raw: str) -> str | None:
        value = concepts.normalise(col.scheme or "", raw)
        if value is None:
            self.bad(col.name, raw, f"unknown {col.name.replace('_', ' ')} {raw!r}: expected "
                                    f"{concepts.describe(col.scheme or '')}")
        return value

    def _concepts(self, col: Column, raw: str) -> list[str]:
        out = []
        for part in raw.split(SEPARATOR):
            if part.strip() and (v := self._concept(col, part.strip())) is not None and v not in out:
                out.append(v)
        return out

    def names(self) -> list[tuple[str, str | None]]:
        name = self.get("name")
        lang = self.get("lang") or "en"
        names: list[tuple[str, str | None]] = [(name, lang)] if name else []
        return names + [n for n in self.get("other_names") if n not in names]


COLUMNS: dict[str, dict[str, Column]] = {t: {c.name: c for c in cols} for t, cols in TABLES.items()}
_LIST_KINDS = frozenset(("refs", "concepts", "names"))
_READERS: dict[str, Callable[..., Any]] = {
    kind: getattr(_Cells, "_" + kind) for kind in {c.kind for cols in TABLES.values() for c in cols}
}


def _known_code(code: str) -> bool:
    import pycountry

    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return (pycountry.countries.get(alpha_2=code) is not None
            or pycountry.historic_countries.get(alpha_2=code) is not None
            or code == "XK")


# ----------------------------------------------------------------------------- rows to records


def _plain(c: _Cells, cls: type, columns: Iterable[str], **extra: Any) -> Any:
    return cls(**{n: c.get(n) for n in columns}, **extra)


def _source(c: _Cells, o: Origin) -> Source:
    return _plain(c, Source, ("title", "url", "reference_number", "retrieved", "quotation", "publisher"),
                  key=c.get("id"), origin=o)


def _locality(c: _Cells, o: Origin) -> Locality:
    rec = _plain(c, Locality, ("scope", "country", "country_code", "parent", "lat", "lon", "population",
                               "population_date", "wikidata", "geonames", "governing_body", "disputed",
                               "note", "sources"), key=c.get("id"), names=c.names(), origin=o)
    if (rec.lat is None) != (rec.lon is None) and not c.problems:
        missing = "lat" if rec.lat is None else "lon"
        c.bad(missing, "", "give both lat and lon, or neither")
    return rec


def _agent(c: _Cells, o: Origin) -> Agent:
    return _plain(c, Agent, ("kind", "office", "country", "roles", "parent", "collaborates_with",
                             "located_in", "wikidata", "description", "sources"),
                  key=c.get("id"), names=c.names(), origin=o)


def _agreement(c: _Cells, o: Origin) -> Agreement:
    rec = _plain(c, Agreement, ("partners", "kind", "status", "signing_date", "start_date", "end_date",
                                "purposes", "held_by", "coordinated_by", "initiated_by", "documents",
                                "label", "note", "sources"), key=c.get("id"), origin=o)
    if len(rec.partners) == 1:
        c.bad("partners", c.row.cells.get("partners", ""),
              "an agreement needs two or more distinct partners, separated by '|'")
    return rec


def _document(c: _Cells, o: Origin) -> Document:
    return _plain(c, Document, ("title", "url", "date", "description", "sources"), key=c.get("id"), origin=o)


_ACTIVITY_FIELDS = tuple(col.name for col in TABLES["activities"] if col.name != "id")


def _activity(c: _Cells, o: Origin) -> Activity:
    return _plain(c, Activity, _ACTIVITY_FIELDS, key=c.get("id"), origin=o)


def _territorial(c: _Cells, o: Origin) -> TerritorialStatus:
    return _plain(c, TerritorialStatus, ("locality", "kind", "recognised_by", "recognised_as_part_of",
                                         "basis", "controlled_by", "date", "start_date", "end_date",
                                         "sources"), key=c.get("id"), origin=o)


def _status_change(c: _Cells, o: Origin) -> tuple[str, StatusChange]:
    return c.get("agreement"), _plain(c, StatusChange, ("status", "date", "reason", "sources"), origin=o)


def _signing(c: _Cells, o: Origin) -> tuple[str, Signing]:
    return c.get("agreement"), _plain(c, Signing, ("person", "on_behalf_of", "office", "date"), origin=o)


_BUILDERS: dict[str, tuple[str | None, Callable[[_Cells, Origin], Any]]] = {
    "sources": ("sources", _source),
    "localities": ("localities", _locality),
    "agents": ("agents", _agent),
    "documents": ("documents", _document),
    "agreements": ("agreements", _agreement),
    "activities": ("activities", _activity),
    "territorial": ("territorial", _territorial),
    "status_changes": (None, _status_change),
    "signings": (None, _signing),
}


def parse_tables(inputs: Iterable[Path | str], mapping: Path | None = None) -> RecordSet:
    """Read twinrdf tables (folders and/or table files) into one RecordSet.

    Raises TablesError (listing every unreadable file) before any row is used; bad rows become
    rejects. ``rows_read`` counts the non-blank data rows of all files.
    """
    files = table_files(Path(p) for p in inputs)
    problems: list[str] = []
    by_table: dict[str, list[Path]] = {t: [] for t in ORDER}
    for f in files:
        t = table_name(f)
        if t is None:
            problems.append(f"{f}: not a twinrdf table: the file names are "
                            f"{', '.join(n + '.csv' for n in ORDER)} (see docs/tables.md)")
        else:
            by_table[t].append(f)
    if not files:
        problems.append("no table files (*.csv) in " + ", ".join(str(p) for p in inputs))

    result = RecordSet()
    read: dict[str, list[_Row]] = {}
    for t in ORDER:
        read[t] = []
        for f in by_table[t]:
            rows, count = _read(f, t, problems, result.rejects)
            read[t].extend(rows)
            result.rows_read += count
    if problems:
        raise TablesError(problems)

    agreements: dict[str, Agreement] = {}
    for t in ORDER:
        target, make = _BUILDERS[t]
        first_line: dict[str, tuple[str, int]] = {}
        for row in read[t]:
            cells = _Cells(row, t)
            origin = Origin(row.file, row.line)
            rec = make(cells, origin)
            if target is not None and not cells.problems and rec.key in first_line:
                f, line = first_line[rec.key]
                cells.bad("id", rec.key, f"duplicate id {rec.key!r}: already defined in {f} line {line}")
            if target is None and not cells.problems:
                agreement_key, item = rec
                if agreement_key not in agreements:
                    cells.bad("agreement", agreement_key,
                              f"unknown agreement id {agreement_key!r}: no accepted row of agreements.csv "
                              "has this id")
            if cells.problems:
                for column, value, reason in cells.problems:
                    result.rejects.append(Reject(row.file, row.line, reason, column=column, value=value))
                continue
            if target is None:
                agreement_key, item = rec
                if t == "status_changes":
                    agreements[agreement_key].status_changes.append(item)
                else:
                    agreements[agreement_key].signings.append(item)
                continue
            first_line[rec.key] = (row.file, row.line)
            getattr(result, target).append(rec)
            if t == "agreements":
                agreements[rec.key] = rec
    return result


# ----------------------------------------------------------------------------- registry


def claims(path: Path, mapping: Path | None = None) -> bool:
    """A folder holding table files, or a file named like a table (files only without ``--mapping``,
    which is for CSV files that are not twinrdf tables)."""
    if path.is_dir():
        return any(table_name(f) for f in path.glob("*.csv"))
    return mapping is None and table_name(path) is not None


register("tables", claims, parse_tables)
