"""Hostile input on the HTTP API: path ids, query filters, headers and bodies.

Properties (hypothesis) over a real server on 127.0.0.1 check the API's promises: every
answer is documented and never a 5xx, every refusal is a problem details body with no
traceback, and nothing a caller sends becomes markup or changes who is acting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import load_case
from tests.service.api.conftest import Server, server_fixture

SETTINGS = hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "'; DROP TABLE run; --",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "<script>alert(1)</script>",
    "\u202eevil",
    "../../etc/passwd",
    "%00",
    "run_" + "a" * 5000,
    "{{7*7}}",
    "${jndi:ldap://x}",
]
text = st.one_of(st.text(max_size=80), st.sampled_from(NASTY))
json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


api = server_fixture("hostile-api")


@pytest.fixture(scope="module")
def ops(api: Server) -> Iterator[httpx.Client]:
    with api.client("ops") as client:
        yield client


def _refused_clearly(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), response.headers
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"]
        assert "Traceback" not in response.text and 'File "' not in response.text


@SETTINGS
@given(run_id=text)
def test_any_path_id_is_refused_clearly(api: Server, ops: httpx.Client, run_id: str) -> None:
    for suffix in ("", "/trace", "/statement-of-reasons"):
        response = ops.get(f"/v1/runs/{quote(run_id, safe='')}{suffix}")
        _refused_clearly(response, {404, 422})


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "status",
                "decision",
                "queue",
                "area",
                "case_kind",
                "seller",
                "since",
                "until",
                "cursor",
                "limit",
            ]
        ),
        text,
        min_size=1,
        max_size=4,
    )
)
def test_any_query_filter_is_answered_or_refused_clearly(
    api: Server, ops: httpx.Client, params: dict
) -> None:
    _refused_clearly(ops.get("/v1/runs", params=params), {200, 422})
    _refused_clearly(ops.get("/v1/escalations", params=params), {200, 422})


latin1 = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=300
).map(str.strip)  # HTTP has no leading or trailing blanks in a header value


@SETTINGS
@given(key=latin1, authorization=latin1)
def test_any_header_is_refused_clearly(api: Server, key: str, authorization: str) -> None:
    with api.client() as client:
        response = client.get("/v1/runs", headers={"Authorization": authorization.encode("latin-1")})
        _refused_clearly(response, {401})
    with api.client("ops") as client:
        case = load_case("kitchen_knife_set")
        case["case_id"] = "hostile-header"
        response = client.post("/v1/cases", json=case, headers={"Idempotency-Key": key.encode("latin-1")})
        _refused_clearly(response, {200, 201, 202, 409, 422})


@SETTINGS
@given(body=json_like)
def test_any_json_body_is_a_case_or_a_422(api: Server, ops: httpx.Client, body: Any) -> None:
    response = ops.post("/v1/cases", json=body)
    _refused_clearly(response, {200, 201, 202, 409, 422})


@SETTINGS
@given(body=st.binary(max_size=400))
def test_any_bytes_are_refused_clearly(api: Server, ops: httpx.Client, body: bytes) -> None:
    response = ops.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    _refused_clearly(response, {200, 201, 202, 409, 422})


@SETTINGS
@given(body=json_like)
def test_any_review_body_is_refused_clearly(api: Server, body: Any) -> None:
    with api.client("reviewer") as client:
        response = client.post("/v1/runs/run_0123456789abcdef/review", json=body)
    _refused_clearly(response, {404, 422})


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_numbers_are_refused(api: Server, ops: httpx.Client, constant: bytes) -> None:
    case = json.dumps(load_case("kitchen_knife_set")).encode()
    body = case.replace(b'"price": ', b'"price": ' + constant + b', "was": ', 1)
    response = ops.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    _refused_clearly(response, {422})
    assert constant.decode() in response.json()["detail"]


def test_markup_in_a_case_comes_back_as_json_data(api: Server, ops: httpx.Client) -> None:
    case = load_case("kitchen_knife_set")
    case["case_id"] = "hostile-markup"
    case["listing"]["title"] = '<script>alert("x")</script> Chef knife'
    response = ops.post("/v1/cases", json=case, params={"wait": "true"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    trace = ops.get(f"/v1/runs/{response.json()['run']['run_id']}/trace")
    assert trace.headers["content-type"] == "application/json"
    # The title is data in a JSON string, exactly as the seller wrote it.
    assert '<script>alert(\\"x\\")</script> Chef knife' in trace.text
    assert json.loads(trace.text)["run"]["case_id"] == "hostile-markup"
