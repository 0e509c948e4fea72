"""The retry policy factory every layer builds its retries from (store.retry)."""

from __future__ import annotations

import pytest
from tenacity import RetryError, wait_random_exponential

from auditgraph.store.retry import retrying


class Flaky:
    """Raises `error` on every call, counting them."""

    def __init__(self, error: type[Exception] = TimeoutError) -> None:
        self.error = error
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        raise self.error(f"failure {self.calls}")


def test_defaults_are_three_attempts_of_any_error_then_the_last_error() -> None:
    fn = Flaky(KeyError)
    with pytest.raises(KeyError, match="failure 3"):
        retrying(backoff=0.0)(fn)
    assert fn.calls == 3


def test_only_the_named_errors_are_retried() -> None:
    fn = Flaky(KeyError)
    with pytest.raises(KeyError):
        retrying(retry_on=(TimeoutError,), backoff=0.0)(fn)
    assert fn.calls == 1


def test_without_reraise_the_last_attempt_is_kept_in_a_retry_error() -> None:
    fn = Flaky()
    with pytest.raises(RetryError) as info:
        retrying(retry_on=(TimeoutError,), attempts=2, backoff=0.0, reraise=False)(fn)
    assert fn.calls == 2
    assert str(info.value.last_attempt.exception()) == "failure 2"


def test_waits_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    wait = retrying(backoff=0.02, max_wait=0.5).wait
    assert isinstance(wait, wait_random_exponential)
    assert (wait.multiplier, wait.max) == (0.02, 0.5)
