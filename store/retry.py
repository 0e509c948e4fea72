"""The one retry policy (tenacity): a few attempts, exponential backoff with full jitter.

It sits in the store, the bottom layer, because the store retries its own short writes;
the tool backends, the trace recorder and the model client build theirs here too, each
with its own attempts, waits and errors to retry.
"""

from __future__ import annotations

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

__all__ = ["retrying"]


def retrying(
    *,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    attempts: int = 3,
    backoff: float = 0.02,
    max_wait: float = 0.5,
    reraise: bool = True,
) -> Retrying:
    """A tenacity `Retrying` for the project's policy.

    Args:
        retry_on: the errors a later attempt may not repeat; any other error is raised at once.
        attempts: how many attempts in all, the first included.
        backoff: the first wait's scale in seconds; waits grow exponentially, with jitter.
        max_wait: the longest single wait, in seconds.
        reraise: after the last attempt, raise its error (True) or tenacity's `RetryError`.
    """
    return Retrying(
        retry=retry_if_exception_type(retry_on),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=backoff, max=max_wait),
        reraise=reraise,
    )
