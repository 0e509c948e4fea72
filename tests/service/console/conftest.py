"""The console tests' shared server: one `auditgraph serve` with the default settings for
the modules that make their own cases and reviewers and only read those back.

A module that needs other settings (short leases, small pages), or that counts or claims
whatever the whole queue holds, defines a `server` (or another fixture) of its own.
"""

from __future__ import annotations

from tests.service.api.conftest import server_fixture

server = server_fixture("console-shared", scope="package")
