"""The reviewer console (server-rendered pages), served by `auditgraph serve` beside the API."""

from auditgraph.service.console.mount import mount_console

__all__ = ["mount_console"]
