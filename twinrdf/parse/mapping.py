"""Any delimited or JSON table of twin pairs, read through a declarative mapping file.

Publishers keep twinning data in their own spreadsheets with their own column names; the
mapping file (YAML or TOML, reference in docs/converters.md) says which column gives what, so
no code is needed per source. Each row names two partners (``from`` and ``to``); with
``directional: true`` (the default, right for Wikipedia's "List of twin towns" pages and
Wikidata P190 edges) the row is one side's *listing* (``from`` lists ``to``), and the builder
merges A-lists-B and B-lists-A into one agreement.

Every partner mention goes through :class:`twinrdf.resolve.Resolver`, so the same locality
written differently becomes one node on evidence, with a review report of what was uncertain.
Every row ends up as an agreement record or a :class:`~twinrdf.records.Reject`.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from twinrdf.countries import country_records
from twinrdf.dates import DateError, PartialDate
from twinrdf.parse import InputError, register
from twinrdf.parse.common import json_error
from twinrdf.perf import paused_gc
from twinrdf.records import Agreement, Listing, Origin, RecordSet, Reject, Source
from twinrdf.resolve import Resolver

FORMATS = {"csv": ",", "tsv": "\t", "psv": "|", "json": None, "jsonl": None, "xlsx": None}
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".psv": "psv", ".txt": "csv", ".json": "json",
              ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_QID = re.compile(r"^(?:https?://www\.wikidata\.org/(?:entity|wiki)/)?(Q[1-9]\d*)$")

_FIELD = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "properties": {
                "column": {"type": "string", "minLength": 1},
                "value": {"type": ["string", "number", "boolean"]},
                "lookup": {"type": "string"},
                "key": {"type": "string"},
                "map": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
                "default": {"type": ["string", "number"]},
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    ]
}
_PARTNER = {
    "type": "object",
    "properties": {
        k: _FIELD for k in ("name", "country", "lat", "lon", "coordinates", "wikidata", "geonames", "lang",
                            "aliases", "description")
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["name"]}, {"required": ["wikidata"]}],
}
_TABLE = {
    "format": {"enum": list(FORMATS)},
    "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
    "encoding": {"type": "string"},
    "header": {"type": "boolean"},
    "columns": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "records": {"type": "string"},
    "sheet": {"type": "string", "minLength": 1},
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "twinrdf mapping file",
    "type": "object",
    "properties": {
        **_TABLE,
        "lang": {"type": "string"},
        "directional": {"type": "boolean"},
        "source": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in
                           ("id", "title", "url", "publisher", "retrieved", "reference_number")},
            "required": ["id"],
            "additionalProperties": False,
        },
        "from": _PARTNER,
        "to": _PARTNER,
        "agreement": {
            "type": "object",
            "properties": {
                k: _FIELD for k in ("id", "kind", "status", "signing_date", "start_date", "end_date", "label",
                                    "note", "source_url")
            },
            "additionalProperties": False,
        },
        "lookups": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {**_TABLE, "file": {"type": "string"}, "key": {"type": "string"}},
                "required": ["file", "key"],
                "additionalProperties": False,
            },
        },
        "resolution": {
            "type": "object",
            "properties": {"tolerance_km": {"type": "number", "exclusiveMinimum": 0},
                           "review_similar": {"type": "boolean"}},
            "additionalProperties": False,
        },
    },
    "required": ["from", "to"],
    "additionalProperties": False,
}


class MappingError(InputError):
    """The mapping file is unreadable or does not follow the schema (docs/converters.md)."""


@dataclass
class Mapping:
    """A validated mapping file; ``path`` anchors relative lookup files."""

    spec: dict[str, Any]
    path: Path | None = None
    text: str = ""
    lookups: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a YAML (``.yaml``/``.yml``) or TOML (``.toml``) mapping file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read mapping file {p}: {exc}") from exc
    return parse_mapping(text, p)


def parse_mapping(text: str, path: Path | None = None) -> Mapping:
    """Validate mapping text; errors name the offending key path, e.g. ``from.lat``."""
    where = str(path) if path else "mapping"
    try:
        if path is not None and path.suffix.lower() == ".toml":
            spec = tomllib.loads(text)
        else:
            spec = yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path is not None and path.suffix.lower() == ".toml" else "YAML"
        raise MappingError(f"{where}: not valid {kind}: {exc}") from exc
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: a mapping file is a YAML or TOML table of keys "
                           "(see docs/converters.md)")
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(spec), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            at = ".".join(str(x) for x in e.absolute_path) or "(top level)"
            msg = e.message
            if e.validator == "additionalProperties":
                msg = msg.replace("Additional properties are not allowed", "unknown key")
            elif e.validator == "anyOf" and at in ("from", "to"):
                msg = "needs a 'name' or a 'wikidata' field"
            elif e.validator == "oneOf":
                msg = "expected a column name or a table with column/value/lookup"
            lines.append(f"  {at}: {msg}")
        raise MappingError(f"{where}: invalid mapping file:\n" + "\n".join(lines))
    enc = spec.get("encoding")
    if enc:
        try:
            codecs.lookup(enc)
        except LookupError as exc:
            raise MappingError(f"{where}: encoding: unknown encoding {enc!r}") from exc
    if spec.get("header") is False and not spec.get("columns"):
        raise MappingError(f"{where}: header: false needs a 'columns' list naming the columns")
    for side in ("from", "to"):
        for fname, f in spec[side].items():
            if isinstance(f, dict) and "lookup" in f and f["lookup"] not in spec.get("lookups", {}):
                raise MappingError(f"{where}: {side}.{fname}: unknown lookup {f['lookup']!r}")
    return Mapping(spec=spec, path=path, text=text)


# ----------------------------------------------------------------------------- reading tables


def _decode(raw: bytes, encoding: str | None, file: str) -> str:
    if not raw.strip():
        raise InputError(f"{file}: the file is empty")
    if b"\x00" in raw[:8192]:
        raise InputError(f"{file}: binary content (NUL bytes); expected a text table")
    enc = encoding or "utf-8"
    if codecs.lookup(enc).name == "utf-8":
        enc = "utf-8-sig"  # a BOM is tolerated, not required
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{file}: line {line}: not valid {encoding or 'UTF-8'} ({exc.reason}); "
            "declare the file's encoding in the mapping, e.g. 'encoding: cp1252'"
        ) from exc


def _format_of(spec: dict[str, Any], file: str) -> str:
    # a workbook is a workbook whatever the mapping says: one mapping serves the .xlsx and
    # its CSV export alike
    if EXTENSIONS.get(Path(file).suffix.lower()) == "xlsx":
        return "xlsx"
    if spec.get("format"):
        return spec["format"]
    if spec.get("delimiter"):
        return "csv"
    return EXTENSIONS.get(Path(file).suffix.lower(), "csv")


def read_rows(path: str | Path, spec: dict[str, Any], label: str | None = None) -> Iterator[tuple[int, dict]]:
    """``(line, row)`` for every data row of a table, rows as dicts of column -> value.

    Raises InputError for a file that cannot be a table of this shape (empty, binary, broken
    JSON, wrong delimiter) — one clear message, never a traceback.
    """
    file = label or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    fmt = _format_of(spec, file)
    if fmt == "xlsx":
        yield from _xlsx_rows(raw, spec, file)
        return
    text = _decode(raw, spec.get("encoding"), file)
    if fmt == "json":
        yield from _json_rows(text, spec, file)
    elif fmt == "jsonl":
        yield from _jsonl_rows(text, file)
    else:
        yield from _delimited_rows(text, spec.get("delimiter") or FORMATS[fmt] or ",", spec, file)


def _delimited_rows(text: str, delim: str, spec: dict[str, Any], file: str) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    columns: list[str] | None = spec.get("columns")
    header = spec.get("header", True)
    try:
        if header:
            first = next(reader, None)
            if first is None:
                raise InputError(f"{file}: the file is empty")
            head = [c.strip() for c in first]
            if columns:
                head = columns if len(columns) == len(head) else head
            columns = head
        assert columns is not None
        _check_columns(columns, spec, file, text, delim)
        n = len(columns)
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                yield line, {"__blank__": True}
                continue
            if len(row) != n:
                yield line, {"__width__": len(row), "__expected__": n}
                continue
            yield line, dict(zip(columns, row, strict=True))
    except csv.Error as exc:
        raise InputError(f"{file}: line {reader.line_num}: malformed {_fmt_name(delim)}: {exc}") from exc


def _xlsx_rows(raw: bytes, spec: dict[str, Any], file: str) -> Iterator[tuple[int, dict]]:
    """Rows of one sheet of an Excel workbook (openpyxl, read-only, cached values, not formulas);
    the line is the sheet's row number, as the user sees it in Excel."""
    import zipfile

    import openpyxl

    if not raw.strip():
        raise InputError(f"{file}: the file is empty")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"{file}: not an Excel workbook (.xlsx): {exc}") from exc
    try:
        sheet = spec.get("sheet")
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(f"{file}: no sheet {sheet!r} (sheets: {wb.sheetnames!r})")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        columns: list[str] | None = spec.get("columns")
        line = 0
        if spec.get("header", True):
            first = next(rows, None)
            line = 1
            if first is None or all(c is None for c in first):
                raise InputError(f"{file}: sheet {ws.title!r} is empty")
            head = [_cell(c).strip() for c in first]
            while head and not head[-1]:
                head.pop()
            columns = columns if columns and len(columns) == len(head) else head
        assert columns is not None
        _check_columns(columns, spec, file, "", ",")
        n = len(columns)
        for values in rows:
            line += 1
            cells = [_cell(c) for c in values]
            while len(cells) > n and not cells[-1].strip():
                cells.pop()
            if not any(c.strip() for c in cells):
                yield line, {"__blank__": True}
                continue
            if len(cells) > n:
                yield line, {"__width__": len(cells), "__expected__": n}
                continue
            cells += [""] * (n - len(cells))
            yield line, dict(zip(columns, cells, strict=True))
    finally:
        wb.close()


