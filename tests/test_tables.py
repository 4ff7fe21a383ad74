"""The twinrdf tables parser: every bad table gets a precise reject or error, and the docs and
templates list exactly the columns the parser accepts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from twinrdf import concepts
from twinrdf.build import build
from twinrdf.dates import PartialDate
from twinrdf.parse import detect_and_parse
from twinrdf.parse.tables import TABLES, TablesError, parse_tables

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "tables"
DOCS = ROOT / "docs" / "tables.md"
TEMPLATES = ROOT / "examples" / "templates"


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    folder = tmp_path / "tables"
    shutil.copytree(FIXTURE, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def _rejects(folder: Path):
    """All rejects of parsing and building, as the converter reports them."""
    result = build(parse_tables([folder]))
    return result.rejects, result.summary


def _only(rejects, file: str):
    found = [r for r in rejects if Path(r.file).name == file]
    assert len(found) == 1, rejects
    return found[0]


def test_fixture_reads_cleanly_and_counts_rows():
    records = parse_tables([FIXTURE])
    assert records.rejects == []
    assert records.rows_read == 13
    assert {a.key for a in records.agreements} == {"keighley-poix", "coventry-volgograd"}
    cv = next(a for a in records.agreements if a.key == "coventry-volgograd")
    assert [s.status for s in cv.status_changes] == ["Proposed", "Active"]
    assert cv.status_changes[1].date == PartialDate(1944, 7)
    assert cv.signings[0].person == "grindlay"
    poix = next(x for x in records.localities if x.key == "poix")
    assert poix.names == [("Poix-du-Nord", "fr"), ("Poix", "en")]
    volgograd = next(x for x in records.localities if x.key == "volgograd")
    assert volgograd.names == [("Volgograd", "en"), ("Stalingrad", "en"), ("Волгоград", "ru")]
    assert records.localities[0].origin.line == 2


def test_missing_required_column_is_one_clear_error(tables: Path):
    path = tables / "agreements.csv"
    _edit(path, "id,partners,", "id,")
    with pytest.raises(TablesError) as err:
        parse_tables([tables])
    assert err.value.problems == [f"{path}: missing required column partners in the header of agreements.csv"]


def test_unknown_column_is_an_error_listing_the_columns(tables: Path):
    path = tables / "localities.csv"
    _edit(path, "population_date,", "popluation_date,")
    with pytest.raises(TablesError) as err:
        parse_tables([tables])
    (message,) = err.value.problems
    assert message.startswith(f"{path}: unknown column 'popluation_date'") and "population_date" in message


def test_unknown_kind_is_rejected_with_the_allowed_values(tables: Path):
    path = tables / "agreements.csv"
    _edit(path, "keighley|poix,TwinTown,", "keighley|poix,Twinning,")
    rejects, summary = _rejects(tables)
    r = _only(rejects, "agreements.csv")
    assert (r.line, r.column, r.value) == (_line_of(path, "Twinning"), "kind", "Twinning")
    assert r.reason == "unknown kind 'Twinning': expected " + concepts.describe("agreement_kind")
    assert "TwinTown" in r.reason and "SisterCity" in r.reason
    assert summary.rows_rejected == 1


def test_date_19xx_is_rejected(tables: Path):
    path = tables / "agreements.csv"
    _edit(path, ",1920,", ",19xx,")
    rejects, _ = _rejects(tables)
    r = _only(rejects, "agreements.csv")
    assert (r.line, r.column, r.value) == (_line_of(path, "19xx"), "start_date", "19xx")
    assert "not a date: '19xx'" in r.reason and "YYYY" in r.reason


def test_unknown_partner_reference_names_file_line_and_column(tables: Path):
    path = tables / "agreements.csv"
    _edit(path, "keighley|poix,", "keighley|poix-du-nord,")
    rejects, summary = _rejects(tables)
    r = _only(rejects, "agreements.csv")
    assert (r.line, r.column, r.value) == (_line_of(path, "poix-du-nord,"), "partners", "poix-du-nord")
    assert "unknown locality id 'poix-du-nord'" in r.reason
    assert summary.rows_read == summary.rows_output + summary.rows_rejected


def test_stray_delimiter_rejects_the_row(tables: Path):
    path = tables / "localities.csv"
    _edit(path, "Keighley,en,", "Keighley,en,,,")
    rejects, summary = _rejects(tables)
    r = _only(rejects, "localities.csv")
    assert r.line == _line_of(path, "Keighley,en,,,") and r.column is None
    assert "the row has 20 fields but the header has 18" in r.reason and "stray ','" in r.reason
    # the agreement naming keighley is rejected too, because its partner was
    assert {Path(x.file).name for x in rejects} == {"localities.csv", "agreements.csv"}
    assert summary.rows_rejected == 2


def test_non_utf8_file_is_one_error_with_the_byte_offset(tables: Path):
    path = tables / "localities.csv"
    data = path.read_bytes()
    offset = data.index("Волгоград".encode())
    path.write_bytes(data.replace("Волгоград".encode(), "Volgograd\xe9".encode("latin-1")))
    bad = offset + len("Volgograd")
    with pytest.raises(TablesError) as err:
        parse_tables([tables])
    (message,) = err.value.problems
    assert message.startswith(f"{path}: not UTF-8: byte 0xe9 at byte offset {bad} (line 5)")


def test_bad_cells_each_get_a_reject(tables: Path):
    path = tables / "localities.csv"
    _edit(path, "53.8679,-1.9064,56348", "93.8679,east,5x")
    _edit(path, "Poix@en", "Poix")
    rejects = parse_tables([tables]).rejects
    got = {(r.column, r.value) for r in rejects}
    assert got == {("lat", "93.8679"), ("lon", "east"), ("population", "5x"), ("other_names", "Poix")}
    reasons = {r.column: r.reason for r in rejects}
    assert "out of range (-90 to 90)" in reasons["lat"]
    assert "Text@lang" in reasons["other_names"]


def test_duplicate_id_is_rejected_with_the_first_line(tables: Path):
    path = tables / "sources.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write("wp,Again,,,,,\n")
    rejects = parse_tables([tables]).rejects
    r = _only(rejects, "sources.csv")
    assert r.line == 3 and r.column == "id" and f"already defined in {path} line 2" in r.reason


def test_status_change_for_unknown_agreement_is_rejected(tables: Path):
    _edit(tables / "status_changes.csv", "coventry-volgograd,Proposed", "coventry-stalingrad,Proposed")
    r = _only(parse_tables([tables]).rejects, "status_changes.csv")
    assert (r.line, r.column, r.value) == (2, "agreement", "coventry-stalingrad")


def test_unknown_status_in_status_changes_lists_the_statuses(tables: Path):
    _edit(tables / "status_changes.csv", "Proposed", "Attempted")
    r = _only(parse_tables([tables]).rejects, "status_changes.csv")
    assert r.column == "status" and "Proposed" in r.reason and "Abandoned" in r.reason


def test_unknown_table_file_and_empty_file_are_errors(tables: Path):
    (tables / "partners.csv").write_text("id\n", encoding="utf-8")
    (tables / "documents.csv").write_text("", encoding="utf-8")
    with pytest.raises(TablesError) as err:
        parse_tables([tables])
    assert len(err.value.problems) == 2
    assert any("partners.csv: not a twinrdf table" in p for p in err.value.problems)
    assert any("documents.csv: empty file" in p for p in err.value.problems)


def test_blank_rows_are_not_counted_and_lines_stay_right(tables: Path):
    path = tables / "agreements.csv"
    text = path.read_text(encoding="utf-8").replace("\nkeighley-poix", "\n\n,,,,,,,,,,,,,,\nkeighley-poix")
    path.write_text(text.replace(",1920,", ",19xx,"), encoding="utf-8")
    records = parse_tables([tables])
    assert records.rows_read == 13
    assert records.rejects[0].line == 4


def test_quoted_multiline_cell_reports_the_start_line(tables: Path):
    path = tables / "agreements.csv"
    _edit(path, '"first recorded modern twinning, after the First World War"', '"first\nrecorded"')
    _edit(path, "volgograd|coventry,SolidarityLink", "volgograd|coventry,Nope")
    r = _only(parse_tables([tables]).rejects, "agreements.csv")
    assert r.line == 4


def test_registry_dispatches_folders_and_table_files():
    records = detect_and_parse([FIXTURE / "localities.csv", FIXTURE / "sources.csv"])
    assert len(records.localities) == 5 and records.rows_read == 6


def _doc_columns() -> dict[str, list[tuple[str, bool, str]]]:
    text = DOCS.read_text(encoding="utf-8")
    out: dict[str, list[tuple[str, bool, str]]] = {}
    table = None
    for line in text.splitlines():
        m = re.match(r"^### `(\w+)\.csv`", line)
        if m:
            table = m.group(1)
            out[table] = []
        elif table and line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            out[table].append((cells[0].strip("`"), cells[1] == "yes", cells[2]))
    return out


def test_docs_list_exactly_the_columns_and_values_the_parser_accepts():
    documented = _doc_columns()
    assert set(documented) == set(TABLES)
    for table, columns in TABLES.items():
        assert [(c, r) for c, r, _ in documented[table]] == [(c.name, c.required) for c in columns], table
        for col, (_, _, values) in zip(columns, documented[table], strict=True):
            if col.scheme:
                listed = set(re.findall(r"`(\w+)`", values))
                assert listed == set(concepts.allowed(col.scheme)), (table, col.name)


def test_templates_have_exactly_the_columns_of_each_table():
    assert {p.stem for p in TEMPLATES.glob("*.csv")} == set(TABLES)
    for table, columns in TABLES.items():
        text = (TEMPLATES / f"{table}.csv").read_text(encoding="utf-8")
        assert text.splitlines() == [",".join(c.name for c in columns)]
    records = parse_tables([TEMPLATES])
    assert records.rows_read == 0 and records.rejects == []


def test_a_file_given_twice_is_read_once():
    records = parse_tables([FIXTURE, FIXTURE / "localities.csv"])
    assert records.rejects == [] and records.rows_read == 13
