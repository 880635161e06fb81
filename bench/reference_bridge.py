"""The minimal reference bridge of `bridge_bench.py --compare`: Twilio's media stream to a
realtime model, written the way the vendors' getting-started samples are.

Not product code. It is what the voice service's bridge is measured against: a FastAPI
WebSocket route that parses every Twilio message with `json.loads`, forwards `media` payloads
to the model as they came, decodes and re-encodes every audio delta on the way back (one base64
round trip), sends it with `send_json` followed by a mark, and keeps no metrics, no call state
and no token check. It greets once the session is configured, as the samples do, without
waiting for `session.updated`.

Configured from the same environment as the voice service under the bench: `GROK_REALTIME_URL`,
`XAI_API_KEY`, `PUBLIC_BASE_URL`, `AUDIO_FORMAT` (pcmu only: no resampling here).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os

import websockets
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse, Response
from twilio.twiml.voice_response import Connect, VoiceResponse

app = FastAPI()


@app.get("/healthz")
async def healthz() -> PlainTextResponse:
    """Up."""
    return PlainTextResponse("ok")


@app.post("/twiml")
async def twiml(request: Request) -> Response:
    """Connect the call to the media stream, handing the query's provider id on."""
    stream_url = os.environ["PUBLIC_BASE_URL"].replace("http", "ws", 1) + "/media-stream"
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=stream_url)
    stream.parameter(name="provider_id", value=request.query_params.get("provider_id", ""))
    response.append(connect)
    return Response(str(response), media_type="application/xml")


def _session_update() -> dict[str, object]:
    audio_format = {"type": "audio/pcmu"}
    return {
        "type": "session.update",
        "session": {
            "voice": "Ara",
            "instructions": "You are calling a plumber to ask for a price.",
            "turn_detection": {"type": "server_vad"},
            "audio": {"input": {"format": audio_format}, "output": {"format": audio_format}},
        },
    }


@app.websocket("/media-stream")
async def media_stream(websocket: WebSocket) -> None:
    """Relay audio between Twilio and the model until either side hangs up."""
    await websocket.accept()
    async with websockets.connect(
        os.environ["GROK_REALTIME_URL"],
        additional_headers={"Authorization": f"Bearer {os.environ['XAI_API_KEY']}"},
    ) as model:
        await model.send(json.dumps(_session_update()))
        await model.send(json.dumps({"type": "response.create"}))
        stream_sid: str | None = None
        marks: list[str] = []

        async def from_twilio() -> None:
            nonlocal stream_sid
            try:
                async for message in websocket.iter_text():
                    data = json.loads(message)
                    if data["event"] == "media":
                        append = {
                            "type": "input_audio_buffer.append",
                            "audio": data["media"]["payload"],
                        }
                        await model.send(json.dumps(append))
                    elif data["event"] == "start":
                        stream_sid = data["start"]["streamSid"]
                    elif data["event"] == "mark" and marks:
                        marks.pop(0)
                    elif data["event"] == "stop":
                        break
            except WebSocketDisconnect:
                pass
            await model.close()

        async def to_twilio() -> None:
            async for message in model:
                response = json.loads(message)
                if response.get("type") == "response.output_audio.delta" and stream_sid:
                    payload = base64.b64encode(base64.b64decode(response["delta"])).decode()
                    await websocket.send_json(
                        {"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}
                    )
                    await websocket.send_json(
                        {"event": "mark", "streamSid": stream_sid, "mark": {"name": "part"}}
                    )
                    marks.append("part")

        with contextlib.suppress(websockets.ConnectionClosed, WebSocketDisconnect, RuntimeError):
            await asyncio.gather(from_twilio(), to_twilio())
