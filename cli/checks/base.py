"""What a preflight check is: a name, and a coroutine that says what it confirmed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """How a check ended."""

    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class Result:
    """A check's verdict and the one line that explains it."""

    verdict: Verdict
    detail: str


class CheckFailed(Exception):
    """The check found something wrong; the message is one line saying what and what to do."""


@dataclass(frozen=True)
class Check:
    """One preflight check: `run` returns the detail of a pass, or raises `CheckFailed`."""

    name: str
    run: Callable[[], Awaitable[str]] | None
    #: Why the check does not apply (set instead of `run`).
    skipped_because: str | None = None

    async def result(self, seconds: float) -> Result:
        """Run the check within `seconds`; any failure becomes one line."""
        if self.run is None:
            return Result(Verdict.SKIP, self.skipped_because or "not applicable")
        try:
            async with asyncio.timeout(seconds):
                return Result(Verdict.OK, await self.run())
        except CheckFailed as error:
            return Result(Verdict.FAIL, str(error))
        except TimeoutError:
            return Result(Verdict.FAIL, f"no answer within {seconds:g} s")
        except Exception as error:  # an unexpected failure is still one line, not a traceback
            return Result(Verdict.FAIL, f"{type(error).__name__}: {error}")
