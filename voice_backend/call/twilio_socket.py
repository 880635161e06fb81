"""The call's side of Twilio's media-stream WebSocket: text frames in, text frames out.

Media Streams sends text only, so a binary frame is a malformed message; what the bridge sends
(media, its mark, a clear) goes out in order, never interleaved with another task's frames.

On the voice service's own WebSocket protocol (`voice_backend.websocket_protocol`) the socket is
`direct`: sends are written at once (media and its mark in one write), and a handler may take
frames in the socket's callback (`listen`); on any other ASGI server it is plain ASGI.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from voice_backend.twilio import media as wire
from voice_backend.websocket_protocol import DIRECT, PicowsProtocol


class TwilioSocket:
    """One accepted `/media-stream` WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket
        self._send_lock = asyncio.Lock()
        extension = (websocket.scope.get("extensions") or {}).get(DIRECT) or {}
        connection = extension.get("connection")
        self._direct = connection if isinstance(connection, PicowsProtocol) else None

    @property
    def direct(self) -> bool:
        """Whether `writer` and `listen` are available."""
        return self._direct is not None

    async def receive(self) -> str:
        """The next text frame; `WebSocketDisconnect` when Twilio closed the stream."""
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise wire.MalformedMessage("binary frame")
        return str(text)

    def listen(self, handler: Callable[[str], bool] | None) -> None:
        """(`direct` only) Let `handler` take text frames as they arrive while `receive` is
        waiting with nothing queued; a frame it declines (False) comes through `receive`."""
        assert self._direct is not None
        self._direct.text_handler = handler

    def writer(self) -> Callable[[str, str | None], None]:
        """(`direct` only) What sends a text frame now (and a second, if given, in the same
        write; a closed socket drops them), for the frame path to call with no step between:
        the protocol's own `send_text`."""
        assert self._direct is not None
        return self._direct.send_text

    async def send(self, text: str, then: str | None = None) -> None:
        """Send a text frame (and `then`, if given, after it), none interleaved with another
        task's; a closed socket drops them."""
        if self._direct is not None:
            self._direct.send_text(text, then)
            return
        if self._ws.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            try:
                for frame in (text, then):
                    if frame is not None:
                        await self._ws.send({"type": "websocket.send", "text": frame})
            except (WebSocketDisconnect, RuntimeError):
                pass

    async def close(self, code: int = 1000) -> None:
        """Close the socket if it is still open."""
        if self._ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self._ws.close(code=code)
