"""What every command shares: settings and opening with one-line errors, reading a case,
printing JSON and tables, and logs that never carry personal data."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import AliasChoices, SecretStr, ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from auditgraph.service.database import describe_url
from auditgraph.service.settings import MODEL_PATTERN, Settings
from auditgraph.service.wiring import open_auditor, open_store, open_tokens
from auditgraph.store import AuditStore, StoreError
from auditgraph.store.errors import describe_database_error
from auditgraph.store.tokens import TokenStore
from auditgraph.tools.brand_check import BrandRegistryError
from auditgraph.tools.case import CaseError
from auditgraph.tools.personal_data import MaskingFilter
from auditgraph.tools.policy_retrieval import PolicyPackError
from auditgraph.tools.text_screen import LexiconError
from auditgraph.workflows import Auditor
from auditgraph.workflows.tracing import to_json

__all__ = [
    "MAX_CASE_BYTES",
    "JsonFlag",
    "configure_logging",
    "emit",
    "err",
    "fail",
    "id_column",
    "line",
    "load_settings",
    "opened_auditor",
    "opened_store",
    "opened_tokens",
    "out",
    "print_json",
    "read_case",
    "table",
    "visible",
    "with_model",
]

MAX_CASE_BYTES = 16 * 1024 * 1024
"""Largest case file read; larger input is refused before parsing."""

_SHOWN_AS_ESCAPES = frozenset(
    [
        *range(0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x206A),
        0xFEFF,
    ]
)
"""Characters that would move the cursor, colour the terminal, reorder or hide text:
control characters (ESC among them), line and paragraph separators, zero-width
characters and bidirectional controls."""


def visible(value: object, *, lines: bool = False) -> str:
    """`value` as text a terminal shows as it is: every control, zero-width or bidi
    character written as an escape (`\\x1b`, `\\u202e`); line breaks kept with `lines`."""
    text = str(value)
    if not any(ord(c) in _SHOWN_AS_ESCAPES for c in text):
        return text
    return "".join(
        c
        if ord(c) not in _SHOWN_AS_ESCAPES or (lines and c == "\n")
        else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


def line(*parts: str | tuple[str, str]) -> Text:
    """One line of output: plain parts, and (text, style) parts for labels. Every part is
    text, never markup, with control characters made visible."""
    return Text.assemble(*((visible(p[0]), p[1]) if isinstance(p, tuple) else visible(p) for p in parts))


class _PlainConsole(Console):
    """A console that prints every string as text: never markup, never emoji codes, and
    with control characters made visible. Styling is done with `line` and `Text`."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # Every string printed, table cells included, comes through here.
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(visible(text, lines=True), **kwargs)


out: Console = _PlainConsole(highlight=False, markup=False, emoji=False)
"""Standard output: results."""
if not out.is_terminal:
    # Piped into a file or another tool: do not squeeze tables into 80 columns.
    out = _PlainConsole(highlight=False, markup=False, emoji=False, width=200)