def _cell(v: Any) -> str:
    """A cell as the text a CSV export would hold: whole numbers without '.0' (years, ids),
    dates as ISO 8601 (a midnight datetime as a date), booleans as true/false."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat()
    if isinstance(v, datetime.date | datetime.time):
        return v.isoformat()
    return str(v)


def _fmt_name(delim: str) -> str:
    return {",": "CSV", "\t": "TSV", "|": "pipe-separated table"}.get(delim, f"{delim!r}-separated table")


def _check_columns(columns: list[str], spec: dict[str, Any], file: str, text: str, delim: str) -> None:
    wanted = sorted(_mapped_columns(spec))
    missing = [c for c in wanted if c not in columns]
    if not missing:
        return
    hint = ""
    sample = text[:4096]
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=",\t|;:").delimiter
        if guess != delim:
            hint = f"; the file looks {_fmt_name(guess)} — wrong delimiter? set 'format' or 'delimiter'"
    except csv.Error:
        pass
    where = "the header has" if spec.get("header", True) else "the mapping's 'columns' list has"
    raise InputError(
        f"{file}: {where} no column {', '.join(repr(m) for m in missing)} that the mapping needs "
        f"(columns: {columns[:12]!r}){hint}"
    )


def _mapped_columns(spec: dict[str, Any]) -> set[str]:
    cols: set[str] = set()
    for section in ("from", "to", "agreement"):
        for f in (spec.get(section) or {}).values():
            if isinstance(f, str):
                cols.add(f)
            elif isinstance(f, dict):
                if "column" in f and "lookup" not in f:
                    cols.add(f["column"])
                if "key" in f and "lookup" in f:
                    cols.add(f["key"])
    return cols


def _json_rows(text: str, spec: dict[str, Any], file: str) -> Iterator[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(json_error(file, exc, len(text.rstrip()))) from exc
    path = spec.get("records")
    if path:
        for part in path.split("."):
            if not isinstance(data, dict) or part not in data:
                raise InputError(f"{file}: no {path!r} in the JSON (the mapping's 'records' key)")
            data = data[part]
    if not isinstance(data, list):
        raise InputError(f"{file}: expected a JSON array of objects"
                         + ("" if path else " (or set 'records' to the key that holds it)"))
    for i, obj in enumerate(data, start=1):
        yield i, _flat(obj) if isinstance(obj, dict) else {"__notobject__": type(obj).__name__}


def _jsonl_rows(text: str, file: str) -> Iterator[tuple[int, dict]]:
    for line, s in enumerate(text.splitlines(), start=1):
        if not s.strip():
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            yield line, {"__badjson__": exc.msg}
            continue
        yield line, _flat(obj) if isinstance(obj, dict) else {"__notobject__": type(obj).__name__}


def _flat(obj: dict, prefix: str = "") -> dict:
    """Nested JSON objects become dotted column names (``city.name``)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


