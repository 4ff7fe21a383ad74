"""The resolver's helper process (issue 4 speed): the same resolution with or without it, and
a helper that fails costs nothing but time (the resolver derives everything itself)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from twinrdf import resolve
from twinrdf.records import Origin

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "wikipedia-twin-lists" / "twin_cities_raw.csv"


def _resolve(rows: list[list[str]]) -> tuple[resolve.Resolution, resolve.Resolver]:
    r = resolve.Resolver()
    for line, (c1, k1, c2, k2) in enumerate(rows, start=2):
        r.add_name(c1.strip(), k1.strip() or None, "en", Origin("t.csv", line))
        r.add(c2, k2, lang="en", origin=Origin("t.csv", line))
    return r.finish(), r


@pytest.fixture
def rows() -> list[list[str]]:
    if not RAW.is_file():
        pytest.skip("shared data not available")
    with open(RAW, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:1500]


def _same(a: resolve.Resolution, b: resolve.Resolution) -> None:
    assert a.keys == b.keys and a.localities == b.localities and a.review == b.review


def test_the_helper_gives_the_resolution_of_the_resolver_alone(rows, monkeypatch, forks):
    monkeypatch.setattr(resolve, "HELPER_MIN", 50)
    with_helper, r = _resolve(rows)
    assert len(forks) == 1 and r._helper is None
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped
    monkeypatch.setenv("TWINRDF_NO_FORK", "1")
    alone, _ = _resolve(rows)
    assert len(forks) == 1
    _same(with_helper, alone)
    assert len(alone.localities) > 1000 and alone.review


def test_a_failing_helper_falls_back_to_deriving_here(rows, monkeypatch):
    monkeypatch.setattr(resolve, "HELPER_MIN", 50)
    monkeypatch.setattr(resolve._DeriveHelper, "_serve", staticmethod(lambda rfd, wfd: os._exit(3)))
    failed, r = _resolve(rows)
    assert r._helper is None  # given up on, not left running
    monkeypatch.setenv("TWINRDF_NO_FORK", "1")
    alone, _ = _resolve(rows)
    _same(failed, alone)
    assert len(failed.localities) == len(alone.localities) > 1000


def test_a_helper_that_never_answers_is_stopped_and_not_waited_for(rows, monkeypatch, forks):
    monkeypatch.setattr(resolve, "HELPER_MIN", 50)
    monkeypatch.setattr(resolve, "HELPER_PATIENCE", 0.3)
    pids = forks

    def hang(rfd: int, wfd: int) -> None:  # never answers (a deadlocked helper)
        import time

        while True:
            time.sleep(60)

    monkeypatch.setattr(resolve._DeriveHelper, "_serve", staticmethod(hang))
    stuck, _ = _resolve(rows[:600])
    monkeypatch.setenv("TWINRDF_NO_FORK", "1")
    alone, _ = _resolve(rows[:600])
    _same(stuck, alone)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(pids[0], os.WNOHANG)  # killed and reaped


def test_a_helper_that_stops_reading_is_given_up_without_blocking_the_parser(monkeypatch):
    monkeypatch.setattr(resolve, "HELPER_PATIENCE", 0.2)

    def hang(rfd: int, wfd: int) -> None:
        import time

        while True:
            time.sleep(60)

    monkeypatch.setattr(resolve._DeriveHelper, "_serve", staticmethod(hang))
    helper = resolve._DeriveHelper()
    assert helper.start()
    pid = helper.pid
    n = 0
    while not helper.failed and n < 200_000:  # far more than its pipe holds
        helper.add(f"{n:06d} " + "x" * 100, "Germany")
        n += 1
    assert helper.failed and n < 200_000
    assert helper.results(n) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
