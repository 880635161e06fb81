"""Opening a Grok Realtime session: the WebSocket handshake, the wait for `session.updated`,
and the check that the server took the audio format we asked for.

xAI silently ignores unknown fields and falls back to 24 kHz PCM, which sounds like static on a
phone line. It does not document what `session.updated` echoes, so the check follows what can
be known: a format named there that differs from ours refuses the session before it greets; a
format not named at all is taken as accepted (and said once in the log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import picows

from shared.settings import AudioFormat
from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import AgentError
from voice_backend.agents.grok_errors import ErrorKind, classify
from voice_backend.agents.grok_socket import (
    GrokSocket,
    GrokSocketClosed,
    GrokSocketRefused,
    connect,
)

logger = logging.getLogger(__name__)

#: The wire format of each audio format setting.
WIRE_FORMATS: Final = {AudioFormat.PCMU: wire.PCMU, AudioFormat.PCM24K: wire.PCM24K}
#: Audio deltas are small, but one oversized frame must not kill a live call.
_MAX_FRAME_BYTES: Final = 16 * 1024 * 1024


async def open_connection(url: str, api_key: str, open_seconds: float) -> GrokSocket:
    """Connect to Grok Realtime at `url` (the key goes in the Bearer header only; no
    per-message deflate: base64 audio barely compresses, and it would cost every frame).

    Raises `AgentError` when Grok refuses (an HTTP status), does not answer within
    `open_seconds`, or cannot be reached.
    """
    try:
        return await connect(
            url, {"Authorization": f"Bearer {api_key}"}, open_seconds, _MAX_FRAME_BYTES
        )
    except GrokSocketRefused as error:
        hint = " (check XAI_API_KEY)" if error.status in (401, 403) else ""
        raise AgentError(
            f"Grok Realtime refused the connection: HTTP {error.status}{hint}"
        ) from None
    except TimeoutError:
        raise AgentError(f"Grok Realtime did not answer within {open_seconds:g} s") from None
    except (OSError, picows.WSError, ValueError) as error:
        raise AgentError(f"cannot reach Grok Realtime: {error}") from None


async def await_confirmation(
    ws: GrokSocket,
    confirm_seconds: float,
    on_other: Callable[[wire.ServerEvent], Awaitable[None]],
) -> wire.SessionUpdated:
    """The server's `session.updated`, within `confirm_seconds`.

    Other events that arrive first go to `on_other`. Raises `AgentError` on a timeout, a closed
    connection, or an error that is not a harmless race.
    """
    try:
        async with asyncio.timeout(confirm_seconds):
            while True:
                try:
                    frame = await ws.recv()
                except GrokSocketClosed:
                    raise AgentError(
                        f"Grok closed the connection before confirming the session "
                        f"({close_description(ws)})"
                    ) from None
                event = wire.parse_server_event(frame)
                if isinstance(event, wire.SessionUpdated):
                    return event
                if isinstance(event, wire.ServerError):
                    if classify(event) is ErrorKind.FATAL:
                        raise AgentError(f"Grok rejected the session: {event.describe()}")
                    logger.warning(
                        "Grok error before the session was confirmed: %s", event.describe()
                    )
                    continue
                await on_other(event)
    except TimeoutError:
        raise AgentError(f"Grok did not confirm the session within {confirm_seconds:g} s") from None


def check_formats(asked: wire.WireFormat, confirmed: wire.SessionUpdated) -> bool:
    """Raise `AgentError` if `session.updated` names an input or output format other than the
    one asked for; return whether it named both (False: the server did not say)."""
    named = [fmt for fmt in (confirmed.input_format, confirmed.output_format) if fmt is not None]
    if all(asked.matches(fmt) for fmt in named):
        return len(named) == 2
    raise AgentError(
        f"Grok ignored the audio format: asked for {asked.describe()}, "
        f"got input {_describe(confirmed.input_format)} and "
        f"output {_describe(confirmed.output_format)}"
    )


def close_description(ws: GrokSocket) -> str:
    """How the server closed `ws`: its close code and reason."""
    code = ws.close_code if ws.close_code is not None else 1006
    reason = ws.close_reason or ""
    return f"code {code}: {reason}" if reason else f"code {code}"


def _describe(fmt: wire.WireFormat | None) -> str:
    return fmt.describe() if fmt is not None else "(none)"