# ----------------------------------------------------------------------------- mapping rows


class _RowError(Exception):
    def __init__(self, reason: str, column: str | None = None, value: Any = None) -> None:
        super().__init__(reason)
        self.reason, self.column, self.value = reason, column, value


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip() if not isinstance(v, str) else v.strip()
    return s or None


Getter = Any  # Callable[[dict], tuple[str | None, str | None]]


def _none(row: dict) -> tuple[None, None]:
    return None, None


def _compile(f: Any, mapping: Mapping) -> Getter:
    """A function row -> (value, column it came from) for one field spec, built once."""
    if f is None:
        return _none
    if isinstance(f, str):
        col = f

        def plain(row: dict) -> tuple[str | None, str | None]:
            v = row.get(col)
            if v is None:
                return None, col
            v = v.strip() if isinstance(v, str) else str(v).strip()
            return (v or None), col

        return plain
    default = _text(f.get("default"))
    if "value" in f:
        const = _text(f["value"])
        return lambda row: (const, None)
    if "lookup" in f:
        key_col = f.get("key")
        target = f.get("column", "")
        table = mapping.lookups[f["lookup"]]

        def lookup(row: dict) -> tuple[str | None, str | None]:
            k = _text(row.get(key_col)) if key_col else None
            hit = table.get(k) if k else None
            v = _text(hit.get(target)) if hit else None
            return (v if v is not None else default), key_col

        return lookup
    col = f["column"]
    mapped = f.get("map") or {}

    def column(row: dict) -> tuple[str | None, str | None]:
        v = _text(row.get(col))
        if v is not None and v in mapped:
            v = _text(mapped[v])
        return (v if v is not None else default), col

    return column


