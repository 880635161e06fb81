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

from picows.websockets.asyncio.client import ClientConnection, connect
from picows.websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from shared.settings import AudioFormat
from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import AgentError
from voice_backend.agents.grok_errors import ErrorKind, classify

logger = logging.getLogger(__name__)

#: The wire format of each audio format setting.
WIRE_FORMATS: Final = {AudioFormat.PCMU: wire.PCMU, AudioFormat.PCM24K: wire.PCM24K}
_CLOSE_TIMEOUT_SECONDS: Final = 2.0
#: Audio deltas are small, but one oversized frame must not kill a live call.
_MAX_FRAME_BYTES: Final = 16 * 1024 * 1024


async def open_connection(url: str, api_key: str, open_seconds: float) -> ClientConnection:
    """Connect to Grok Realtime at `url` (the key goes in the Bearer header only).

    Raises `AgentError` when Grok refuses (an HTTP status), does not answer within
    `open_seconds`, or cannot be reached.
    """
    try:
        return await connect(
            url,
            additional_headers={"Authorization": f"Bearer {api_key}"},
            open_timeout=open_seconds,
            close_timeout=_CLOSE_TIMEOUT_SECONDS,
            max_size=_MAX_FRAME_BYTES,
            # Base64 audio barely compresses; deflate would only cost CPU on every frame.
            compression=None,
        )
    except InvalidStatus as error:
        status = error.response.status_code
        hint = " (check XAI_API_KEY)" if status in (401, 403) else ""
        raise AgentError(f"Grok Realtime refused the connection: HTTP {status}{hint}") from None
    except TimeoutError:
        raise AgentError(f"Grok Realtime did not answer within {open_seconds:g} s") from None
    except (OSError, InvalidHandshake, InvalidURI) as error:
        raise AgentError(f"cannot reach Grok Realtime: {error}") from None


async def await_confirmation(
    ws: ClientConnection,
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
                except ConnectionClosed:
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


def close_description(ws: ClientConnection) -> str:
    """How the server closed `ws`: its close code and reason."""
    code = ws.close_code if ws.close_code is not None else 1006
    reason = ws.close_reason or ""
    return f"code {code}: {reason}" if reason else f"code {code}"


def _describe(fmt: wire.WireFormat | None) -> str:
    return fmt.describe() if fmt is not None else "(none)"
