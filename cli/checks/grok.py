"""xAI: the key opens a Grok Realtime session that takes our audio format, and the chat model
answers. The realtime session is configured and closed without asking the model to speak (no
audio is billed); the chat check costs one tiny completion."""

from __future__ import annotations

import asyncio
import json

from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from xai_sdk.chat import system, user

from cli.checks.base import CheckFailed
from shared.settings import AudioFormat
from shared.xai import XaiChat
from voice_backend.agents import grok_client_events as client
from voice_backend.agents import grok_events as wire
from voice_backend.agents.grok_errors import BENIGN_ERROR_CODES

_FORMATS = {AudioFormat.PCMU: wire.PCMU, AudioFormat.PCM24K: wire.PCM24K}


async def realtime_session(
    url: str, api_key: str, voice: str, audio_format: AudioFormat, wait_seconds: float = 10.0
) -> str:
    """Open a session, send `session.update` as a call does, and read `session.updated`."""
    wanted = _FORMATS[audio_format]
    try:
        ws = await connect(
            url,
            additional_headers={"Authorization": f"Bearer {api_key}"},
            open_timeout=wait_seconds,
            compression=None,
            max_size=16 * 1024 * 1024,
        )
    except InvalidStatus as error:
        status = error.response.status_code
        hint = ": check XAI_API_KEY" if status in (401, 403) else ": check GROK_REALTIME_URL"
        raise CheckFailed(f"Grok Realtime refused the connection (HTTP {status}){hint}") from None
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
        raise CheckFailed(f"cannot reach Grok Realtime at {_address(url)}: {error}") from None
    try:
        update = client.session_update(
            voice=voice,
            instructions="Preflight check of the configuration. Do not speak.",
            audio_format=wanted,
        )
        await ws.send(json.dumps(update))
        async with asyncio.timeout(wait_seconds):
            confirmed = await _session_updated(ws)
    except TimeoutError:
        raise CheckFailed(f"Grok did not confirm the session within {wait_seconds:g} s") from None
    finally:
        await ws.close()
    for direction, got in (("input", confirmed.input_format), ("output", confirmed.output_format)):
        if got is not None and not wanted.matches(got):
            raise CheckFailed(
                f"Grok ignored the audio format: asked for {wanted.describe()}, its "
                f"session.updated names {got.describe()} for {direction}"
            )
    named = confirmed.input_format is not None or confirmed.output_format is not None
    echo = "confirmed" if named else "not named in session.updated (xAI need not echo it)"
    return f"session opened with voice {confirmed.voice or voice}, {wanted.describe()} {echo}"


async def _session_updated(ws: ClientConnection) -> wire.SessionUpdated:
    while True:
        try:
            frame = await ws.recv()
        except ConnectionClosed as closed:
            reason = f": {closed.rcvd.reason}" if closed.rcvd and closed.rcvd.reason else ""
            raise CheckFailed(f"Grok closed the session before confirming it{reason}") from None
        event = wire.parse_server_event(frame)
        if isinstance(event, wire.SessionUpdated):
            return event
        if isinstance(event, wire.ServerError) and event.code not in BENIGN_ERROR_CODES:
            raise CheckFailed(f"Grok rejected the session: {event.describe()}")


class _Pong(BaseModel):
    """The reply the chat check asks for."""

    ok: bool


async def chat_model(api_key: str, model: str, api_host: str, wait_seconds: float = 20.0) -> str:
    """Ask `model` for a one-field structured reply, as price extraction does."""
    chat = XaiChat(api_key, model=model, api_host=api_host, timeout=wait_seconds, retries=0)
    try:
        reply = await chat.ask(
            _Pong,
            [system("You answer configuration checks."), user("Reply with ok set to true.")],
        )
    except Exception as error:
        raise CheckFailed(f"{model} at {api_host} did not answer: {_grpc_reason(error)}") from None
    if not reply.ok:
        raise CheckFailed(f"{model} answered, but not as asked (ok=false)")
    return f"{model} answers at {api_host}"


def _grpc_reason(error: Exception) -> str:
    code = getattr(error, "code", None)
    details = getattr(error, "details", None)
    if callable(code) and callable(details):
        name = getattr(code(), "name", str(code()))
        hint = ": check XAI_API_KEY" if name in ("UNAUTHENTICATED", "PERMISSION_DENIED") else ""
        return f"{name} {details()}{hint}"
    return f"{type(error).__name__}: {error}"


def _address(url: str) -> str:
    return url.split("?", 1)[0]
