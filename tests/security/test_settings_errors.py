"""Every setting given a bad value fails with one line naming its environment variable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.cli.common import env_name
from auditgraph.service.settings import Settings

runner = CliRunner()

INVALID: dict[str, str] = {
    "database_url": "nonsense",
    "migration_database_url": "sqlite:///audit.db",
    "signing_key_file": "/nonexistent/auditgraph-keys/signing-key.pem",
    "trusted_keys": "/nonexistent/auditgraph-keys/public",
    "data_dir": "/nonexistent/auditgraph-data",
    "image_roots": "not a JSON list",
    "image_text": "tesseract",
    "image_text_max_pixels": "12",
    "image_budget_pixels": "-5",
    "include_sensitive": "perhaps",
    "mask_personal_data": "perhaps",
    "durability": "sometimes",
    "retention_checkpoint_days": "-1",
    "retention_record_days": "0",
    "retention_interval_hours": "-1",
    "tool_concurrency": "0",
    "confidence_bar": "1.5",
    "model": "gpt-4o",
    "llm_base_url": "ftp://example.org",
    "llm_api_key": "two words",
    "llm_timeout": "-1",
    "llm_attempts": "99",
    "llm_backoff": "-0.5",
    "llm_max_tokens": "8",
    "llm_tool_choice": "none",
    "llm_prices": '{"gpt": "cheap"}',
    "screen_version": "../../etc",
    "screen_embedder": "bert",
    "screen_embed_chars": "3",
    "screen_settles": "maybe",
    "screen_false_approve_budget": "0.9",
    "screen_false_reject_budget": "-0.1",
    "fallback_confidence": "7",
    "api_host": "",
    "api_port": "70000",
    "api_workers": "0",
    "api_audit_threads": "0",
    "api_read_threads": "many",
    "api_max_body_bytes": "10",
    "api_wait_seconds": "0",
    "api_page_size": "1000",
    "console_secret_file": "/nonexistent/auditgraph-keys/console.key",
    "console_session_hours": "0",
    "console_lease_minutes": "-1",
    "console_sla_hours": '{"1": 1}',
    "database_pool_size": "0",
    "database_max_overflow": "-1",
    "checkpoint_pool_size": "0",
    "broker_url": "http://127.0.0.1:5672",
    "worker_queue": "runs for everyone",
    "worker_concurrency": "0",
    "worker_lease_seconds": "0.1",
    "worker_heartbeat_seconds": "0",
    "worker_max_attempts": "0",
    "worker_sweep_seconds": "0",
    "worker_requeue_after_seconds": "0",
}


def test_every_setting_has_an_invalid_value_here() -> None:
    assert set(INVALID) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_a_bad_setting_fails_with_one_line_naming_its_variable(
    field: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
    variable = env_name(field).split(" or ")[0]
    monkeypatch.setenv(variable, INVALID[field])
    result = runner.invoke(app, ["runs"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: configuration error: "), lines[0]
    assert variable in lines[0], lines[0]
    if field != "llm_api_key":
        assert "1 validation error" not in lines[0]
    else:
        assert INVALID[field] not in lines[0], "a key must never be echoed"
