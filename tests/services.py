"""What a test does when a local service it needs is missing: skip, saying why, or fail
when the environment requires the service (`.ci/run` requires them all)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def postgres_unreachable(exc: Exception) -> NoReturn:
    """Skip (or, with AUDITGRAPH_REQUIRE_POSTGRES=1, fail): PostgreSQL did not answer."""
    message = f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__}); `.ci/run` starts it"
    if os.environ.get("AUDITGRAPH_REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)
