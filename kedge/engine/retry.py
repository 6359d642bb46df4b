"""Retries of temporary provider errors: exponential backoff with full jitter.

The clock and the random source are arguments so tests never sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kedge.model import TemporaryError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base: float = 0.2  # seconds
    cap: float = 10.0

    def delay(self, attempt: int, hint: float | None, rand: Callable[[], float] = random.random) -> float:
        """Delay before retry number ``attempt`` (1-based): full jitter, at least the server's hint."""
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return float(max(hint or 0.0, ceiling * rand()))


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except TemporaryError as err:
            if attempt >= policy.attempts:
                raise
            sleep(policy.delay(attempt, err.delay, rand))