SIDE_FIELDS = ("name", "wikidata", "country", "lat", "lon", "coordinates", "geonames", "lang", "aliases",
               "description")
_ABSENT = (None, None)


class _Row:
    """Compiled getters for every field of the mapping, applied to one row at a time."""

    def __init__(self, mapping: Mapping) -> None:
        spec = mapping.spec
        self.sides = {side: [(i, _compile(spec[side][k], mapping)) for i, k in enumerate(SIDE_FIELDS)
                             if k in spec[side]] for side in ("from", "to")}
        self.agreement = {k: _compile(v, mapping) for k, v in (spec.get("agreement") or {}).items()}
        self.row: dict = {}

    def side_values(self, side: str) -> list[tuple[str | None, str | None]]:
        """(value, column) for each of SIDE_FIELDS, in that order."""
        out = [_ABSENT] * len(SIDE_FIELDS)
        row = self.row
        for i, g in self.sides[side]:
            out[i] = g(row)
        return out

    def agr(self, name: str) -> tuple[str | None, str | None]:
        g = self.agreement.get(name)
        return g(self.row) if g is not None else (None, None)


def _plain_side(spec: dict[str, Any], which: str, resolver: Resolver, lang: str | None) -> Any:
    """For a side whose only fields are a name column and maybe a country column (the
    Wikipedia lists), a function row, origin -> mention id doing what :func:`_mention` does
    for it, without the general dispatch (issue 4 speed); None for any other side."""
    if not set(spec) <= {"name", "country"} or not all(isinstance(v, str) for v in spec.values()):
        return None
    name_col, country_col = spec.get("name"), spec.get("country")
    if name_col is None:
        return None
    add = resolver.add_name
    missing = f"no name for the '{which}' partner"

    def mention(row: dict, origin: Origin) -> int:
        name = row.get(name_col)
        if name is not None:
            name = name.strip() if isinstance(name, str) else str(name).strip()
        if not name:
            raise _RowError(missing, name_col, None)
        country = row.get(country_col) if country_col is not None else None
        if country is not None:
            country = (country.strip() if isinstance(country, str) else str(country).strip()) or None
        return add(name, country, lang, origin)

    return mention


def _float(v: str | None, col: str | None, lo: float, hi: float, what: str) -> float | None:
    if v is None:
        return None
    try:
        x = float(v.replace(",", ".")) if isinstance(v, str) else float(v)
    except ValueError as exc:
        raise _RowError(f"{what} is not a number", col, v) from exc
    if not lo <= x <= hi:
        raise _RowError(f"{what} {x} outside [{lo:g}, {hi:g}]", col, v)
    return x


def _date(v: str | None, col: str | None) -> PartialDate | None:
    if v is None:
        return None
    s = v
    if "T" in s:  # 1995-02-18T00:00:00Z from a JSON export
        s = s.split("T", 1)[0]
    try:
        return PartialDate.parse(s.lstrip("+"))
    except DateError as exc:
        raise _RowError(str(exc), col, v) from exc


def _qid(v: str | None, col: str | None) -> str | None:
    if v is None:
        return None
    m = _QID.match(v.strip())
    if not m:
        raise _RowError("not a Wikidata item id (expected Q and digits)", col, v)
    return m.group(1)


