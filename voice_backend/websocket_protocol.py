"""uvicorn's WebSocket protocol for the voice service: ASGI on the outside, picows' compiled
framing inside.

Twilio's media stream is a WebSocket carrying a 20 ms frame each way per call, so the server's
cost per message is most of the bridge's cost. uvicorn's own implementations parse frames in
Python and pause and resume reading around every message; this one does the opening handshake
as they do (websockets' sans-I/O `ServerProtocol` checks the upgrade, the ASGI app decides),
then hands the socket to `picows`, whose frame parser and writer are compiled, and queues each
message for the app without pausing the socket. The scope, the refusals and the picows protocol
that takes over are built in `websocket_handshake`.

Run it with `uvicorn voice_backend.app:app --ws voice_backend.websocket_protocol:PicowsProtocol`
(docker-compose and `haggle serve voice` do). What the app sees is plain ASGI `websocket`:
`websocket.connect`, `.receive` (text or bytes, fragments joined), `.disconnect` with the peer's
close code; it sends `.accept`, `.send` and `.close`, and a close before accepting refuses the
upgrade with HTTP 403. Pings are answered, and sent on uvicorn's `--ws-ping-interval`.

Beyond ASGI, the scope's extension `DIRECT` (`{"connection": PicowsProtocol}`) lets an app that
knows it skip the message queue on its hot path: `send_text` writes a text message (or two,
in one write) at once, and a `text_handler` takes text messages in the socket's callback while
the app is waiting in `receive` with nothing queued (so the order of messages never changes); a
message the handler declines (False) is queued as usual.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import deque
from collections.abc import Callable
from typing import Any, Final, cast

import picows
from uvicorn.config import Config
from uvicorn.protocols.utils import (
    ClientDisconnected,
    get_client_addr,
    get_path_with_query_string,
)
from uvicorn.server import ServerState
from websockets.http11 import Request
from websockets.server import ServerProtocol

from voice_backend.socket_options import no_quick_ack
from voice_backend.websocket_handshake import (
    FORBIDDEN,
    SERVER_ERROR,
    picows_protocol,
    websocket_scope,
)

logger = logging.getLogger("uvicorn.error")

#: Seconds to wait for the peer's closing frame after ours before dropping the connection.
CLOSE_TIMEOUT: Final = 10.0
#: Messages queued for an app that does not read: reading pauses above this, resumes below half.
INBOX_HIGH: Final = 64

#: The scope extension that gives the app this connection (see the module docstring).
DIRECT: Final = "voice_backend.websocket_protocol"

_TEXT: Final = picows.WSMsgType.TEXT
_BINARY: Final = picows.WSMsgType.BINARY
_CONTINUATION: Final = picows.WSMsgType.CONTINUATION
_CLOSE: Final = picows.WSMsgType.CLOSE


class PicowsProtocol(picows.WSListener, asyncio.Protocol):
    """One WebSocket connection, from the upgrade request uvicorn hands over to the close: the
    asyncio protocol of the handshake, then picows' listener (frames come to `on_ws_frame`
    with no call in between)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__()
        if not config.loaded:
            config.load()
        self.config = config
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.app_state = app_state
        # uvicorn's set of open connections (typed for its own protocols): shutdown closes them.
        self.connections: set[Any] = server_state.connections
        self.tasks = server_state.tasks
        self.transport: asyncio.Transport | None = None
        self.scope: dict[str, Any] = {}
        self._handshake = ServerProtocol(max_size=config.ws_max_size)
        self._request = bytearray()  # the upgrade request (and anything after it), for picows
        self._connected = False  # the request has reached the app
        self._ws: picows.WSTransport | None = None  # set once accepted
        self._close_sent = False
        self._gone = False  # the connection is lost
        self._inbox: deque[dict[str, Any]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._fragments: list[bytes] = []
        self._fragment_type = _TEXT
        self._close_timer: asyncio.TimerHandle | None = None
        #: Takes a text message now (see the module docstring); returns whether it did.
        self.text_handler: Callable[[str], bool] | None = None

    # -- the handshake: uvicorn's transport, this protocol -------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = cast(asyncio.Transport, transport)
        self.connections.add(self)

    def data_received(self, data: bytes) -> None:  # noqa: D102
        self._request += data
        self._handshake.receive_data(data)
        for event in self._handshake.events_received():
            if isinstance(event, Request) and not self._connected:
                self._connect(event)

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        self._lost(1006)

    def eof_received(self) -> None:  # noqa: D102
        pass

    def _connect(self, request: Request) -> None:
        assert self.transport is not None
        self._connected = True
        response = self._handshake.accept(request)
        if response.status_code != 101:  # not a valid upgrade: websockets' answer says why
            self._handshake.send_response(response)
            self.transport.write(b"".join(self._handshake.data_to_send()))
            self.transport.close()
            return
        direct = {DIRECT: {"connection": self}}
        self.scope = websocket_scope(self.config, self.transport, request, self.app_state, direct)
        self._inbox.append({"type": "websocket.connect"})
        task = self.loop.create_task(self._run_asgi())
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def _accept(self, message: dict[str, Any]) -> None:
        """The app accepted: picows answers the upgrade and reads frames from now on."""
        assert self.transport is not None
        protocol = picows_protocol(self.config, message, self, len(self._request))
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        self._ws = protocol.transport  # before the request goes in: frames may follow it
        no_quick_ack(self.transport)
        buffer = protocol.get_buffer(len(self._request))
        buffer[: len(self._request)] = self._request
        protocol.buffer_updated(len(self._request))
        self._request = bytearray()
        logger.info(
            '%s - "WebSocket %s" [accepted]',
            get_client_addr(cast(Any, self.scope)),
            get_path_with_query_string(cast(Any, self.scope)),
        )

    def _refuse(self, raw_response: bytes, status: int) -> None:
        assert self.transport is not None
        self._close_sent = True
        logger.info(
            '%s - "WebSocket %s" %d',
            get_client_addr(cast(Any, self.scope)),
            get_path_with_query_string(cast(Any, self.scope)),
            status,
        )
        self.transport.write(raw_response)
        self.transport.close()
        self._deliver({"type": "websocket.disconnect", "code": 1006})

    # -- the app ---------------------------------------------------------------------------------

    async def _run_asgi(self) -> None:
        try:
            await self.app(self.scope, self._receive, self._send)
        except ClientDisconnected:
            pass
        except BaseException:
            logger.exception("Exception in ASGI application\n")
            if self._ws is None and not self._close_sent:
                self._refuse(SERVER_ERROR, 500)
            elif not self._close_sent:
                self._close(1011, "")
            return
        if self._ws is None and not self._close_sent:
            logger.error("ASGI callable returned without sending handshake.")
            self._refuse(SERVER_ERROR, 500)
        elif not self._close_sent:
            self._close(1000, "")

    async def _receive(self) -> dict[str, Any]:
        inbox = self._inbox
        while not inbox:
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._reading_paused and len(inbox) <= INBOX_HIGH // 2 and self._ws is not None:
            self._reading_paused = False
            self._ws.underlying_transport.resume_reading()
        return inbox.popleft()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        ws = self._ws
        if ws is not None and not self._close_sent:
            if self._gone:
                raise ClientDisconnected
            if kind == "websocket.send":
                text = message.get("text")
                if text is not None:
                    ws.send(_TEXT, text.encode())
                else:
                    ws.send(_BINARY, message["bytes"])
            elif kind == "websocket.close":
                self._close(message.get("code", 1000), message.get("reason") or "")
            else:
                raise RuntimeError(f"Expected 'websocket.send' or 'websocket.close', got {kind!r}")
        elif ws is None and not self._close_sent:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._refuse(FORBIDDEN, 403)
            else:
                raise RuntimeError(
                    f"Expected 'websocket.accept' or 'websocket.close', got {kind!r}"
                )
        elif self._gone and kind == "websocket.send":
            raise ClientDisconnected
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} after sending 'websocket.close'.")

    def send_text(self, text: str, then: str | None = None) -> None:
        """Send a text message now (and `then`, another, in the same write); dropped once
        closing or closed."""
        ws = self._ws
        if ws is None or self._close_sent or self._gone:
            return
        if then is None:
            ws.send(_TEXT, text.encode())
        else:
            ws.underlying_transport.write(_text_frame(text) + _text_frame(then))

    def _deliver(self, message: dict[str, Any]) -> None:
        self._inbox.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if len(self._inbox) > INBOX_HIGH and not self._reading_paused and self._ws is not None:
            self._reading_paused = True
            self._ws.underlying_transport.pause_reading()

    def _close(self, code: int, reason: str) -> None:
        """Send our closing frame; the connection drops at the peer's, or after a while."""
        assert self._ws is not None
        self._close_sent = True
        if not self._gone:
            self._ws.send_close(cast(picows.WSCloseCode, code), reason.encode())
            self._close_timer = self.loop.call_later(CLOSE_TIMEOUT, self._ws.disconnect)
        self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason})

    def _lost(self, code: int) -> None:
        if self._gone:
            return
        self._gone = True
        self.connections.discard(self)
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self._close_sent:
            self._deliver({"type": "websocket.disconnect", "code": code})
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- frames, from picows ----------------------------------------------------------------------

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        """One frame from the peer (picows' listener)."""
        kind = frame.msg_type
        if kind is _TEXT and frame.fin:  # the media stream's every message: `_text`, inlined
            try:
                text = frame.get_payload_as_utf8_text()
            except UnicodeDecodeError:
                self._fail(1007, "invalid UTF-8")
                return
            if self._close_sent:  # past our close, messages are dropped until the peer's
                return
            handler = self.text_handler
            if handler is None or self._waiter is None or self._inbox or not handler(text):
                self._deliver({"type": "websocket.receive", "text": text})
        elif kind is _TEXT or kind is _BINARY:
            if not frame.fin:
                self._fragment_type = kind
                self._fragments = [frame.get_payload_as_bytes()]
            elif not self._close_sent:  # a whole binary message
                self._deliver({"type": "websocket.receive", "bytes": frame.get_payload_as_bytes()})
        elif kind is _CONTINUATION:
            self._fragments.append(frame.get_payload_as_bytes())
            if sum(len(part) for part in self._fragments) > (self.config.ws_max_size or 1 << 62):
                self._fail(1009, "message too big")
            elif frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                if self._fragment_type is _TEXT:
                    try:
                        self._text(data.decode())
                    except UnicodeDecodeError:
                        self._fail(1007, "invalid UTF-8")
                elif not self._close_sent:
                    self._deliver({"type": "websocket.receive", "bytes": data})
        elif kind is _CLOSE:
            self._on_close(cast(int, frame.get_close_code()), frame.get_close_reason())

    def _text(self, text: str) -> None:
        if self._close_sent:  # past our close, messages are dropped until the peer's
            return
        handler = self.text_handler
        if handler is not None and self._waiter is not None and not self._inbox and handler(text):
            return
        self._deliver({"type": "websocket.receive", "text": text})

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        """The connection is gone (picows' listener)."""
        self._lost(1006)

    def _on_close(self, code: int, reason: str) -> None:
        assert self._ws is not None
        if not self._close_sent:
            self._close_sent = True
            self._ws.send_close(cast(picows.WSCloseCode, code or 1000))
            self._deliver({"type": "websocket.disconnect", "code": code or 1005, "reason": reason})
        self._ws.disconnect()

    def _fail(self, code: int, reason: str) -> None:
        if not self._close_sent:
            self._close(code, reason)

    def shutdown(self) -> None:
        """The server is stopping: close with 1012 (service restart)."""
        if self._ws is not None and not self._close_sent and not self._gone:
            self._close(1012, "")
        elif self._ws is None and self.transport is not None:
            self.transport.close()


_MEDIUM: Final = struct.Struct("!BBH").pack
_LARGE: Final = struct.Struct("!BBQ").pack


def _text_frame(text: str) -> bytes:
    """One text message as a WebSocket frame (RFC 6455 5.2: FIN + text opcode, unmasked, as a
    server sends)."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 1 << 16:
        return _MEDIUM(0x81, 126, size) + data
    return _LARGE(0x81, 127, size) + data
