"""The preflight checks `haggle check` runs before the first real call: one outside system
per module (`twilio`, `grok`), each check a coroutine that returns a `Result` or raises
`CheckFailed` with one line saying what is wrong."""

from cli.checks.base import Check, CheckFailed, Result

__all__ = ["Check", "CheckFailed", "Result"]
