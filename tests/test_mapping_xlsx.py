"""Excel workbooks (.xlsx) through a mapping: the same conversion as the CSV export, typed cells
read as a CSV export would hold them, rejects on the sheet's row numbers, clear errors."""

from __future__ import annotations

import csv
import datetime
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest

from tests.support.paths import ROOT, WIKIPEDIA_RAW
from twinrdf.convert import convert
from twinrdf.parse import InputError

MAPPING = ROOT / "examples" / "mappings" / "wikipedia-twin-lists-raw.yaml"
TWIN = "https://w3id.org/twinrdf/ns#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"


def _workbook(path: Path, rows: list[list[object]], title: str = "twins", extra: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    if extra:
        wb.create_sheet(extra).append(["nothing", "here"])
    wb.save(path)
    return path


def test_a_workbook_converts_to_the_bytes_of_its_csv_export(tmp_path):
    """Real rows of the Wikipedia list, as .xlsx and as .csv, one mapping (which says
    format: csv): byte-identical N-Triples and the same summary."""
    with open(WIKIPEDIA_RAW, encoding="utf-8", newline="") as f:
        rows = [r for _, r in zip(range(401), csv.reader(f), strict=False)]
    as_csv = tmp_path / "list.csv"
    with open(as_csv, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    as_xlsx = _workbook(tmp_path / "list.xlsx", rows)
    s1, r1 = convert([as_csv], tmp_path / "csv.nt", mapping=MAPPING)
    s2, r2 = convert([as_xlsx], tmp_path / "xlsx.nt", mapping=MAPPING)
    assert (tmp_path / "csv.nt").read_bytes() == (tmp_path / "xlsx.nt").read_bytes()
    assert s1.rows_read == s2.rows_read == 400
    assert (s1.localities, s1.agreements) == (s2.localities, s2.agreements) and s2.agreements > 300
    assert [(r.line, r.reason) for r in r1] == [(r.line, r.reason) for r in r2]


def test_typed_cells_blank_and_wide_rows(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "sheet: pairs\nlang: en\ndirectional: false\nsource: {id: xl}\n"
        "from: {name: a, country: ca, lat: lat, lon: lon}\nto: {name: b, country: cb}\n"
        "agreement: {start_date: since, signing_date: signed}\n",
        encoding="utf-8",
    )
    rows: list[list[object]] = [
        ["a", "ca", "lat", "lon", "b", "cb", "since", "signed"],
        ["Keighley", "GB", 53.867, -1.911, "Poix-du-Nord", "FR", 1920, None],  # a year typed as a number
        ["Coventry", "England", 52.408, -1.51, "Volgograd", "Russia", 1944.0, datetime.datetime(1944, 5, 9)],
        [None, None, None, None, None, None, None, None],  # blank row (row 4)
        ["Bly", "FR", 48.0, 2.0, "Ivry", "FR", "1960-06", None, "stray"],  # one cell too many (row 5)
    ]
    book = _workbook(tmp_path / "book.xlsx", rows, title="pairs", extra="notes")
    out = tmp_path / "out.nt"
    summary, rejects = convert([book], out, mapping=mapping)
    assert summary.rows_read == 4 and summary.rows_output == 2
    assert summary.rows_output + summary.rows_rejected == summary.rows_read
    assert sorted((r.line, "fields" in r.reason) for r in rejects) == [(4, False), (5, True)]
    g = ox.Store()
    g.load(path=str(out), format=ox.RdfFormat.N_TRIPLES)

    def values(prop: str) -> set[str]:
        return {q.object.value for q in g.quads_for_pattern(None, ox.NamedNode(TWIN + prop), None)}

    assert values("startDate") == {"1920", "1944"}  # not "1920.0"
    assert values("signingDate") == {"1944-05-09"}
    lat = {q.object.value for q in g.quads_for_pattern(None, ox.NamedNode(GEO + "lat"), None)}
    assert lat == {"53.867", "52.408"}  # floats kept as written


def test_sheet_choice_and_bad_workbooks_are_clear_errors(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("sheet: missing\nsource: {id: xl}\nfrom: {name: a}\nto: {name: b}\n", encoding="utf-8")
    book = _workbook(tmp_path / "book.xlsx", [["a", "b"], ["Nara", "Toledo"]], title="Sheet A")
    with pytest.raises(InputError, match=r"no sheet 'missing' \(sheets: \['Sheet A'\]\)"):
        convert([book], tmp_path / "o.nt", mapping=mapping)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a,b\nNara,Toledo\n", encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text("source: {id: xl}\nfrom: {name: a}\nto: {name: b}\n", encoding="utf-8")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "twinrdf.cli",
            "convert",
            str(fake),
            "--mapping",
            str(good),
            "-o",
            str(tmp_path / "o.nt"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "not an Excel workbook" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.nt").exists()
    missing_col = _workbook(tmp_path / "cols.xlsx", [["x", "y"], ["Nara", "Toledo"]])
    with pytest.raises(InputError, match="no column 'a', 'b'"):
        convert([missing_col], tmp_path / "o.nt", mapping=good)
