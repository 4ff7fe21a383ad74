"""Wikidata entity JSON: single entities and the JSON dump, streamed.

Accepted shapes:
- ``Special:EntityData/Q….json`` and ``wbgetentities`` answers: ``{"entities": {"Q…": {...}}}``;
- a bare entity object (``{"type": "item", "id": "Q…", "claims": …}``);
- the JSON dump (``latest-all.json``): ``[`` on the first line, then one entity per line, each
  line but the last ending with a comma, then ``]``; plain, ``.gz`` or ``.bz2``. Dumps are read
  line by line, one ``json.loads`` per line, so memory follows the twinning data kept, not the
  size of the dump.

What is kept: each P190 (twinned administrative body) statement that is not deprecated
becomes an agreement record with one listing (the subject lists the partner), with P580/P582
(start/end) at their precision, the statement id, and its references (P854 reference URL,
P813 retrieved) as sources; deprecated statements are excluded and counted. The subject
becomes a locality with its labels and aliases in every language, descriptions, P31 classes,
best-rank P17 (country), P625 (coordinates) and P1082 (population, with its P585 date).
Partners known only by their Q-id become localities keyed by that Q-id.

Rows: one entity is one row (its line in a dump, its position in an ``entities`` object).
Entities without any P190 statement are not twinning data: in a dump they are counted under
``excluded`` (not rows); in a small file they are kept when another entity's P190 names them.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from twinrdf.dates import DateError, PartialDate
from twinrdf.parse import InputError, register
from twinrdf.parse.common import json_error
from twinrdf.perf import paused_gc
from twinrdf.records import Agreement, Listing, Locality, Name, Origin, RecordSet, Reject, Source

WD_ENTITY = "http://www.wikidata.org/entity/"
WIKIDATA_PAGE = "https://www.wikidata.org/wiki/"
SUFFIXES = (".json", ".json.gz", ".json.bz2", ".ndjson", ".ndjson.gz", ".ndjson.bz2")
SNIFF = 65536


def _open(path: Path) -> IO[str]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    if name.endswith(".bz2"):
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8-sig")


def _head(path: Path) -> str:
    """The first characters of a (possibly compressed) file, for sniffing; '' if unreadable."""
    try:
        with _open(path) as f:
            return f.read(SNIFF)
    except (OSError, EOFError, UnicodeDecodeError, ValueError):
        return ""


def looks_like_entities(head: str) -> bool:
    """True for entity JSON or a dump (and not a SPARQL results document)."""
    s = head.lstrip()
    if not s or s[0] not in "[{":
        return False
    if '"head"' in s[:2000] and '"vars"' in s[:4000]:
        return False
    return '"entities"' in s or '"claims"' in s or '"labels"' in s or ('"type"' in s and '"item"' in s)


def claims(path: Path, mapping: Path | None) -> bool:
    if not path.is_file():
        return False
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        return False
    head = _head(path)
    if looks_like_entities(head):
        return True
    # An empty, binary or truncated .json file that no other parser can claim: claim it when
    # no mapping was given, so that the user gets this parser's precise error.
    return mapping is None and '"head"' not in head[:4000]


# ----------------------------------------------------------------------------- snaks


def _snak_value(snak: dict) -> Any:
    if snak.get("snaktype") != "value":
        return None
    return (snak.get("datavalue") or {}).get("value")


def _item_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if value.get("id"):
            return str(value["id"])
        if value.get("numeric-id") is not None:
            return f"Q{value['numeric-id']}"
    return None


def _time(snak: dict) -> PartialDate | None:
    v = _snak_value(snak)
    if not isinstance(v, dict) or "time" not in v:
        return None
    return PartialDate.from_wikidata(v["time"], int(v.get("precision", 11)))


def best_rank(statements: list[dict]) -> list[dict]:
    """Preferred statements if any, else normal ones; deprecated never (Wikidata's 'truthy')."""
    preferred = [s for s in statements if s.get("rank") == "preferred"]
    if preferred:
        return preferred
    return [s for s in statements if s.get("rank", "normal") == "normal"]


def _names(entity: dict) -> list[Name]:
    labels = entity.get("labels") or {}
    out: list[Name] = []
    order = sorted(labels, key=lambda lang: (lang != "en", lang))
    for lang in order:
        v = labels[lang]
        if isinstance(v, dict) and v.get("value"):
            out.append((v["value"], v.get("language") or lang))
    for lang in sorted(entity.get("aliases") or {}, key=lambda lang: (lang != "en", lang)):
        for v in entity["aliases"][lang] or []:
            if isinstance(v, dict) and v.get("value"):
                out.append((v["value"], v.get("language") or lang))
    return out


def _descriptions(entity: dict) -> list[Name]:
    d = entity.get("descriptions") or {}
    return [(v["value"], v.get("language") or lang) for lang, v in sorted(d.items())
            if isinstance(v, dict) and v.get("value")]


# ----------------------------------------------------------------------------- one entity


class _State:
    def __init__(self, rs: RecordSet, file: str) -> None:
        self.rs = rs
        self.file = file
        self.partners: set[str] = set()  # Q-ids named by P190 so far
        self.subjects: set[str] = set()  # Q-ids kept as full localities
        self.sources: set[str] = set()
        self.countries: set[str] = set()

    def exclude(self, reason: str, n: int = 1) -> None:
        self.rs.excluded[reason] = self.rs.excluded.get(reason, 0) + n


def _locality(entity: dict, qid: str, origin: Origin, st: _State) -> Locality:
    claims = entity.get("claims") or {}
    loc = Locality(key=qid, wikidata=qid, names=_names(entity) or [(qid, None)],
                   descriptions=_descriptions(entity), origin=origin)
    loc.instance_of = [q for s in claims.get("P31") or [] if s.get("rank") != "deprecated"
                       if (q := _item_id(_snak_value(s.get("mainsnak") or {})))]
    for s in best_rank(claims.get("P17") or []):
        q = _item_id(_snak_value(s.get("mainsnak") or {}))
        if q:
            loc.country = q
            st.countries.add(q)
            break
    for s in best_rank(claims.get("P625") or []):
        v = _snak_value(s.get("mainsnak") or {})
        if isinstance(v, dict) and v.get("latitude") is not None and v.get("longitude") is not None:
            globe = v.get("globe") or WD_ENTITY + "Q2"
            if globe.rsplit("/", 1)[-1] == "Q2":  # coordinates on Earth only
                loc.lat, loc.lon = float(v["latitude"]), float(v["longitude"])
                break
    pops = best_rank(claims.get("P1082") or [])
    if pops:
        dated = []
        for s in pops:
            v = _snak_value(s.get("mainsnak") or {})
            if not isinstance(v, dict) or "amount" not in v:
                continue
            when = None
            for q in (s.get("qualifiers") or {}).get("P585") or []:
                try:
                    when = _time(q)
                except DateError:
                    when = None
            dated.append((when.earliest() if when else (-99999, 0, 0), when, v["amount"]))
        if dated:
            _, when, amount = max(dated, key=lambda d: d[0])
            try:
                loc.population = int(float(str(amount).lstrip("+")))
                loc.population_date = when
            except ValueError:
                pass
    return loc


def _reference_sources(statement: dict, st: _State) -> list[str]:
    keys: list[str] = []
    for ref in statement.get("references") or []:
        snaks = ref.get("snaks") or {}
        url = next((v for s in snaks.get("P854") or [] if isinstance(v := _snak_value(s), str)), None)
        retrieved = None
        for s in snaks.get("P813") or []:
            try:
                retrieved = _time(s)
            except DateError:
                retrieved = None
        if url is None and retrieved is None:
            continue
        key = f"wikidata-ref-{(ref.get('hash') or str(abs(hash((url, str(retrieved))))))[:16]}"
        if key not in st.sources:
            st.sources.add(key)
            st.rs.sources.append(Source(key=key, url=url, retrieved=retrieved, title="Wikidata reference"))
        keys.append(key)
    return keys


def _entity(entity: Any, origin: Origin, st: _State, *, dump: bool) -> Locality | None:
    """Records for one entity; returns its locality when it is kept only as a partner candidate."""
    rs = st.rs
    if not isinstance(entity, dict):
        rs.rows_read += 1
        rs.rejects.append(Reject(origin.file, origin.line, f"expected an entity object, found "
                                                           f"{type(entity).__name__}"))
        return None
    qid = entity.get("id")
    if not isinstance(qid, str) or not qid[:1] == "Q" or not qid[1:].isdigit():
        if entity.get("type") == "property" or (isinstance(qid, str) and qid[:1] in "PL"):
            st.exclude("entities that are not items (properties, lexemes)")
            return None
        rs.rows_read += 1
        rs.rejects.append(Reject(origin.file, origin.line, "entity without a Q-id", column="id",
                                 value=None if qid is None else str(qid)))
        return None
    if "missing" in entity:
        rs.rows_read += 1
        rs.rejects.append(Reject(origin.file, origin.line, "the entity is missing (deleted or never existed)",
                                 column="id", value=qid))
        return None
    claims = entity.get("claims") or {}
    p190 = claims.get("P190") or []
    origin = Origin(origin.file, origin.line, column=qid)
    if not p190:
        if qid in st.partners or not dump:
            return _locality(entity, qid, origin, st)  # decided by the caller
        st.exclude("entities without P190 statements")
        return None
    rs.rows_read += 1
    loc = _locality(entity, qid, origin, st)
    rev = entity.get("lastrevid")
    modified = str(entity.get("modified") or "")[:10]
    title = f"Wikidata item {qid}" + (f", revision {rev}" if rev else "")
    title += f" of {modified}" if modified else ""
    page = Source(key=f"wikidata-{qid}", title=title, url=WIKIDATA_PAGE + qid)
    rs.sources.append(page)
    rs.localities.append(loc)
    st.subjects.add(qid)
    for s in p190:
        rank = s.get("rank", "normal")
        sid = s.get("id")
        if rank == "deprecated":
            st.exclude("deprecated P190 statements")
            continue
        snak = s.get("mainsnak") or {}
        partner = _item_id(_snak_value(snak))
        if partner is None:
            kind = snak.get("snaktype", "value")
            rs.rejects.append(Reject(origin.file, origin.line,
                                     f"P190 statement without an item value ({kind})", column="P190",
                                     value=sid))
            continue
        if partner == qid:
            rs.rejects.append(Reject(origin.file, origin.line, "P190 statement names the item itself",
                                     column="P190", value=sid))
            continue
        quals = s.get("qualifiers") or {}
        try:
            start = next((d for q in quals.get("P580") or [] if (d := _time(q))), None)
            end = next((d for q in quals.get("P582") or [] if (d := _time(q))), None)
        except DateError as exc:
            rs.rejects.append(Reject(origin.file, origin.line, f"bad date qualifier: {exc}", column="P190",
                                     value=sid))
            continue
        refs = _reference_sources(s, st)
        if partner not in st.subjects and partner not in st.partners:
            rs.localities.append(Locality(key=partner, wikidata=partner, names=[(partner, None)],
                                          origin=origin))
        st.partners.add(partner)
        rs.agreements.append(Agreement(
            key=None,
            partners=[qid, partner],
            start_date=start,
            end_date=end,
            listings=[Listing(qid, partner, page.key, origin)],
            wikidata_statement=sid,
            sources=[page.key, *refs],
            origin=origin,
        ))
    return None


# ----------------------------------------------------------------------------- files


def _document_entities(doc: Any, file: str) -> list[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("entities"), dict):
        return list(doc["entities"].values())
    if isinstance(doc, dict) and ("claims" in doc or doc.get("type") == "item" or "labels" in doc):
        return [doc]
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and "error" in doc:
        err = doc["error"]
        info = err.get("info") if isinstance(err, dict) else err
        raise InputError(f"{file}: the Wikidata API answered with an error: {info}")
    raise InputError(f"{file}: not Wikidata entity JSON (expected {{\"entities\": …}}, an entity object "
                     "or a JSON dump)")


def _dump_lines(f: IO[str]) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(f, start=1):
        s = line.strip()
        if s:
            yield n, s


def parse_entity_file(path: Path, label: str | None = None) -> RecordSet:
    """Records from one entity JSON file or dump (see the module docstring)."""
    with paused_gc():
        return _parse_file(path, label or str(path))


def _parse_file(path: Path, file: str) -> RecordSet:
    rs = RecordSet()
    st = _State(rs, file)
    try:
        f = _open(path)
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        with f:
            try:
                first = f.read(1)
                while first and first.isspace():
                    first = f.read(1)
            except (EOFError, OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{file}: cannot read as UTF-8 text{_why(exc)}") from exc
            if not first:
                raise InputError(f"{file}: the file is empty")
            if first == "\x00" or not first.isprintable():
                raise InputError(f"{file}: binary content; expected Wikidata entity JSON")
            if first not in "[{":
                raise InputError(f"{file}: not JSON (starts with {first!r}); expected Wikidata entity JSON")
            rest_first_line = f.readline()
            if first == "[" and not rest_first_line.strip():
                _parse_dump(f, st)
                return rs
            text = first + rest_first_line + f.read()
    except (EOFError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read{_why(exc)}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(json_error(file, exc, len(text.rstrip()))) from exc
    entities = _document_entities(doc, file)
    held: list[Locality] = []
    for i, e in enumerate(entities, start=1):
        loc = _entity(e, Origin(file, i), st, dump=False)
        if loc is not None:
            held.append(loc)
    _finish(st, held)
    return rs


def _why(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f" (not UTF-8: {exc.reason})"
    if isinstance(exc, EOFError):
        return " (compressed stream ends early: truncated)"
    return f" ({exc})"


def _parse_dump(f: IO[str], st: _State) -> None:
    file = st.file
    closed = False
    last_bad: tuple[int, str] | None = None
    held: list[Locality] = []
    from tqdm import tqdm

    # A dump takes minutes: a progress bar on a terminal, nothing otherwise.
    bar = tqdm(desc=f"reading {Path(file).name}", unit=" entities", unit_scale=True, file=sys.stderr,
               disable=not sys.stderr.isatty(), mininterval=0.5)
    try:
        for n, line in _progress(_dump_lines(f), bar):
            n += 1  # the "[" line was consumed already
            if closed:
                st.rs.rejects.append(Reject(file, n, "content after the closing ']' of the dump"))
                st.rs.rows_read += 1
                continue
            if line == "]":
                closed = True
                continue
            s = line[:-1] if line.endswith(",") else line
            if s.endswith("]") and not s.endswith("}"):
                s, closed = s[:-1].rstrip(), True
            try:
                entity = json.loads(s)
            except json.JSONDecodeError as exc:
                st.rs.rows_read += 1
                st.rs.rejects.append(Reject(file, n, f"invalid JSON on this line ({exc.msg})"))
                last_bad = (n, exc.msg)
                continue
            last_bad = None
            loc = _entity(entity, Origin(file, n), st, dump=True)
            if loc is not None:
                held.append(loc)
    except (EOFError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the dump{_why(exc)}") from exc
    finally:
        bar.close()
    if not closed:
        where = f"; line {last_bad[0]} is cut off" if last_bad else ""
        raise InputError(f"{file}: the dump is truncated: no closing ']'{where}")
    _finish(st, held)


def _progress(lines: Iterator[tuple[int, str]], bar: Any) -> Iterator[tuple[int, str]]:
    for item in lines:
        bar.update()
        yield item


def _finish(st: _State, held: list[Locality]) -> None:
    """Keep the P190-less entities that some P190 names (as partner details); count the others."""
    rs = st.rs
    for loc in held:
        if loc.key in st.subjects:
            st.exclude("entities without P190 statements")  # a duplicate of a kept entity
        elif loc.key in st.partners or loc.key in st.countries:
            if loc.key in st.countries and loc.key not in st.partners:
                loc.scope = "Country"
            rs.rows_read += 1
            rs.localities.append(loc)
            st.subjects.add(loc.key)
        else:
            st.exclude("entities without P190 statements")
    for q in sorted(st.countries - st.subjects - st.partners):
        rs.localities.append(Locality(key=q, wikidata=q, scope="Country", names=[(q, None)]))


def parse(paths: list[Path], mapping: Path | None) -> RecordSet:
    rs = RecordSet()
    for p in paths:
        rs.extend(parse_entity_file(p))
    return rs


register("wikidata-json", claims, parse)
