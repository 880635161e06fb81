"""The calls running in this process: their bridges by call SID, and the call tokens used."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from voice_backend.call.outcome import EndReason


class RunningCall(Protocol):
    """What the registry's users may do to a running call: end it."""

    def end(self, reason: EndReason, detail: str | None = None) -> None:
        """End the call (idempotent: the first reason wins)."""


class ActiveCalls:
    """The bridges running in this process, by call SID, and the call tokens already used."""

    def __init__(self, token_memory_seconds: float = 3600.0) -> None:
        self._bridges: dict[str, RunningCall] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._used_tokens: dict[str, float] = {}
        self._token_memory = token_memory_seconds

    def add(self, call_sid: str, bridge: RunningCall) -> None:
        """`bridge` now serves `call_sid`."""
        self._bridges[call_sid] = bridge
        self._idle.clear()

    def remove(self, call_sid: str, bridge: RunningCall) -> None:
        """`bridge` is done with `call_sid` (a newer bridge for it is left in place)."""
        if self._bridges.get(call_sid) is bridge:
            del self._bridges[call_sid]
        if not self._bridges:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Until no bridge runs."""
        await self._idle.wait()

    def get(self, call_sid: str) -> RunningCall | None:
        """The bridge serving `call_sid`, if it runs here."""
        return self._bridges.get(call_sid)

    def all(self) -> list[RunningCall]:
        """Every running bridge."""
        return list(self._bridges.values())

    def claim_token(self, token: str) -> bool:
        """`True` the first time a token is presented; a replay gets `False`."""
        now = time.monotonic()
        for old, seen in list(self._used_tokens.items()):
            if now - seen > self._token_memory:
                del self._used_tokens[old]
        if token in self._used_tokens:
            return False
        self._used_tokens[token] = now
        return True
