"""The call's side of Twilio's media-stream WebSocket: text frames in, text frames out.

Media Streams sends text only, so a binary frame is a malformed message; what the bridge sends
(media, its mark, a clear) goes out in order, never interleaved with another task's frames.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from voice_backend.twilio import media as wire


class TwilioSocket:
    """One accepted `/media-stream` WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket
        self._send_lock = asyncio.Lock()

    async def receive(self) -> str:
        """The next text frame; `WebSocketDisconnect` when Twilio closed the stream."""
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise wire.MalformedMessage("binary frame")
        return str(text)

    async def send(self, *texts: str) -> None:
        """Send text frames in order, none interleaved with another task's; a closed socket
        drops them."""
        if self._ws.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            try:
                for text in texts:
                    await self._ws.send({"type": "websocket.send", "text": text})
            except (WebSocketDisconnect, RuntimeError):
                pass

    async def close(self, code: int = 1000) -> None:
        """Close the socket if it is still open."""
        if self._ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self._ws.close(code=code)
