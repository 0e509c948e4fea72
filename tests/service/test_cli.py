"""The CLI end to end, including every kind of bad input: one clear line, the right exit code, no half-written run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_store
from tests.conftest import CASES, load_case

runner = CliRunner()


def _invoke(*args: str, stdin: str | bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def _write(tmp_path: Path, name: str, value: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value) if not isinstance(value, str) else value, "utf-8")
    return str(path)


def _runs(settings: Settings) -> int:
    return len(open_store(settings).list_runs(limit=1000))


def test_run_prints_decision_citations_and_run_id(settings: Settings) -> None:
    result = _invoke("run", str(CASES / "switchblade_collector.json"))
    assert result.exit_code == 0, result.output
    assert "decision  reject" in result.output
    assert "WPN-4" in result.output
    assert "run_" in result.output


def test_run_json_and_trace_and_runs(settings: Settings) -> None:
    result = _invoke("run", str(CASES / "counterfeit_watch_replica.json"), "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["decision"] == "reject" and body["clause_ids"] == ["CIP-2", "CIP-1"]
    trace = _invoke("trace", body["run_id"])
    assert trace.exit_code == 0
    for node in ("intake", "plan", "check_image", "retrieve_policy", "adjudicate", "guard", "finalize"):
        assert node in trace.output
    assert "Decision on listing lst-880421: reject." in trace.output
    listed = json.loads(_invoke("runs", "--json").stdout)
    assert [r["run_id"] for r in listed] == [body["run_id"]]
    trace_json = json.loads(_invoke("trace", body["run_id"], "--json").stdout)
    assert trace_json["decisions"][0]["decision"] == "reject"
    assert [s["node"] for s in trace_json["steps"][:2]] == ["start", "intake"]


def test_run_reads_stdin(settings: Settings) -> None:
    result = _invoke("run", "-", "--json", stdin=(CASES / "kitchen_knife_set.json").read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["decision"] == "approve"


def test_queue_and_review(settings: Settings) -> None:
    body = json.loads(_invoke("run", str(CASES / "unknown_seller.json"), "--json").stdout)
    assert body["status"] == "awaiting_review"
    queue = json.loads(_invoke("queue", "--json").stdout)
    assert [(e["run_id"], e["queue"]) for e in queue] == [(body["run_id"], "fraud")]
    # Ranked by the risk screen's probability, shown beside the priority.
    assert 0 <= queue[0]["risk"] <= 1
    listed = _invoke("queue").output
    assert "risk" in listed and f"{queue[0]['risk']:.2f}" in listed
    assert json.loads(_invoke("queue", "--queue", "ip-specialists", "--json").stdout) == []
    done = _invoke(
        "review",
        body["run_id"],
        "--decision",
        "approve",
        "--reason",
        "KYC done by phone",
        "--reviewer",
        "lee",
    )
    assert done.exit_code == 0, done.output
    assert "decision  approve  (by reviewer)" in done.output
    assert json.loads(_invoke("queue", "--json").stdout) == []
    again = _invoke("review", body["run_id"], "--decision", "approve", "--reason", "x", "--reviewer", "lee")
    assert again.exit_code == 2
    assert "not awaiting review" in again.output


def test_schema_is_json_schema_of_three_kinds() -> None:
    schema = json.loads(_invoke("schema").stdout)
    assert set(schema["discriminator"]["mapping"]) == {"listing_review", "seller_appeal", "ip_report"}


def _case_with(**listing: object) -> dict:
    case = load_case("kitchen_knife_set")
    case["listing"].update(listing)
    return case


BAD_CASES = {
    "malformed.json": (
        '{"kind": "listing_review", "case_id": ',
        "is not valid JSON: Expecting value at line 1",
    ),
    "array.json": ("[1, 2]", "holds a JSON list; a case is a JSON object"),
    "empty.json": ("", "is empty"),
    "missing_field.json": (
        {k: v for k, v in load_case("kitchen_knife_set").items() if k != "signal"},
        "signal is missing",
    ),
    "empty_description.json": (_case_with(description="   "), "listing.description is empty"),
    "huge_description.json": (
        _case_with(description="x" * 5_000_000),
        "listing.description is 5,000,000 characters; the limit is 20,000",
    ),
    "unknown_kind.json": (
        {**load_case("kitchen_knife_set"), "kind": "refund"},
        "kind must be one of listing_review, seller_appeal, ip_report",
    ),
    "bad_price.json": (_case_with(price="-3"), "listing.price"),
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_case_gets_one_clear_line_and_nothing_is_recorded(
    settings: Settings, tmp_path: Path, name: str
) -> None:
    value, message = BAD_CASES[name]
    result = _invoke("run", _write(tmp_path, name, value))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.strip().splitlines() if line]) <= 2
    assert _runs(settings) == 0


def test_not_utf8_missing_file_and_folder(settings: Settings, tmp_path: Path) -> None:
    binary = tmp_path / "latin1.json"
    binary.write_bytes('{"title": "caf\xe9"}'.encode("latin-1"))
    assert "is not UTF-8 text" in _invoke("run", str(binary)).output
    assert "no case file at" in _invoke("run", str(tmp_path / "nope.json")).output
    assert "is a folder" in _invoke("run", str(tmp_path)).output
    assert _runs(settings) == 0


@pytest.mark.parametrize(
    ("name", "reason"),
    [("unknown_seller", "unknown_seller"), ("missing_image", "image_missing:listings/mug_side_view.png")],
)
def test_recoverable_problems_take_the_recorded_fail_safe_path(
    settings: Settings, name: str, reason: str
) -> None:
    body = json.loads(_invoke("run", str(CASES / f"{name}.json"), "--json").stdout)
    assert body["status"] == "awaiting_review"
    assert reason in body["escalation"]["reasons"]
    run = open_store(settings).get_run(body["run_id"])
    assert run.status == "awaiting_review" and run.decision is None


def test_unknown_run_ids(settings: Settings) -> None:
    for args in (
        ["trace", "run_missing"],
        ["review", "run_missing", "--decision", "approve", "--reason", "r", "--reviewer", "x"],
    ):
        result = _invoke(*args)
        assert result.exit_code == 2
        assert "no run 'run_missing'" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "message", "code"),
    [
        ("AUDITGRAPH_DATABASE_URL", "/tmp/x.db", "AUDITGRAPH_DATABASE_URL: give a URL", 2),
        ("AUDITGRAPH_DATABASE_URL", "nope://x", "is not a usable database URL", 2),
        ("AUDITGRAPH_DATABASE_URL", "mysql://u@h/db", "no driver for", 2),
        ("AUDITGRAPH_DATABASE_URL", "sqlite:////proc/nope/audit.db", "cannot open the database", 1),
        ("AUDITGRAPH_IMAGE_ROOTS", "/tmp", "configuration error", 2),
        ("AUDITGRAPH_CONFIDENCE_BAR", "2", "configuration error", 2),
    ],
)
def test_configuration_problems_get_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str, code: int
) -> None:
    monkeypatch.setenv(variable, value)
    result = _invoke("run", str(CASES / "kitchen_knife_set.json"))
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_bundled_data_is_named(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATA_DIR", str(tmp_path))
    result = _invoke("run", str(CASES / "kitchen_knife_set.json"))
    assert result.exit_code == 2
    assert "bundled data missing" in result.output


def test_unknown_queue_is_refused_and_empty_lists_name_the_database(settings: Settings) -> None:
    refused = _invoke("queue", "--queue", "nonexistent")
    assert refused.exit_code == 2
    assert "queues are ip-specialists" in refused.output
    assert "no open escalations in" in _invoke("queue").output
    assert "no runs in" in _invoke("runs").output


def test_model_option_is_checked_before_anything_runs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    bad = _invoke("run", str(CASES / "kitchen_knife_set.json"), "--model", "gpt4")
    assert bad.exit_code == 2 and "use rules or openai:MODEL" in bad.output
    keyless = _invoke("run", str(CASES / "kitchen_knife_set.json"), "--model", "openai:gpt-4o-mini")
    assert keyless.exit_code == 2 and "needs OPENAI_API_KEY" in keyless.output
    assert _runs(settings) == 0


def test_trace_totals_tokens_and_cost_for_a_model_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.openai_server import ScriptedOpenAI, fixed_latency_script

    with ScriptedOpenAI(fixed_latency_script(0.0)).running() as server:
        monkeypatch.setenv("AUDITGRAPH_LLM_BASE_URL", server.url)
        result = _invoke(
            "run", str(CASES / "switchblade_collector.json"), "--model", "openai:gpt-4o-mini", "--json"
        )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["decision"] == "reject"
    trace = _invoke("trace", body["run_id"]).output
    assert "plan attempt 1 (gpt-4o-mini): 1200+80 tokens" in trace
    assert "2 call attempt(s), 2700 tokens in, 200 out, cost $0.000525" in trace


def test_the_command_masks_personal_data_in_its_logs(capsys: pytest.CaptureFixture[str]) -> None:
    from auditgraph.service.cli.common import configure_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging()
    try:
        logging.getLogger("auditgraph.workflows.tracing").error("trace write failed: %s", "mail jo@gmail.com")
        assert (
            capsys.readouterr().err.strip()
            == "ERROR auditgraph.workflows.tracing: trace write failed: mail [email]"
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
