"""Retries: counts, backoff growth, and that only RetryableError is retried."""

from __future__ import annotations

import pytest

from broker_adapters.errors import (
    AuthenticationError,
    ConnectionLostError,
    InvalidOrderError,
    RateLimitError,
    VenueTimeoutError,
)
from broker_adapters.retry import retrying, with_retries


class Flaky:
    def __init__(self, failures: list[Exception], result: str = "ok") -> None:
        self.failures = list(failures)
        self.calls = 0
        self.result = result

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_retries_until_success_with_exponential_backoff() -> None:
    fn = Flaky([ConnectionLostError("x"), RateLimitError("y"), VenueTimeoutError("z")])
    sleep = Sleeps()
    assert await with_retries(fn, attempts=5, base_delay=0.5, max_delay=10, jitter=0,
                              sleep=sleep) == "ok"
    assert fn.calls == 4
    assert sleep.waits == [0.5, 1.0, 2.0]


async def test_delay_is_capped_and_jitter_bounded() -> None:
    fn = Flaky([ConnectionLostError("x")] * 5)
    sleep = Sleeps()
    await with_retries(fn, attempts=6, base_delay=1.0, max_delay=3.0, jitter=0.25, sleep=sleep)
    assert len(sleep.waits) == 5
    for wait, base in zip(sleep.waits, [1.0, 2.0, 3.0, 3.0, 3.0], strict=True):
        assert base <= wait <= base + 0.25


async def test_gives_up_after_attempts_and_reraises_original() -> None:
    err = ConnectionLostError("down", venue="mock")
    fn = Flaky([err] * 10)
    sleep = Sleeps()
    with pytest.raises(ConnectionLostError) as info:
        await with_retries(fn, attempts=3, base_delay=0.1, sleep=sleep)
    assert info.value is err
    assert fn.calls == 3 and len(sleep.waits) == 2


@pytest.mark.parametrize("exc", [InvalidOrderError("bad qty"), AuthenticationError("key"),
                                 ValueError("bug")])
async def test_non_retryable_errors_are_not_retried(exc: Exception) -> None:
    fn = Flaky([exc])
    sleep = Sleeps()
    with pytest.raises(type(exc)):
        await with_retries(fn, attempts=5, sleep=sleep)
    assert fn.calls == 1 and sleep.waits == []


async def test_decorator_form() -> None:
    sleep = Sleeps()
    state = Flaky([RateLimitError("slow down")], result="done")

    @retrying(attempts=3, base_delay=0.2, jitter=0, sleep=sleep)
    async def call(tag: str) -> str:
        return f"{tag}:{await state()}"

    assert await call("a") == "a:done"
    assert state.calls == 2 and sleep.waits == [0.2]


async def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        await with_retries(Flaky([]), attempts=0)
