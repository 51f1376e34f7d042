"""The one place venue calls are retried: exponential backoff with jitter, retryable errors only.

Only ``RetryableError`` (timeouts, rate limits, lost connections) is worth another attempt;
retrying an ``OrderFatalError`` would resend a doomed order and retrying a
``SessionFatalError`` would hammer a venue with bad credentials. Built on ``tenacity``; the
sleep is injectable so tests run instantly and deterministically.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from broker_adapters.errors import RetryableError

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
Sleep = Callable[[float], Awaitable[None]]


def _log_retry(state: RetryCallState, name: str) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "retrying %s after attempt %d failed: %s (next in %.2fs)",
        name, state.attempt_number, exc, wait,
    )


async def with_retries(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 10.0,
    jitter: float | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Await ``fn()`` up to ``attempts`` times while it raises ``RetryableError``.

    Delays grow as ``base_delay * 2**n`` capped at ``max_delay``, plus up to ``jitter``
    seconds of randomness (default ``base_delay``) so many clients do not retry in lockstep.
    The last error is re-raised unchanged, so callers see the venue's own exception.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    policy = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=base_delay, max=max_delay, exp_base=2)
        + wait_random(0, base_delay if jitter is None else jitter),
        retry=retry_if_exception_type(RetryableError),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda st: _log_retry(st, getattr(fn, "__qualname__", repr(fn))),
    )

    async def call() -> T:
        # tenacity awaits only what it recognises as a coroutine function; a lambda that
        # returns a coroutine would come back unawaited, so always hand it a real one.
        return await fn()

    return await policy(call)


def retrying(
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 10.0,
    jitter: float | None = None,
    sleep: Sleep | None = None,
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorator form of ``with_retries`` for async methods and functions.

    ``sleep=None`` resolves ``asyncio.sleep`` at call time, so tests may patch it.
    """

    def deco(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return await with_retries(
                lambda: fn(*args, **kwargs), attempts=attempts, base_delay=base_delay,
                max_delay=max_delay, jitter=jitter, sleep=sleep or asyncio.sleep,
            )

        return wrapper

    return deco

