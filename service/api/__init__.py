"""The HTTP API door (FastAPI): `create_app` builds it, `auditgraph serve` runs it."""

from auditgraph.service.api.app import create_app

__all__ = ["create_app"]