err: Console = _PlainConsole(stderr=True, highlight=False, markup=False, emoji=False)
"""Standard error: errors and progress."""

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
"""The `--json` option every reading command takes."""


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` as one line on standard error and exit with `code`."""
    err.print(line(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def emit(text: str, to: Path | None) -> bool:
    """Write `text` to the file `to`, or to standard output when it is None; True if a file
    was written. Exit 2 with one line when the file cannot be written."""
    if to is None:
        typer.echo(text, nl=False)
        return False
    try:
        to.write_text(text, "utf-8")
    except OSError as exc:
        fail(f"cannot write {str(to)!r}: {exc.strerror}")
    return True


def load_settings() -> Settings:
    """Settings from the environment, or exit 2 naming the first bad setting."""
    try:
        return Settings()
    except ValidationError as exc:
        fail(f"configuration error: {_settings_problem(exc)}; see docs/configuration.md")
    except SettingsError as exc:
        # Raised for a value that is not JSON where a list or mapping is expected; its
        # message names the field, not the variable.
        found = re.search(r'field "(\w+)"', str(exc))
        name = env_name(found.group(1)) if found else "an AUDITGRAPH_ variable"
        fail(f"configuration error: {name} is not valid JSON; see docs/configuration.md")


def env_name(field: str) -> str:
    """The environment variable that sets the `Settings` field `field` (or the variables)."""
    alias = Settings.model_fields[field].validation_alias if field in Settings.model_fields else None
    if isinstance(alias, AliasChoices):
        return " or ".join(str(choice) for choice in alias.choices)
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def _field_of(part: str) -> str | None:
    """The `Settings` field a validation error's location part names (a field or an alias)."""
    if part in Settings.model_fields:
        return part
    return next((f for f in Settings.model_fields if part in env_name(f).split(" or ")), None)


def _settings_problem(exc: ValidationError) -> str:
    """`AUDITGRAPH_NAME` and what is wrong with its value, for the first bad setting."""
    problems = []
    for error in exc.errors(include_url=False):
        field = next((_field_of(str(p)) for p in error["loc"] if _field_of(str(p))), None)
        name = env_name(field) if field else "an AUDITGRAPH_ variable"
        given = error.get("input")
        shown = ""
        secret = field is not None and (
            Settings.model_fields[field].annotation in (SecretStr, SecretStr | None)
            or field.endswith("database_url")  # a URL may carry a password
        )
        if isinstance(given, str | int | float) and not secret:
            text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(given))
            shown = f" (got {text[:60]!r})" if len(text) <= 60 else f" (got {text[:57]!r}...)"
        problems.append(f"{name}: {error['msg'].removeprefix('Value error, ').rstrip('.')}{shown}")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (problems[0] if problems else _first_line(exc)) + more


def with_model(settings: Settings, model: str | None) -> Settings:
    """`settings` with `--model` applied, refusing a name or a missing key in one line."""
    if model is not None:
        if not MODEL_PATTERN.fullmatch(model):
            fail(f"--model {model!r}: use rules or openai:MODEL, e.g. openai:gpt-4o-mini")
        settings = settings.model_copy(update={"model": model})
    if settings.model != "rules" and settings.llm_base_url is None and settings.llm_api_key is None:
        fail(f"--model {settings.model} needs OPENAI_API_KEY, or AUDITGRAPH_LLM_BASE_URL for a local server")
    return settings


@contextmanager
def opened_auditor(settings: Settings) -> Iterator[Auditor]:
    """The auditor, or one line saying which setting or file stops it from opening."""
    with _setup_errors(settings):
        stack = ExitStack()
        auditor = stack.enter_context(open_auditor(settings))
    # Errors raised while the auditor works are the command's to report, not setup's; a
    # database error is said in words here, never with its statement (case data).
    with stack:
        try:
            yield auditor
        except SQLAlchemyError as exc:
            fail(describe_database_error(exc), code=1)


def opened_store(settings: Settings) -> AuditStore:
    """The audit store, or one line saying why the database cannot be used."""
    with _setup_errors(settings):
        return open_store(settings)


def opened_tokens(settings: Settings) -> TokenStore:
    """The API tokens, or one line saying why the database cannot be used."""
    with _setup_errors(settings):
        return open_tokens(settings)


@contextmanager
def _setup_errors(settings: Settings) -> Iterator[None]:
    where = describe_url(settings.database_url)
    try:
        yield
    except (ArgumentError, NoSuchModuleError) as exc:
        fail(f"AUDITGRAPH_DATABASE_URL {where} is not a usable database URL ({_first_line(exc)})")
    except ImportError as exc:
        fail(f"no driver for {where}: {exc.name or exc}; see docs/configuration.md")
    except OSError as exc:
        if exc.filename and Path(str(exc.filename)).is_relative_to(settings.data_dir):
            fail(f"bundled data missing: {exc.filename} (AUDITGRAPH_DATA_DIR is {str(settings.data_dir)!r})")
        fail(f"cannot open the database {where}: {_first_line(exc)}", code=1)
    except OperationalError as exc:
        fail(f"cannot open the database {where}: {_first_line(exc)}", code=1)
    except StoreError as exc:
        fail(f"cannot use the database {where}: {_first_line(exc)}", code=1)
    except (PolicyPackError, LexiconError, BrandRegistryError) as exc:
        fail(f"bundled data under {str(settings.data_dir)!r} is unusable: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def table(*columns: str | Column) -> Table:
    """A table whose long cells fold instead of being cut."""
    # A truncated queue name or reason misleads.
    return Table(*(c if isinstance(c, Column) else Column(c, overflow="fold") for c in columns))


def id_column(header: str) -> Column:
    """A column for ids, printed whole on one line."""
    # Ids are what a reviewer copies into the next command: never cut or wrap them.
    return Column(header, no_wrap=True, min_width=20, overflow="fold")


def print_json(value: Any) -> None:
    """Print records, models and plain values as indented JSON on standard output."""
    sys.stdout.write(json.dumps(to_json(value), indent=2, ensure_ascii=False) + "\n")


def read_case(source: str) -> dict[str, Any]:
    """Read a case file (or `-` for stdin) as a JSON object.

    Raises:
        CaseError: unreadable, too large, not UTF-8 or not JSON, with a one-line reason.
    """
    name = "standard input" if source == "-" else repr(source)
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_CASE_BYTES + 1)
        else:
            path = Path(source)
            if path.is_dir():
                raise CaseError(f"{name} is a folder; give a case .json file")
            with path.open("rb") as handle:
                raw = handle.read(MAX_CASE_BYTES + 1)
    except FileNotFoundError:
        raise CaseError(f"no case file at {name}") from None
    except OSError as exc:
        raise CaseError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CASE_BYTES:
        raise CaseError(
            f"{name} is larger than {MAX_CASE_BYTES // (1024 * 1024)} MB; a case is a small JSON file"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{name} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise CaseError(f"{name} is empty; expected a case as a JSON object")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CaseError(f"{name} nests too deeply to be a case") from None
    except ValueError as exc:
        # Python refuses to convert integers of more than 4,300 digits (CVE-2020-10735).
        if "digits" in str(exc):
            raise CaseError(
                f"{name} holds a number of more than 4,300 digits; no case field needs one"
            ) from None
        raise CaseError(f"{name} is not a usable case: {_first_line(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise CaseError(f"{name} holds a JSON {type(value).__name__}; a case is a JSON object")
    return value


def configure_logging() -> None:
    """Warnings and errors to standard error, with personal data masked."""
    # Logs are never part of the audit record, so they never carry personal data, whatever
    # AUDITGRAPH_MASK_PERSONAL_DATA says.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)  # some libraries set DEBUG on their own loggers
    handler.addFilter(MaskingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
