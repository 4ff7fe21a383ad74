"""Shared fixtures. Area-specific fixtures live in tests/support/<area>.py and are imported by
the test modules that use them, so that parallel work on areas never collides here."""

import os

import pytest

from tests.support.paths import SHARED


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.fail(f"the shared material is missing: expected it at {SHARED}")
    return SHARED


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """Pids of the processes forked (by ``os.fork``) during the test, counted in the parent."""
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids
