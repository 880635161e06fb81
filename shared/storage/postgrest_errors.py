"""What a failed request to Supabase's REST API becomes: a `StoreError` with one short line
that never contains the key (should a server echo it), or `Conflict` for a unique key."""

from __future__ import annotations

import httpx
from postgrest import APIError

from shared.storage.base import StoreError

#: PostgREST's code for a unique-key violation.
UNIQUE_VIOLATION = "23505"


class Conflict(Exception):
    """An insert collided with a unique key."""


def one_line(text: str, key: str) -> str:
    """The first non-blank line of `text`, at most 300 characters, with `key` masked."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else "no reason given"
    if key:
        line = line.replace(key, "***")
    return line if len(line) <= 300 else line[:297] + "..."


def api_reason(error: APIError, key: str) -> str:
    """PostgREST's code and message for a refused request, as one line."""
    parts = [str(part) for part in (error.code, error.message) if part]
    if not parts and error.details:
        parts.append(str(error.details))
    return one_line(" ".join(parts) or "unknown error", key)


def refused(error: APIError, key: str) -> StoreError:
    """The `StoreError` of a request PostgREST refused."""
    return StoreError(f"Supabase refused the request: {api_reason(error, key)}")


def transport_error(error: httpx.HTTPError | OSError, key: str) -> StoreError:
    """The `StoreError` of a request that timed out, could not connect, or failed on the way."""
    if isinstance(error, httpx.TimeoutException):
        return StoreError(f"Supabase timed out: {type(error).__name__}")
    name = type(error).__name__
    reason = one_line(f"{name}: {error}" if str(error) else name, key)
    if isinstance(error, httpx.TransportError | OSError):
        return StoreError(f"Supabase unreachable: {reason}")
    return StoreError(f"Supabase request failed: {reason}")
