"""The opening handshake of the voice service's WebSocket protocol (`websocket_protocol`): the
ASGI scope of an upgrade request, uvicorn's refusals, and the picows protocol that takes the
socket over once the app accepts.

websockets' sans-I/O `ServerProtocol` checks the upgrade request, as uvicorn's own WebSocket
protocols do; what is built here is what the app sees of it, and what answers it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final
from urllib.parse import unquote

import picows
from picows.picows import WSProtocol  # type: ignore[attr-defined]
from uvicorn.config import Config
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from websockets.http11 import Request

#: picows logs every accepted connection at INFO; the access line says it once already.
FRAMES_LOG: Final = logging.getLogger("voice_backend.websocket_protocol.picows")
FRAMES_LOG.setLevel(logging.WARNING)

#: The app closed before accepting: the upgrade is refused.
FORBIDDEN: Final = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
#: The app failed, or returned, before accepting.
SERVER_ERROR: Final = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error"
)


def websocket_scope(
    config: Config,
    transport: asyncio.Transport,
    request: Request,
    app_state: dict[str, Any],
    extensions: dict[str, Any],
) -> dict[str, Any]:
    """The ASGI `websocket` scope of a valid upgrade `request` on `transport`."""
    path, _, query = request.path.partition("?")
    root = config.root_path
    return {
        "type": "websocket",
        "asgi": {"version": config.asgi_version, "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if is_ssl(transport) else "ws",
        "server": get_local_addr(transport),
        "client": get_remote_addr(transport),
        "root_path": root,
        "path": root + unquote(path),
        "raw_path": root.encode("ascii") + path.encode("ascii"),
        "query_string": query.encode("ascii"),
        "headers": [
            (name.lower().encode("ascii"), value.encode("latin-1"))
            for name, value in request.headers.raw_items()
        ],
        "subprotocols": [
            part.strip()
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for part in header.split(",")
        ],
        "state": app_state.copy(),
        "extensions": extensions,
    }


def picows_protocol(
    config: Config, accept: dict[str, Any], listener: picows.WSListener, request_bytes: int
) -> Any:
    """The picows server-side protocol for a connection the app accepted with `accept` (its
    `websocket.accept` message): it answers the upgrade request (`request_bytes` long, fed to
    it next) with 101 and reports frames to `listener`; pings as uvicorn's options say."""
    headers: list[tuple[str, str]] = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in accept.get("headers") or []
    ]
    if accept.get("subprotocol"):
        headers.append(("Sec-WebSocket-Protocol", accept["subprotocol"]))
    response = picows.WSUpgradeResponse.create_101_response(headers or None)
    ping_every = config.ws_ping_interval
    reply_within = config.ws_ping_timeout or ping_every
    return WSProtocol(
        None,  # host and port: a client's
        None,  # path: a client's
        False,  # the server's side
        lambda _request: picows.WSUpgradeResponseWithListener(response, listener),
        FRAMES_LOG,
        True,  # an exception in the listener closes the connection (1011)
        None,  # no handshake timeout: the request is all here
        ping_every is not None,
        ping_every or 20.0,
        min(reply_within or 20.0, ping_every or 20.0),
        picows.WSAutoPingStrategy.PING_WHEN_IDLE,
        True,  # answer pings
        config.ws_max_size,
        None,
        max(4096, request_bytes + 256),
    )
