"""Build the auditor and its collaborators from `Settings`: the one place they are wired."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine

from auditgraph.agents import Agent, llm_agent, rules_agent
from auditgraph.agents.screen import E5Embedder, Embedder, NoEmbedder, ScreenScorer
from auditgraph.service.database import open_database
from auditgraph.service.settings import Settings
from auditgraph.store import SqlAuditStore, make_engine
from auditgraph.store.integrity import verify_store
from auditgraph.store.signing import Signer, TrustedKeys, load_public_keys
from auditgraph.store.tokens import TokenStore
from auditgraph.tools import DEFAULT_TEXT_READER, TextReader, Toolset, load_bundled_toolset
from auditgraph.workflows import Auditor, GuardPolicy

__all__ = [
    "ConsoleSecretError",
    "audit_engine",
    "console_secret",
    "open_auditor",
    "open_store",
    "open_tokens",
    "risk_scorer",
    "screen_embedder",
    "screen_folder",
    "signer",
    "text_reader",
    "trusted_keys",
    "warm_auditor",
]

log = logging.getLogger("auditgraph.wiring")


def open_store(settings: Settings) -> SqlAuditStore:
    """The audit store for `settings.database_url` (tables are created if missing).

    The record alone, for reading it: no checkpoint connection is opened.
    """
    return SqlAuditStore(make_engine(settings.database_url), signer=signer(settings))


def open_tokens(settings: Settings) -> TokenStore:
    """The API tokens in `settings.database_url` (the schema is brought up to date)."""
    return TokenStore(make_engine(settings.database_url))


def signer(settings: Settings) -> Signer:
    """The signer of the log of run heads; the development key is created on first use."""
    return Signer(settings.signing_key_path(), create=settings.signing_key_file is None)


def trusted_keys(settings: Settings, public_keys: list[Path] | None = None) -> TrustedKeys:
    """The public keys verification accepts: those named, else AUDITGRAPH_TRUSTED_KEYS,
    else the public half of the signing key (when its file exists).

    Raises:
        SigningKeyError: a key file is missing or not an Ed25519 key.
    """
    if public_keys:
        return TrustedKeys([k for path in public_keys for k in load_public_keys(path)])
    if settings.trusted_keys is not None:
        return TrustedKeys(load_public_keys(settings.trusted_keys))
    path = settings.signing_key_path()
    return TrustedKeys(load_public_keys(path) if path.exists() else [])


def screen_embedder(settings: Settings) -> Embedder:
    """The risk screen's embedder as the settings choose it."""
    if settings.screen_embedder == "none":
        return NoEmbedder()
    return E5Embedder(max_chars=settings.screen_embed_chars)


def screen_folder(settings: Settings, version: str | None = None) -> Path:
    """Where a version of the risk screen lives (the one in use by default)."""
    return settings.data_dir / "screen" / (version or settings.screen_version)


def risk_scorer(settings: Settings) -> ScreenScorer:
    """The risk screen in use, behind the tools' interface; it loads on first use, once a process.

    A missing or refused screen is not an error here: its tool answers `unavailable`.
    """
    return ScreenScorer(screen_folder(settings), screen_embedder(settings))


def text_reader(settings: Settings) -> TextReader | None:
    """The OCR engine that reads the text in listing images, or None when it is off.

    It loads on first use, once a process; an engine that cannot load leaves each image's
    text `unavailable`, and no listing with images is approved without a person.
    """
    return DEFAULT_TEXT_READER if settings.image_text == "rapidocr" else None


class ConsoleSecretError(RuntimeError):
    """The console's key file cannot be used; the message says why."""


MIN_CONSOLE_SECRET = 32
"""Bytes of key the console's session cookies are signed with, at least."""


def console_secret(settings: Settings) -> bytes:
    """The key that signs console sessions; the development key is created on first use.

    Raises:
        ConsoleSecretError: the key file is missing, unreadable or too short.
    """
    path = settings.console_secret_path()
    if settings.console_secret_file is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(MIN_CONSOLE_SECRET * 2))
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise ConsoleSecretError(
            f"cannot read the console key {str(path)!r} (AUDITGRAPH_CONSOLE_SECRET_FILE): {exc.strerror or exc}"
        ) from None
    if len(secret) < MIN_CONSOLE_SECRET:
        raise ConsoleSecretError(
            f"the console key {str(path)!r} holds {len(secret)} bytes; it needs {MIN_CONSOLE_SECRET} or more random bytes"
        )
    return secret


def _agent(settings: Settings, toolset: Toolset) -> Agent:
    spec = settings.model_spec()
    if spec is None:
        return rules_agent(risk_screen=toolset.screen is not None, screen=toolset.screen)
    return llm_agent(
        spec,
        toolset.evidence_tools(),
        fallback_confidence=settings.fallback_confidence,
        screen_settles=settings.screen_settles,
        screen=toolset.screen,
    )


@contextmanager
def open_auditor(settings: Settings) -> Iterator[Auditor]:
    """An `Auditor` wired from `settings`; closes its connections on exit."""
    with open_database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        checkpoint_pool_size=settings.checkpoint_pool_size,
    ) as database:
        store = SqlAuditStore(database.engine, signer=signer(settings))
        toolset = load_bundled_toolset(
            settings.data_dir,
            engine=store.engine,
            escalations=store,
            extra_image_roots=tuple(settings.image_roots),
            screen=risk_scorer(settings),
            text_reader=text_reader(settings),
            text_max_pixels=settings.image_text_max_pixels,
            image_budget_pixels=settings.image_budget_pixels,
        )
        # After the store and the bundled data: either refusing to open is the clearer error.
        checkpointer = database.checkpointer
        yield Auditor(
            store=store,
            toolset=toolset,
            agent=_agent(settings, toolset),
            checkpointer=checkpointer,
            guard=GuardPolicy(confidence_bar=settings.confidence_bar),
            include_sensitive=settings.include_sensitive,
            mask_personal_data=settings.mask_personal_data,
            durability=settings.durability,
            max_concurrency=settings.tool_concurrency,
            integrity=partial(_run_problems, store, settings),
        )


def audit_engine(auditor: Auditor) -> Engine:
    """The SQL engine under an auditor from `open_auditor`, for the stores that share its
    database (tokens, submissions, the work queue)."""
    store = auditor.store
    if not isinstance(store, SqlAuditStore):
        raise TypeError(f"the auditor's store is not SQL: {type(store).__name__}")
    return store.engine


def warm_auditor(auditor: Auditor, settings: Settings) -> None:
    """Load what the first audit would otherwise load (the risk screen and its embedder, the
    OCR engine), so that no caller waits seconds for it. Best effort: a part that cannot
    load is reported by its tool as unavailable, and the case goes to a person."""
    screen = auditor.toolset.screen
    reader = text_reader(settings)
    try:
        if screen is not None:
            screen.assess("warm up")
        if reader is not None:
            # Square: the detector scales an image's short side up to 736 pixels, so a
            # 3:1 strip would cost a 2208x736 pass (~4 s on one core) to load the same engine.
            reader.read(Image.new("RGB", (32, 32), "white"))
    except Exception as exc:  # the tools say the same, case by case, if it persists
        log.warning("warming up the auditor: %s: %s", type(exc).__name__, exc)


def _run_problems(store: SqlAuditStore, settings: Settings, run_id: str) -> list[str]:
    """What `trace verify` finds wrong with one run, signatures checked with the trusted keys."""
    trusted = trusted_keys(settings)
    checks = verify_store(store, run_id=run_id, trusted=trusted if trusted.keys else None)
    return [p for check in checks if check.run_id == run_id for p in check.problems]
