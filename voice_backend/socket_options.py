"""TCP options the voice service's WebSockets set on their sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket


def no_quick_ack(transport: asyncio.BaseTransport) -> None:
    """Undo picows' TCP_QUICKACK: every message in would be acknowledged by a packet of its own;
    with delayed acknowledgements they ride on the next message out (TCP_NODELAY stays on,
    so nothing waits for them)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
