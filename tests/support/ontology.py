"""Build an expensive fixture once per test run, even under pytest-xdist.

Each xdist worker gets its own module- and session-scoped fixtures, so two workers would both
build the docs site or the OWL 2 RL closure. ``once`` lets the first worker build into a
directory shared by the run (under a file lock) and the others reuse it."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest


def once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A directory that ``build`` has filled, built by one worker per run."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # not distributed: nothing to share
        target = tmp_path_factory.mktemp(name)
        build(target)
        return target
    root = tmp_path_factory.getbasetemp().parent  # one per run, shared by its workers
    target, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                target.mkdir(exist_ok=True)
                build(target)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target
