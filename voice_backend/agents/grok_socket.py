"""The Grok Realtime WebSocket, on picows: compiled framing, and no task switch per frame when
the reader is waiting.

Frames are queued for `recv` as usual. A `sink` may take them instead, synchronously, in the
callback that read them off the socket, but only while the reader is blocked in `recv` with
nothing queued: then handling the frame at once is exactly what the reader would do next, so
the order of events never changes. The bridge uses it for audio deltas, the one frame a call
gets fifty times a second. Sends are synchronous (picows writes straight to the socket), so
they do not wait for the socket to drain: if Grok stops reading, what it has not taken waits in
memory, and past `MAX_UNSENT_BYTES` the connection counts as failed (it is dropped, and the
reader sees it closed) rather than let the backlog grow without bound.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Final, cast

import picows

from voice_backend.socket_options import no_quick_ack

#: picows logs each connection at INFO; the agent says what matters once.
_LOG: Final = logging.getLogger("voice_backend.agents.grok_socket.picows")
_LOG.setLevel(logging.WARNING)
#: Keep-alive: a ping after this long without a frame; no pong within it closes (as websockets).
PING_SECONDS: Final = 20.0
CLOSE_SECONDS: Final = 2.0
#: Bytes written but not yet taken by the socket past which a stalled Grok fails the session:
#: about a minute of caller audio (μ-law in base64 JSON).
MAX_UNSENT_BYTES: Final = 1 << 20
#: The close reason a stalled connection reports.
STALLED: Final = "Grok stopped reading: unsent data past the limit"

_TEXT: Final = picows.WSMsgType.TEXT
_BINARY: Final = picows.WSMsgType.BINARY
_CONTINUATION: Final = picows.WSMsgType.CONTINUATION
_CLOSE: Final = picows.WSMsgType.CLOSE

logger = logging.getLogger(__name__)


class GrokSocketClosed(Exception):
    """The connection is closed (by either side); `GrokSocket.close_code` says how."""


class GrokSocketRefused(Exception):
    """The server answered the upgrade with an HTTP status other than 101."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


#: Takes one text frame; returns whether it handled it (otherwise it is queued for `recv`).
Sink = Callable[[str], bool]


class GrokSocket(picows.WSListener):
    """One client connection: text frames in order, by `recv` or the `sink`."""

    def __init__(self, max_message_bytes: int) -> None:
        super().__init__()
        self._transport: picows.WSTransport | None = None
        self._queue: deque[str | bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []
        self._fragment_type = picows.WSMsgType.TEXT
        self._max_message_bytes = max_message_bytes
        self._closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.sink: Sink | None = None

    # -- picows callbacks --------------------------------------------------------------------

    def on_ws_connected(self, transport: picows.WSTransport) -> None:
        """The upgrade succeeded."""
        self._transport = transport
        no_quick_ack(transport.underlying_transport)

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        """One frame from Grok."""
        kind = frame.msg_type
        if kind is _TEXT and frame.fin:
            text = frame.get_payload_as_utf8_text()
            sink = self.sink
            if sink is not None and self._waiter is not None and not self._queue and sink(text):
                return
            self._push(text)
        elif kind is _BINARY and frame.fin:
            self._push(frame.get_payload_as_bytes())
        elif kind is _TEXT or kind is _BINARY:
            self._fragment_type = kind
            self._fragments = [frame.get_payload_as_bytes()]
        elif kind is _CONTINUATION:
            self._fragments.append(frame.get_payload_as_bytes())
            if sum(len(part) for part in self._fragments) > self._max_message_bytes:
                self._fragments = []
                transport.send_close(picows.WSCloseCode.MESSAGE_TOO_BIG)
                transport.disconnect()
            elif frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                text_type = self._fragment_type is _TEXT
                self._push(data.decode() if text_type else data)
        elif kind is _CLOSE:
            if self.close_code is None:
                self.close_code = cast(int, frame.get_close_code()) or 1005
                self.close_reason = frame.get_close_reason()
            transport.send_close(picows.WSCloseCode.OK)  # nothing after a close already sent
            transport.disconnect()

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        """The TCP connection is gone."""
        self._closed = True
        if self.close_code is None:
            self.close_code = 1006
        self._wake()

    # -- the agent's side --------------------------------------------------------------------

    async def recv(self) -> str | bytes:
        """The next message; `GrokSocketClosed` once the connection is closed and drained."""
        while not self._queue:
            if self._closed:
                raise GrokSocketClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def send(self, text: str) -> None:
        """Send a text frame now; `GrokSocketClosed` if the connection is closed, or once more
        than `MAX_UNSENT_BYTES` wait unsent (then the connection is dropped as failed)."""
        transport = self._transport
        if self._closed or transport is None or transport.is_close_frame_sent:
            raise GrokSocketClosed
        if transport.underlying_transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            self._stalled(transport)
            raise GrokSocketClosed
        transport.send(_TEXT, text.encode())

    @property
    def unsent_bytes(self) -> int:
        """Bytes written to the connection that the socket has not taken yet."""
        transport = self._transport
        if transport is None or self._closed:
            return 0
        return int(transport.underlying_transport.get_write_buffer_size())

    def _stalled(self, transport: picows.WSTransport) -> None:
        """Grok stopped taking our data: drop the connection now (a graceful close would wait
        for the backlog to drain), so the reader reports the session lost."""
        logger.warning(
            "Grok stopped reading: over %d bytes unsent, dropping the connection", MAX_UNSENT_BYTES
        )
        self._closed = True
        if self.close_code is None:
            self.close_code = 1006
            self.close_reason = STALLED
        transport.disconnect(graceful=False)
        self._wake()

    async def close(self) -> None:
        """Close (1000) and wait briefly for the server's close; safe to call again."""
        transport = self._transport
        if transport is None or self._closed:
            return
        transport.send_close(picows.WSCloseCode.OK)
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await transport.wait_disconnected()
        except TimeoutError:
            transport.disconnect(graceful=False)

    def _push(self, message: str | bytes) -> None:
        self._queue.append(message)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def connect(
    url: str, headers: dict[str, str], open_seconds: float, max_message_bytes: int
) -> GrokSocket:
    """Open a `GrokSocket`; `GrokSocketRefused` for an HTTP status, `TimeoutError` past
    `open_seconds`, `OSError` or `picows.WSError` when the server cannot be reached or spoken to.
    The environment's proxy settings apply, as they did with websockets."""
    async with asyncio.timeout(open_seconds):
        try:
            _transport, listener = await picows.ws_connect(
                lambda: GrokSocket(max_message_bytes),
                url,
                websocket_handshake_timeout=open_seconds,
                logger_name=_LOG,
                enable_auto_ping=True,
                auto_ping_idle_timeout=PING_SECONDS,
                auto_ping_reply_timeout=PING_SECONDS,
                max_frame_size=max_message_bytes,
                extra_headers=headers,
                proxy=_proxy_for(url),
            )
        except picows.WSHandshakeError as error:
            if error.response is not None and error.response.status != 101:
                raise GrokSocketRefused(int(error.response.status)) from None
            raise
    assert isinstance(listener, GrokSocket)
    return listener


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (`wss_proxy`/`https_proxy`, `no_proxy`)."""
    secure = url.startswith("wss:")
    proxies = urllib.request.getproxies()
    proxy = proxies.get("wss" if secure else "ws") or proxies.get("https" if secure else "http")
    host = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    if proxy is None or urllib.request.proxy_bypass(host.rsplit(":", 1)[0]):
        return None
    return proxy