def _load_lookups(mapping: Mapping, data_path: Path) -> None:
    for name, spec in (mapping.spec.get("lookups") or {}).items():
        candidates = [Path(spec["file"])]
        if not candidates[0].is_absolute():
            candidates = [data_path.parent / spec["file"]]
            if mapping.path is not None:
                candidates.append(mapping.path.parent / spec["file"])
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            raise InputError(
                f"lookup {name!r}: file {spec['file']!r} not found next to {data_path} "
                + (f"or next to the mapping {mapping.path}" if mapping.path else "")
            )
        table: dict[str, dict[str, str]] = {}
        for _line, row in read_rows(target, spec):
            if any(k.startswith("__") for k in row):
                continue
            k = _text(row.get(spec["key"]))
            if k is not None and k not in table:
                table[k] = row
        mapping.lookups[name] = table


def parse_mapped(path: str | Path, mapping: Mapping, *, label: str | None = None) -> RecordSet:
    """Read one table through ``mapping`` into records (one agreement record per accepted row)."""
    p = Path(path)
    file = label or str(path)
    with paused_gc():
        _load_lookups(mapping, p)
        return parse_rows(read_rows(p, mapping.spec, file), mapping, file)


def parse_rows(rows: Iterable[tuple[int, dict]], mapping: Mapping, file: str) -> RecordSet:
    """Records from ``(line, row)`` pairs through ``mapping`` (tables and WDQS results share it)."""
    spec = mapping.spec
    rs = RecordSet()
    res_spec = spec.get("resolution") or {}
    resolver = Resolver(tolerance_km=res_spec.get("tolerance_km", 10.0),
                        review_fuzzy=res_spec.get("review_similar", True))
    src = spec.get("source")
    source_key = None
    if src:
        retrieved = None
        if src.get("retrieved"):
            try:
                retrieved = PartialDate.parse(src["retrieved"])
            except DateError as exc:
                raise MappingError(f"source.retrieved: {exc}") from exc
        source_key = src["id"]
        rs.sources.append(Source(key=source_key, title=src.get("title"), url=src.get("url"),
                                 publisher=src.get("publisher"), reference_number=src.get("reference_number"),
                                 retrieved=retrieved, origin=None))
    directional = spec.get("directional", True)
    lang_default = spec.get("lang")
    agr_spec = spec.get("agreement") or {}
    pending: list[tuple[Origin, int, int, dict]] = []
    extra_sources: dict[str, Source] = {}
    r = _Row(mapping)
    fast_a = _plain_side(spec["from"], "from", resolver, lang_default)
    fast_b = _plain_side(spec["to"], "to", resolver, lang_default)
    url_getter = r.agreement.get("source_url")

    for line, row in rows:
        rs.rows_read += 1
        origin = Origin(file, line)
        if "__blank__" in row:
            rs.rejects.append(Reject(file, line, "empty row"))
            continue
        if "__width__" in row:
            rs.rejects.append(Reject(file, line, f"row has {row['__width__']} fields, the header has "
                                                 f"{row['__expected__']}"))
            continue
        if "__badjson__" in row:
            rs.rejects.append(Reject(file, line, f"invalid JSON: {row['__badjson__']}"))
            continue
        if "__bnode__" in row:
            rs.rejects.append(Reject(file, line, "a partner is a blank node, not a Wikidata item",
                                     column=row["__bnode__"]))
            continue
        if "__notobject__" in row:
            rs.rejects.append(Reject(file, line, f"expected a JSON object, found {row['__notobject__']}"))
            continue
        r.row = row
        try:
            a = fast_a(row, origin) if fast_a else _mention(r, "from", resolver, lang_default, origin)
            b = fast_b(row, origin) if fast_b else _mention(r, "to", resolver, lang_default, origin)
            attrs: dict[str, Any] = {}
            if agr_spec:
                for k in ("id", "kind", "status", "label", "note"):
                    attrs[k] = r.agr(k)[0]
                for k in ("signing_date", "start_date", "end_date"):
                    attrs[k] = _date(*r.agr(k))
            url = url_getter(row)[0] if url_getter is not None else None
            if url:
                s = extra_sources.get(url)
                if s is None:
                    s = extra_sources[url] = Source(key=f"url-{len(extra_sources) + 1}", url=url)
                attrs["row_source"] = s.key
        except _RowError as exc:
            rs.rejects.append(Reject(file, line, exc.reason, column=exc.column,
                                     value=None if exc.value is None else str(exc.value)))
            continue
        pending.append((origin, a, b, attrs))

    rs.sources.extend(extra_sources.values())
    resolution = resolver.finish()
    keys = resolution.keys
    used: set[str] = set()
    for origin, a, b, attrs in pending:
        ka, kb = keys[a], keys[b]
        if ka == kb:
            rs.rejects.append(Reject(origin.file, origin.line,
                                     "both partners resolve to the same locality", value=ka))
            continue
        used.add(ka)
        used.add(kb)
        if not attrs:  # only partners (the Wikipedia lists): the same record, fewer lookups
            rs.agreements.append(Agreement(
                None, [ka, kb], listings=[Listing(ka, kb, source_key, origin)] if directional else [],
                sources=[source_key] if source_key else [], origin=origin))
            continue
        srcs = [s for s in (source_key, attrs.get("row_source")) if s]
        listing_source = attrs.get("row_source") or source_key
        rs.agreements.append(Agreement(
            key=attrs.get("id"),
            partners=[ka, kb],
            kind=attrs.get("kind"),
            status=attrs.get("status"),
            signing_date=attrs.get("signing_date"),
            start_date=attrs.get("start_date"),
            end_date=attrs.get("end_date"),
            label=attrs.get("label"),
            note=attrs.get("note"),
            listings=[Listing(ka, kb, listing_source, origin)] if directional else [],
            sources=srcs,
            origin=origin,
        ))
    rs.localities.extend(loc for loc in resolution.localities if loc.key in used)
    rs.localities.extend(country_records(loc.country for loc in rs.localities))
    rs.review.extend(resolution.review)
    return rs


