"""The one retry policy every backend uses (tenacity): attempts counted, last error named."""

from __future__ import annotations

import pytest

from auditgraph.tools.retry import Attempted, BackendUnavailable, call_with_retry


class Flaky:
    """Fails with `error` for the first `failures` calls, then returns "done"."""

    def __init__(self, failures: int, error: type[Exception] = TimeoutError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return "done"


def test_first_success_takes_one_attempt() -> None:
    assert call_with_retry(Flaky(0), retry_on=(TimeoutError,)) == Attempted("done", 1)


def test_fails_twice_then_succeeds_on_the_third_attempt() -> None:
    fn = Flaky(2)
    result = call_with_retry(fn, retry_on=(TimeoutError,), max_wait=0.01)
    assert result.value == "done"
    assert result.attempts == 3
    assert fn.calls == 3


def test_always_failing_raises_backend_unavailable_naming_the_last_error() -> None:
    fn = Flaky(99)
    with pytest.raises(BackendUnavailable) as info:
        call_with_retry(fn, retry_on=(TimeoutError,), attempts=3, max_wait=0.01)
    assert str(info.value) == "TimeoutError: failure 3 (after 3 attempts)"
    assert isinstance(info.value.__cause__, TimeoutError)
    assert fn.calls == 3


def test_other_errors_are_not_retried() -> None:
    fn = Flaky(99, error=KeyError)
    with pytest.raises(KeyError):
        call_with_retry(fn, retry_on=(TimeoutError,), max_wait=0.01)
    assert fn.calls == 1
