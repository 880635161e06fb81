"""A stand-in of the voice service for the Twilio tests: signed webhooks and a scripted
Media Streams socket, recording everything it receives (as the real service would see it).
It reads and writes Media Streams messages with `voice_backend.twilio.media`, as the service
does, and keeps each message's JSON too, for tests that check the wire itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from twilio.twiml.voice_response import Connect, VoiceResponse

from voice_backend.twilio import media as wire
from voice_backend.twilio.signatures import TwilioSignatures


class ServerStream:
    """The service's end of one media stream, as the stand-in sees it."""

    def __init__(self, ws: WebSocket, handshake_valid: bool) -> None:
        self.ws = ws
        self.handshake_valid = handshake_valid
        self.messages: list[dict[str, Any]] = []  # as sent: the decoded JSON
        self.events: list[wire.TwilioEvent | None] = []  # as the service reads them
        self.arrivals: list[float] = []  # event-loop time of each message
        self.arrived = asyncio.Event()
        self.closed = asyncio.Event()
        self.stream_sid = ""

    async def next(self, event: str, after: int = 0) -> dict[str, Any]:
        """The first message of `event` at index >= `after`, waiting for it."""
        async with asyncio.timeout(10):
            while True:
                for message in self.messages[after:]:
                    if message["event"] == event:
                        return message
                self.arrived.clear()
                await self.arrived.wait()

    def of(self, event: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["event"] == event]

    def inbound_audio(self) -> bytes:
        return b"".join(e.payload for e in self.events if isinstance(e, wire.Media))

    async def send_media(self, audio: bytes) -> None:
        await self.ws.send_text(wire.media_message(self.stream_sid, audio))

    async def send_mark(self, name: str) -> None:
        await self.ws.send_text(wire.mark_message(self.stream_sid, name))

    async def send_clear(self) -> None:
        await self.ws.send_text(wire.clear_message(self.stream_sid))


Script = Callable[[ServerStream], Awaitable[None]]


@dataclass
class StandIn:
    """A voice service reduced to what Twilio talks to, recording everything."""

    base_url: str = ""
    signatures: TwilioSignatures | None = None
    parameters: dict[str, str] = field(default_factory=lambda: {"provider_id": "7", "token": "t"})
    twiml_status: int = 200
    twiml: str | None = None  # overrides the <Connect><Stream> document
    stream_url: str | None = None  # overrides where <Stream> points
    script: Script | None = None
    on_amd: Callable[[dict[str, str]], None] | None = None
    posts: list[tuple[str, dict[str, str], bool]] = field(default_factory=list)
    streams: list[ServerStream] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/twiml", self._twiml, methods=["POST"]),
                Route("/call-status", self._hook, methods=["POST"]),
                Route("/amd-status", self._hook, methods=["POST"]),
                WebSocketRoute("/media-stream", self._stream),
            ]
        )

    def posted(self, path: str) -> list[dict[str, str]]:
        return [params for p, params, _ in self.posts if p == path]

    async def _record(self, request: Request) -> dict[str, str]:
        params = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        assert self.signatures is not None
        valid = self.signatures.check(path, params, request.headers.get("x-twilio-signature"))
        self.posts.append((request.url.path, params, valid))
        return params

    async def _hook(self, request: Request) -> Response:
        params = await self._record(request)
        if request.url.path == "/amd-status" and self.on_amd:
            self.on_amd(params)
        return PlainTextResponse("", status_code=204)

    async def _twiml(self, request: Request) -> Response:
        await self._record(request)
        if self.twiml_status != 200:
            return PlainTextResponse("boom", status_code=self.twiml_status)
        return Response(self.twiml or self._connect_stream(), media_type="text/xml")

    def _connect_stream(self) -> str:
        response, connect = VoiceResponse(), Connect()
        stream = connect.stream(url=self.stream_url or self._ws_url())
        for name, value in self.parameters.items():
            stream.parameter(name=name, value=value)
        response.append(connect)
        return str(response)

    def _ws_url(self) -> str:
        assert self.signatures is not None
        return self.signatures.public_url("/media-stream", websocket=True)

    async def _stream(self, ws: WebSocket) -> None:
        assert self.signatures is not None
        valid = self.signatures.check(
            "/media-stream", {}, ws.headers.get("x-twilio-signature"), websocket=True
        )
        await ws.accept()
        stream = ServerStream(ws, valid)
        self.streams.append(stream)
        script = asyncio.create_task(self._run_script(stream))
        try:
            while True:
                raw = await ws.receive_text()
                event = wire.parse(raw)
                if isinstance(event, wire.Start):
                    stream.stream_sid = event.stream_sid
                stream.messages.append(json.loads(raw))
                stream.events.append(event)
                stream.arrivals.append(asyncio.get_running_loop().time())
                stream.arrived.set()
        except WebSocketDisconnect:
            pass
        finally:
            stream.closed.set()
            stream.arrived.set()
            script.cancel()
            await asyncio.gather(script, return_exceptions=True)

    async def _run_script(self, stream: ServerStream) -> None:
        if self.script is not None:
            await stream.next("start")
            await self.script(stream)
