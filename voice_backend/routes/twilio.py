"""Twilio's webhooks (`/twiml`, `/call-status`, both signed) and its media stream."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response, WebSocket, status
from twilio.twiml.voice_response import Connect, VoiceResponse

from shared.models import CallStatus
from voice_backend.call.bridge import CallBridge
from voice_backend.deps import DispatcherDep, ServicesDep, SettingsDep, SignaturesDep, StoreDep
from voice_backend.spending import record_duration
from voice_backend.twilio.callbacks import parse_answered_by, parse_call_status
from voice_backend.twilio.signatures import TwilioSignatures

logger = logging.getLogger(__name__)
router = APIRouter()

_XML = "application/xml"


async def _signed_form(request: Request, signatures: SignaturesDep) -> dict[str, str]:
    """The webhook's form fields, once its `X-Twilio-Signature` checks out (else 403)."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not signatures.check(path, form, request.headers.get("x-twilio-signature")):
        logger.warning("webhook with a bad Twilio signature refused", extra={"path": path})
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad Twilio signature")
    return form


def _provider_id(request: Request) -> int:
    raw = request.query_params.get("provider_id", "")
    if not raw.isdigit():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "provider_id must be a number")
    return int(raw)


@router.post("/twiml")
async def twiml(
    request: Request,
    signatures: SignaturesDep,
    services: ServicesDep,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """Connect the answered call to our media stream, with a token for this call only."""
    form = await _signed_form(request, signatures)
    provider_id = _provider_id(request)
    call_sid = form.get("CallSid", "")
    provider = await store.get_provider(provider_id)
    response = VoiceResponse()
    if (
        provider is None
        or not call_sid
        or provider.call_status.is_terminal
        or provider.call_status is CallStatus.PENDING
        or provider.call_sid not in (None, call_sid)
    ):
        logger.warning("TwiML asked for a call we did not place", extra={"call_sid": call_sid})
        response.hangup()
        return Response(str(response), media_type=_XML)
    connect = Connect()
    stream = connect.stream(url=settings.stream_url)
    stream.parameter(name="provider_id", value=str(provider_id))
    stream.parameter(name="token", value=services.tokens.issue(provider_id, call_sid))
    response.append(connect)
    return Response(str(response), media_type=_XML)


@router.post("/call-status", status_code=status.HTTP_204_NO_CONTENT)
async def call_status(
    request: Request,
    signatures: SignaturesDep,
    dispatcher: DispatcherDep,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """Twilio's status and answering-machine callbacks."""
    form = await _signed_form(request, signatures)
    provider_id = _provider_id(request)
    call_sid = form.get("CallSid", "")
    if not call_sid:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "CallSid is missing")
    # Before the status moves (which may schedule a follow-up): the duration is this attempt's.
    await record_duration(store, settings, provider_id, call_sid, form.get("CallDuration"))
    await dispatcher.on_status(
        provider_id,
        call_sid,
        parse_call_status(form.get("CallStatus")),
        parse_answered_by(form.get("AnsweredBy")),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.websocket("/media-stream")
async def media_stream(websocket: WebSocket) -> None:
    """Twilio's media stream: one bridge per call, once the upgrade's `X-Twilio-Signature`
    checks out (refused with HTTP 403 otherwise); the call token is checked at `start`."""
    if websocket.app.state.not_ready:
        await websocket.accept()
        await websocket.close(code=1013)  # try again later
        return
    signatures: TwilioSignatures = websocket.app.state.signatures
    url = websocket.url
    path = url.path + (f"?{url.query}" if url.query else "")
    if not signatures.check(path, {}, websocket.headers.get("x-twilio-signature"), websocket=True):
        logger.warning("media stream with a bad Twilio signature refused", extra={"path": path})
        await websocket.close(code=1008)  # before accepting: the upgrade gets HTTP 403
        return
    await websocket.accept()
    await CallBridge(websocket, websocket.app.state.services).run()
