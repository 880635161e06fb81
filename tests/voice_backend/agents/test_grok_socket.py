"""GrokSocket against a Grok that stops reading: a real WebSocket server on loopback whose
handler never reads after the session is set up, so what we send backs up in our memory."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve

from voice_backend.agents.base import AgentFailed
from voice_backend.agents.grok import GrokAgent
from voice_backend.agents.grok_socket import (
    MAX_UNSENT_BYTES,
    STALLED,
    GrokSocketClosed,
    connect,
)

#: One message of about a second of μ-law in base64 JSON (a large append).
CHUNK = json.dumps(
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\xff" * 8000).decode()}
)


def _staller(release: asyncio.Event) -> Callable[[ServerConnection], Awaitable[None]]:
    async def stall(ws: ServerConnection) -> None:
        """Confirm the session when asked (if asked), then never read again until released."""
        if ws.request is not None and ws.request.path.endswith("model=confirm"):
            await ws.recv()  # session.update
            await ws.send(json.dumps({"type": "session.updated", "session": {}}))
        await release.wait()

    return stall


@pytest.fixture
async def stalled_grok() -> AsyncIterator[str]:
    """A loopback WebSocket server that stops reading; small kernel buffers keep it quick."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    release = asyncio.Event()
    # max_queue=1: the library itself stops reading the socket once one message waits.
    async with serve(
        _staller(release), sock=sock, max_queue=1, compression=None, close_timeout=0.1
    ):
        yield f"ws://127.0.0.1:{port}/v1/realtime?model="
        release.set()


async def test_a_grok_that_stops_reading_fails_the_connection_within_the_cap(
    stalled_grok: str,
) -> None:
    ws = await connect(stalled_grok + "stall", {}, 5.0, 1 << 24)
    reader = asyncio.create_task(ws.recv())
    peak = 0
    refused = False
    for _ in range(10 * MAX_UNSENT_BYTES // len(CHUNK)):
        try:
            ws.send(CHUNK)
        except GrokSocketClosed:
            refused = True
            break
        peak = max(peak, ws.unsent_bytes)
        await asyncio.sleep(0)  # let the loop flush what the socket will take
    assert refused, "the sender kept queueing for a server that never reads"
    # Never more than the cap plus the one message that crossed it (and its frame header).
    assert MAX_UNSENT_BYTES < peak <= MAX_UNSENT_BYTES + len(CHUNK) + 16
    with pytest.raises(GrokSocketClosed):
        await asyncio.wait_for(reader, 2.0)
    assert ws.close_code == 1006 and ws.close_reason == STALLED
    with pytest.raises(GrokSocketClosed):
        ws.send(CHUNK)  # still closed: nothing more is queued


async def test_the_call_sees_the_grok_session_fail_when_grok_stops_reading(
    stalled_grok: str, caplog: pytest.LogCaptureFixture
) -> None:
    agent = GrokAgent(stalled_grok + "confirm", "xai-secret-key", "Rex", "instructions")
    await agent.start()
    events = agent.events()
    failed = asyncio.create_task(anext(events))
    frame = base64.b64encode(b"\xff" * 160).decode()  # one 20 ms Twilio frame
    sent = 0
    while not failed.done() and sent < 20 * MAX_UNSENT_BYTES // len(frame):
        for _ in range(500):
            agent.send_audio_b64_now(frame)  # never raises: the reader reports the loss
        sent += 500
        await asyncio.sleep(0)
    event = await asyncio.wait_for(failed, 2.0)
    assert isinstance(event, AgentFailed)
    assert STALLED in event.message
    # One warning however many sends came after, and no secret in any line.
    stalls = [
        r for r in caplog.records if r.name.endswith("grok_socket") and r.levelname == "WARNING"
    ]
    assert len(stalls) == 1
    assert all("xai-secret-key" not in r.getMessage() for r in caplog.records)
    await agent.close()
