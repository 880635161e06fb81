"""Per-client limits of one API process: a request rate per credential, and open live streams
per account. Several API instances each apply them (the rate is then per instance)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class RateLimiter:
    """A token bucket per key: `per_minute` requests a minute, in bursts of up to that many."""

    def __init__(self, per_minute: int) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Spend one request of `key`; 0 if allowed, else the seconds until one is."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle clients (their buckets are full)
            self._buckets = {
                name: (level, seen)
                for name, (level, seen) in self._buckets.items()
                if now - seen < self._burst / self._rate
            }
        return 0.0


class TooMany(Exception):
    """Past a per-account limit."""


class StreamSlots:
    """Open live streams per account, at most `limit` each."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: dict[str, int] = {}

    @contextmanager
    def hold(self, account: str) -> Iterator[None]:
        """Hold a slot for the block; `TooMany` when the account has none free."""
        if self._open.get(account, 0) >= self._limit:
            raise TooMany(f"at most {self._limit} live streams per account")
        self._open[account] = self._open.get(account, 0) + 1
        try:
            yield
        finally:
            self._open[account] -= 1
            if not self._open[account]:
                del self._open[account]