def _mention(r: _Row, which: str, resolver: Resolver, lang_default: str | None, origin: Origin) -> int:
    ((name, name_col), wd, (country, _), (lat_v, lat_c), (lon_v, lon_c), (coords, coords_c),
     (geonames, g_col), (lang, _), (aliases, _), (description, _)) = r.side_values(which)
    qid = _qid(*wd) if wd[0] is not None else None
    if name is None and qid is None:
        raise _RowError(f"no name for the '{which}' partner", name_col, None)
    if coords is not None:
        m = re.match(r"^\s*Point\(\s*(\S+)\s+(\S+)\s*\)\s*$", coords, re.I)  # WKT, lon lat
        if m:
            lon_v, lat_v = m.group(1), m.group(2)
        else:
            parts = re.split(r"[,;\s]+", coords.strip())
            if len(parts) != 2:
                raise _RowError("coordinates are neither 'lat,lon' nor WKT 'Point(lon lat)'",
                                coords_c, coords)
            lat_v, lon_v = parts
        lat_c = lon_c = coords_c
    lat = _float(lat_v, lat_c, -90, 90, "latitude") if lat_v is not None else None
    lon = _float(lon_v, lon_c, -180, 180, "longitude") if lon_v is not None else None
    if (lat is None) != (lon is None):
        raise _RowError("latitude without longitude (or the reverse)", lat_c or lon_c, lat_v or lon_v)
    if geonames is not None and not geonames.isdigit():
        raise _RowError("GeoNames id is not a number", g_col, geonames)
    return resolver.add(name, country, lat, lon, wikidata=qid, geonames=geonames,
                        lang=lang or lang_default, origin=origin,
                        aliases=[a.strip() for a in aliases.split(", ") if a.strip()] if aliases else None,
                        description=description)


# ----------------------------------------------------------------------------- registry


def _is_other_json(path: Path) -> bool:
    """Wikidata entity JSON and WDQS answers have parsers of their own, even with --mapping."""
    name = path.name.lower()
    if not name.endswith((".json", ".json.gz", ".json.bz2", ".srj")):
        return False
    if name.endswith(".srj"):
        return True
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        return False
    return ('"head"' in head and '"vars"' in head) or '"entities"' in head or '"claims"' in head


def claims(path: Path, mapping: Path | None) -> bool:
    """Any single file, when a mapping is given (twinrdf tables and Wikidata JSON excepted)."""
    return mapping is not None and path.is_file() and not _is_other_json(path)


def parse(paths: list[Path], mapping: Path | None) -> RecordSet:
    assert mapping is not None
    m = load_mapping(mapping)
    rs = RecordSet()
    for p in paths:
        rs.extend(parse_mapped(p, m))
    return rs


register("mapping", claims, parse)
