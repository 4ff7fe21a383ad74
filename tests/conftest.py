"""Shared fixtures. Area-specific fixtures live in tests/support/<area>.py and are imported by
the test modules that use them, so that parallel work on areas never collides here."""

import pytest

from tests.support.paths import SHARED


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.fail(f"the shared material is missing: expected it at {SHARED}")
    return SHARED
