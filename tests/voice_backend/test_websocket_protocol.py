"""The voice service's WebSocket protocol (picows framing under uvicorn), spoken to by an
independent client (websockets) as Twilio would: the same ASGI behaviour as uvicorn's own
implementation, plus the direct path the bridge uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode

from tests.support.servers import VOICE_WS, serve
from voice_backend.websocket_protocol import DIRECT, PicowsProtocol

#: What the app saw, per test.
SEEN: list[object] = []


async def echo(websocket: WebSocket) -> None:
    """Echo text as `echo:<text>`, bytes as they came; `bye` closes with 4001."""
    if websocket.query_params.get("refuse"):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                SEEN.append(("disconnect", message.get("code")))
                return
            if message.get("text") == "bye":
                await websocket.close(code=4001, reason="done")
                return
            if message.get("text") is not None:
                await websocket.send_text("echo:" + message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect as gone:
        SEEN.append(("disconnect", gone.code))


async def direct(websocket: WebSocket) -> None:
    """The bridge's way: a handler takes `fast:` messages in the socket callback; the rest
    arrive through `receive`; replies go out with `send_text` (one message, or two in one
    write)."""
    await websocket.accept()
    connection = websocket.scope["extensions"][DIRECT]["connection"]
    assert isinstance(connection, PicowsProtocol)

    def take(text: str) -> bool:
        if not text.startswith("fast:"):
            return False
        connection.send_text(f"took {text}", "and a mark")
        connection.send_text("then one")
        connection.send_text("and", "more")
        return True

    connection.text_handler = take
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"slow {text}")
    except WebSocketDisconnect:
        return


@pytest.fixture
async def url() -> AsyncIterator[str]:
    SEEN.clear()
    app = Starlette(routes=[WebSocketRoute("/echo", echo), WebSocketRoute("/direct", direct)])
    async with serve(app, lifespan="off", ws=VOICE_WS) as base:
        yield base.replace("http", "ws", 1)


async def _recv(ws: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), 5)


async def _client(url: str) -> ClientConnection:
    return await connect(url, compression=None, ping_interval=None)


async def test_text_binary_and_fragmented_messages_arrive_whole(url: str) -> None:
    async with await _client(url + "/echo") as ws:
        await ws.send("hello")
        assert await _recv(ws) == "echo:hello"
        await ws.send(["frag", "men", "ted"])  # three frames, one message
        assert await _recv(ws) == "echo:fragmented"
        big = "x" * 70_000  # a 64-bit length header
        await ws.send(big)
        assert await _recv(ws) == "echo:" + big
        await ws.send(b"\x00\x01\xff")
        assert await _recv(ws) == b"\x00\x01\xff"
        assert await asyncio.wait_for(await ws.ping(b"are you there"), 5) >= 0


async def test_an_app_close_reaches_the_client_with_its_code(url: str) -> None:
    async with await _client(url + "/echo") as ws:
        await ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            await _recv(ws)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "done")


async def test_a_client_close_reaches_the_app_with_its_code(url: str) -> None:
    async with await _client(url + "/echo") as ws:
        await ws.send("hi")
        await _recv(ws)
        await ws.close(code=4002)
    for _ in range(100):
        if SEEN:
            break
        await asyncio.sleep(0.01)
    assert SEEN == [("disconnect", 4002)]


async def test_closing_before_accepting_refuses_the_upgrade_with_403(url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await _client(url + "/echo?refuse=1")
    assert refused.value.response.status_code == 403


async def test_invalid_utf8_closes_with_1007(url: str) -> None:
    async with await _client(url + "/echo") as ws:
        _send_raw(ws, Frame(Opcode.TEXT, b"\xff\xfe"))
        with pytest.raises(ConnectionClosed) as closed:
            await _recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007


def _send_raw(ws: ClientConnection, frame: Frame) -> None:
    """A frame as it is, past the client's own checks (it would not send invalid UTF-8)."""
    ws.protocol.send_frame(frame)
    ws.send_data()


async def test_the_direct_path_keeps_the_order_and_writes_at_once(url: str) -> None:
    async with await _client(url + "/direct") as ws:
        await ws.send("one")
        assert await _recv(ws) == "slow one"
        await ws.send("fast:two")
        replies = [await _recv(ws) for _ in range(5)]
        assert replies == ["took fast:two", "and a mark", "then one", "and", "more"]
        # Back to back: "fast:four" may arrive while "three" is still queued for the app, and
        # then waits its turn behind it (the handler never jumps the queue).
        await ws.send("three")
        await ws.send("fast:four")
        assert await _recv(ws) == "slow three"
        assert await _recv(ws) in ("slow fast:four", "took fast:four")


async def test_a_server_shutdown_closes_open_streams_with_1012() -> None:
    app = Starlette(routes=[WebSocketRoute("/echo", echo)])
    async with serve(app, lifespan="off", ws=VOICE_WS) as base:
        ws = await _client(base.replace("http", "ws", 1) + "/echo")
        await ws.send("hi")
        assert await _recv(ws) == "echo:hi"
    with pytest.raises(ConnectionClosed) as closed:
        await _recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
