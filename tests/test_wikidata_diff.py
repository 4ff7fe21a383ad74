"""Diff of local twinnings with Wikidata's P190: the four kinds of finding, QuickStatements, reports."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.wikidata import (  # noqa: F401 - fixtures
    DATA,
    LOCALITIES,
    wd_mirror,
)
from twinrdf.cli import main
from twinrdf.dates import PartialDate
from twinrdf.wikidata.client import StoreClient
from twinrdf.wikidata.diff import dates_agree, diff, quickstatement
from twinrdf.wikidata.reconcile import ReconcileConfig, links_turtle, reconcile

TWINNINGS = DATA / "twinnings.ttl"


@pytest.fixture(scope="module")
def sources(tmp_path_factory, wd_mirror) -> list[Path]:  # noqa: F811
    links = tmp_path_factory.mktemp("diff") / "links.ttl"
    when = datetime(2026, 11, 27, tzinfo=UTC)
    links.write_text(links_turtle(reconcile(LOCALITIES, StoreClient(wd_mirror)), ReconcileConfig(), when))
    return [LOCALITIES, TWINNINGS, links]


@pytest.fixture(scope="module")
def result(sources, wd_mirror):  # noqa: F811
    return diff(sources, StoreClient(wd_mirror))


def kinds(result, kind: str) -> list[tuple[str, str]]:
    return [(f.qa, f.qb) for f in result.findings if f.kind == kind]


def test_local_only_and_quickstatements(result):
    assert kinds(result, "local-only") == [("Q99000020", "Q99000001")]  # the WD statement is deprecated
    assert "Q99000020\tP190\tQ99000001\tP580\t+1970-00-00T00:00:00Z/9\tS854\t" \
           '"https://example.org/hannover/partner"' in result.quickstatements
    assert "Q99000001\tP190\tQ99000020\tP580\t+1970-00-00T00:00:00Z/9\tS854\t" \
           '"https://example.org/hannover/partner"' in result.quickstatements
    assert result.local_pairs == 3 and result.not_comparable == 1  # Lindau-Atlantis: Atlantis has no Q-id


def test_wikidata_only(result):
    only = kinds(result, "wikidata-only")
    assert ("Q99000010", "Q99000020") in only  # Springfield IL <-> Hannover, both directions in Wikidata
    assert len([p for p in only if "Q2112" in p]) == 8 and len([p for p in only if "Q3955" in p]) == 5
    assert ("Q99000030", "Q99000040") not in only and ("Q99000040", "Q99000030") not in only  # local has it


def test_one_sided_with_reverse_quickstatement(result):
    one = kinds(result, "one-sided")
    assert ("Q99000001", "Q99000030") in one  # Paris lists Chemnitz, Chemnitz does not list Paris
    assert ("Q99000020", "Q99000010") not in one and ("Q99000030", "Q99000040") not in one
    assert "Q99000030\tP190\tQ99000001\tP580\t+1990-00-00T00:00:00Z/9" in result.quickstatements
    # Weimar's reference URL and day-precision date are carried over to the missing side
    assert ("Q3138\tP190\tQ3955\tP580\t+1987-05-24T00:00:00Z/11\tS854\t"
            '"http://stadt.weimar.de/ueber-weimar/partnerstaedte/"') in result.quickstatements


def test_dates_disagree(result):
    found = [(f.qa, f.qb, f.detail.split(" (")[0]) for f in result.findings if f.kind == "date-disagrees"]
    assert found == [("Q99000001", "Q99000030", "start: local 1991-06, Wikidata P580 1990"),
                     ("Q99000040", "Q99000030", "start: local 2001, Wikidata P580 2002")]
    assert dates_agree(PartialDate(1987), PartialDate(1987, 5, 12))
    assert not dates_agree(PartialDate(1987, 6), PartialDate(1987, 5, 12))
    qs = quickstatement("Q1", "Q2", PartialDate(1987, 5), None)
    assert qs == "Q1\tP190\tQ2\tP580\t+1987-05-00T00:00:00Z/10"
    qs = quickstatement("Q1", "Q2", PartialDate(1987), "https://example.org/a", PartialDate(2010, 1, 2))
    assert qs == 'Q1\tP190\tQ2\tP580\t+1987-00-00T00:00:00Z/9\tP582\t+2010-01-02T00:00:00Z/11' \
                 '\tS854\t"https://example.org/a"'


def test_cli_reports(sources, wd_mirror, tmp_path):  # noqa: F811
    md, table, qs = tmp_path / "diff.md", tmp_path / "diff.csv", tmp_path / "qs.tsv"
    args = ["diff-wikidata", *map(str, sources), "--endpoint", str(wd_mirror), "--markdown", str(md),
            "--csv", str(table), "--quickstatements", str(qs)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output
    assert ("1 local-only, 14 wikidata-only, 14 one-sided, 2 date-disagrees; "
            "16 QuickStatements lines") in res.output
    text = md.read_text()
    assert "## Twinnings in the local data that Wikidata lacks" in text and "[Q99000020]" in text
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 31 and rows[0]["kind"] == "local-only" and rows[0]["label_a"] == "Hanover"
    assert len(qs.read_text().splitlines()) == 16
    # no local twinnings at all: Wikidata's P190 of the one linked item (Chemnitz) are reported
    res = CliRunner().invoke(main, ["diff-wikidata", str(DATA / "localities.ttl"), "--endpoint",
                                    str(wd_mirror)])
    assert res.exit_code == 1  # Chemnitz is linked and Wikidata has its P190 statements
    assert "Twinnings in Wikidata that the local data lacks | 2" in res.output


def test_twinned_with_shortcuts_are_not_counted_twice(tmp_path, sources, wd_mirror):  # noqa: F811
    # the builder adds twin:twinnedWith next to each agreement: the pair is still one pair
    extra = tmp_path / "shortcuts.ttl"
    extra.write_text("@prefix twin: <https://w3id.org/twinrdf/ns#> .\n"
                     "@prefix place: <https://example.org/twinning/place/> .\n"
                     "place:hannover twin:twinnedWith place:paris .\n"
                     "place:lindau twin:twinnedWith place:atlantis .\n"
                     "place:weimar twin:twinnedWith place:bielefeld .\n")
    result = diff([*sources, extra], StoreClient(wd_mirror))
    assert result.local_pairs == 4 and result.not_comparable == 1  # only Weimar-Bielefeld is new
    assert ("Q2112", "Q3955") in kinds(result, "local-only")
