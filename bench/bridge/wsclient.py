"""A minimal RFC 6455 client on a raw asyncio protocol: masked text frames out, frames parsed
in place, no task per connection."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import random
import socket
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

try:
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pure-Python fallback

    def _apply_mask(data: bytes, mask: bytes) -> bytes:
        n = len(data)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WsClient(asyncio.Protocol):
    """RFC 6455 client on a raw transport: text frames out (masked), frames parsed in place."""

    def __init__(self, url: str, headers: dict[str, str], on_text: Callable[[bytes], None]):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._target = parts.path + (f"?{parts.query}" if parts.query else "")
        self._headers = headers
        self._on_text = on_text
        self._key = base64.b64encode(os.urandom(16)).decode()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._open = False
        self._fragments: bytearray | None = None
        self._mask_bytes = random.Random().randbytes

    async def connect(self, within: float = 10.0) -> None:
        """Open the TCP connection and complete the opening handshake."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            await loop.create_connection(lambda: self, self.host, self.port)
            await self.opened

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [
            f"GET {self._target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in self._headers.items()),
        ]
        self._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[: end + 4]
            accept = base64.b64encode(hashlib.sha1(self._key.encode() + WS_GUID).digest())
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head)
            }
            if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != (
                accept.decode()
            ):
                self.opened.set_exception(ConnectionError(f"handshake refused: {head[0]}"))
                assert self._transport is not None
                self._transport.close()
                return
            self._open = True
            self.opened.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buffer = self._buffer
        size = len(buffer)
        pos = 0
        while size - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = (buffer[pos + 2] << 8) | buffer[pos + 3], 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            end = pos + header + length
            if end > size:
                break
            payload = bytes(buffer[pos + header : end])
            pos = end
            opcode, fin = first & 0x0F, first & 0x80
            if opcode == 1 and fin:
                self._on_text(payload)
            elif opcode in (0, 1, 2):
                self._fragments = (self._fragments or bytearray()) + payload
                if fin:
                    message, self._fragments = bytes(self._fragments), None
                    self._on_text(message)
            elif opcode == 9:  # ping
                self._write(payload, 0xA)
            elif opcode == 8:  # close: answer it and let the server close the connection
                self._write(payload[:2], 0x8)
        if pos:
            del buffer[:pos]

    def _write(self, payload: bytes, opcode: int) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        size = len(payload)
        if size < 126:
            header = bytes((0x80 | opcode, 0x80 | size))
        elif size < 65536:
            header = bytes((0x80 | opcode, 0xFE)) + size.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0xFF)) + size.to_bytes(8, "big")
        mask = self._mask_bytes(4)
        transport.write(header + mask + _apply_mask(payload, mask))

    def send_text(self, text: str) -> None:
        """Send one text message (ASCII)."""
        self._write(text.encode("ascii"), 0x1)

    async def close(self, within: float = 2.0) -> None:
        """Send a close frame, wait for the server to close, then drop the connection."""
        self._write((1000).to_bytes(2, "big"), 0x8)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.closed
        if self._transport is not None:
            self._transport.close()
