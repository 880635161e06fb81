"""Replaying a recorded Grok Realtime session: the fake server sends a JSON list of server
events, in order, instead of its scripted answers.

A recording is a JSON array of server events exactly as xAI sends them (`tests/fakes/sessions/`
holds ones written from xAI's documentation; a session captured from the real API can replace
them as is). The replay waits only where the real server answers the client: `session.updated`
is sent once the client's `session.update` arrived, and the first `response.created` once a
`response.create` did. Between other events it waits `gap` seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

SESSIONS_DIR: Final = Path(__file__).parent / "sessions"

#: Recorded event type -> the client event the real server sends it in answer to.
_ANSWERS: Final = {"session.updated": "session.update", "response.created": "response.create"}


def load_recording(name_or_path: str | Path) -> list[dict[str, Any]]:
    """A recording by file name (in `sessions/`) or path; checked to be a list of events."""
    path = Path(name_or_path)
    if not path.is_absolute() and not path.exists():
        path = SESSIONS_DIR / path
    events = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(events, list) or not all(
        isinstance(event, dict) and isinstance(event.get("type"), str) for event in events
    ):
        raise ValueError(f"{path} is not a JSON list of server events")
    return events


async def replay(
    events: list[dict[str, Any]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
    wait_for_client: Callable[[str, int], Awaitable[None]],
    *,
    gap: float = 0.0,
) -> None:
    """Send `events` with `send`; `wait_for_client(kind, count)` returns once the client has
    sent `count` events of type `kind` (the ones a recorded event answers)."""
    answered: dict[str, int] = {}
    for event in events:
        kind = event["type"]
        question = _ANSWERS.get(kind)
        if question is not None and answered.get(kind, 0) == 0:
            await wait_for_client(question, 1)
            answered[kind] = 1
        elif gap:
            await asyncio.sleep(gap)
        await send(event)
