"""Retried backend calls: the one retry policy (`store.retry`), so attempts never multiply
across layers, with the attempts counted and the last error named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

from tenacity import RetryError

from auditgraph.store.retry import retrying

__all__ = ["Attempted", "BackendUnavailable", "call_with_retry", "first_line"]

T = TypeVar("T")


class BackendUnavailable(RuntimeError):
    """A backend failed in a way a retry might fix (locked, timed out, connection lost)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an error's message, at most `limit` characters.

    Driver and client errors carry the SQL, its parameters or a response body on later
    lines: a record keeps the first.
    """
    return (str(exc).splitlines() or [""])[0][:limit]


class Attempted(NamedTuple, Generic[T]):
    """A backend's answer and how many attempts it took."""

    value: T
    attempts: int


def call_with_retry(
    fn: Callable[[], T],
    *,
    retry_on: tuple[type[BaseException], ...],
    attempts: int = 3,
    max_wait: float = 0.5,
) -> Attempted[T]:
    """Call `fn`, retrying `retry_on` errors with exponential backoff and jitter.

    Returns:
        The value and the number of attempts used.

    Raises:
        BackendUnavailable: when every attempt failed; the message names the last error.
    """
    policy = retrying(retry_on=retry_on, attempts=attempts, max_wait=max_wait, reraise=False)
    try:
        value = policy(fn)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise BackendUnavailable(
            f"{type(last).__name__}: {first_line(last)} (after {attempts} attempts)"  # type: ignore[arg-type]
        ) from last
    return Attempted(value, policy.statistics.get("attempt_number", 1))
