"""Bad input on the webhooks and the media stream: forged signatures, forged or replayed
tokens, malformed frames. A stranger never opens a model session or touches a record."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate
from shared.storage.sql import SQLStore
from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import TOKEN, Rig, running_rig
from voice_backend.sim import CallScenario
from voice_backend.twilio import media as wire
from voice_backend.twilio.signatures import TwilioSignatures

CALL_SID = "CA" + "ab" * 16
STREAM_SID = "MZ" + "0" * 32
ACE = "+14155550100"


async def _dialling_provider(rig: Rig) -> int:
    """A provider whose call we placed (status `dialing`, with its call SID), straight in the
    store: these tests play Twilio by hand."""
    store = SQLStore(rig.settings.database_url)
    await store.open()
    try:
        job = await store.create_job(JobCreate(problem="a leaking tap", zip_code="94110"))
        (provider,) = await store.add_providers(
            job, [ProviderCreate(service_provider="Ace", phone_number="+14155550100")]
        )
        await store.queue_calls(job.id)
        await store.claim_call(provider.id, "test")
        await store.update_call(provider.id, CallUpdate(call_sid=CALL_SID))
        return provider.id
    finally:
        await store.close()


def _signer(rig: Rig) -> TwilioSignatures:
    token = rig.settings.twilio_auth_token
    assert token is not None
    return TwilioSignatures(token.get_secret_value(), rig.voice_url)


async def _twiml(rig: Rig, provider_id: int, *, signature: str | None = None) -> Any:
    path = f"/twiml?provider_id={provider_id}"
    form = {"CallSid": CALL_SID, "AccountSid": rig.twilio.account_sid, "CallStatus": "in-progress"}
    if signature is None:
        signature = _signer(rig).sign(rig.voice_url + path, form)
    return await rig.voice.post(path, data=form, headers={"X-Twilio-Signature": signature})


async def _token(rig: Rig, provider_id: int) -> str:
    response = await _twiml(rig, provider_id)
    assert response.status_code == 200
    match = re.search(r'<Parameter name="token" value="([^"]+)"', response.text)
    assert match, response.text
    return match.group(1)


def _ws_url(rig: Rig) -> str:
    return rig.voice_url.replace("http://", "ws://") + "/media-stream"


def _stream(rig: Rig, *, signature: str | None = None) -> connect:
    """A Media Stream connection as Twilio opens it: its upgrade signed over the `ws://` URL
    (`signature` replaces Twilio's)."""
    url = _ws_url(rig)
    if signature is None:
        signature = _signer(rig).sign(url, {})
    return connect(url, additional_headers={"X-Twilio-Signature": signature})


def _start(provider_id: int, token: str, call_sid: str = CALL_SID) -> str:
    return wire.start_message(
        1,
        STREAM_SID,
        account_sid="AC" + "0" * 32,
        call_sid=call_sid,
        custom_parameters={"provider_id": str(provider_id), "token": token},
    )


def _media(payload: bytes = b"\xff" * 160, chunk: int = 1) -> str:
    return wire.inbound_media_message(
        chunk + 1, STREAM_SID, chunk, base64.b64encode(payload).decode()
    )


def _stop() -> str:
    return wire.stop_message(99, STREAM_SID, account_sid="AC" + "0" * 32, call_sid=CALL_SID)


async def _closed(ws: ClientConnection, within: float = 5.0) -> int | None:
    """Read until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(within):
            async for _ in ws:
                pass
    except ConnectionClosed:
        pass
    return ws.close_code


async def _status(rig: Rig, provider_id: int) -> tuple[str, str | None, str | None]:
    store = SQLStore(rig.settings.database_url)
    await store.open()
    try:
        provider = await store.get_provider(provider_id)
        assert provider is not None
        return provider.call_status.value, provider.outcome, provider.failure_reason
    finally:
        await store.close()


async def _settled_status(rig: Rig, provider_id: int, within: float = 10.0) -> str:
    """The call's status once the bridge has stored how it ended (that runs after the
    streams close: the outcome is written after the price is read)."""
    async with asyncio.timeout(within):
        while (status := (await _status(rig, provider_id))[0]) == "in_progress":
            await asyncio.sleep(0.05)
    return status


async def test_forged_webhook_signatures_get_403(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        provider_id = await _dialling_provider(rig)
        assert (await _twiml(rig, provider_id, signature="Zm9yZ2Vk")).status_code == 403
        unsigned = await rig.voice.post(f"/twiml?provider_id={provider_id}", data={"a": "b"})
        assert unsigned.status_code == 403
        other = TwilioSignatures("not-the-auth-token", rig.voice_url)
        path = f"/call-status?provider_id={provider_id}"
        form = {"CallSid": CALL_SID, "CallStatus": "completed"}
        forged = await rig.voice.post(
            path, data=form, headers={"X-Twilio-Signature": other.sign(rig.voice_url + path, form)}
        )
        assert forged.status_code == 403
        assert await _status(rig, provider_id) == ("dialing", None, None)
        # A parameter changed after signing breaks the signature too.
        good = _signer(rig).sign(rig.voice_url + path, form)
        tampered = await rig.voice.post(
            path, data=form | {"CallStatus": "busy"}, headers={"X-Twilio-Signature": good}
        )
        assert tampered.status_code == 403


async def test_start_job_without_the_bearer_token_is_401_and_dials_nothing(
    tmp_path: Path,
) -> None:
    async with running_rig(tmp_path) as rig:
        rig.twilio.lines[ACE] = Line(CallScenario.BUSY)
        job_id = await rig.job(("Ace Plumbing", ACE))
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = await rig.voice.post(f"/start-job/{job_id}", headers=headers)
            assert response.status_code == 401
        await asyncio.sleep(0.5)  # a call queued anyway would have been dialled by now
        assert rig.twilio.creates == []
        assert [row["call_status"] for row in await rig.rows(job_id)] == ["pending"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        unknown = await rig.voice.post("/start-job/unknown-job", headers=bearer)
        assert unknown.status_code == 404
        # The same request with the token is dialled, and the fake Twilio counts it.
        assert (await rig.voice.post(f"/start-job/{job_id}", headers=bearer)).status_code == 200
        await rig.twilio.wait_for_calls(1)
        assert [create.value("To") for create in rig.twilio.creates] == [ACE]


async def test_real_telephony_has_no_directory_of_simulated_providers(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        refused = await rig.voice.get("/sim/directory")
        missing = await rig.voice.get(
            "/sim/directory", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert refused.status_code == 401
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"provider_id": "1"},
        {"provider_id": "1", "token": "1.9999999999.forged"},
        {"provider_id": "x", "token": "t"},
    ],
)
async def test_a_stream_without_a_valid_token_is_closed_before_any_model_session(
    tmp_path: Path, parameters: dict[str, str]
) -> None:
    async with running_rig(tmp_path) as rig:
        provider_id = await _dialling_provider(rig)
        start = json.loads(_start(provider_id, "x"))
        start["start"]["customParameters"] = parameters
        async with _stream(rig) as ws:
            await ws.send(wire.connected_message())
            await ws.send(json.dumps(start))
            assert await _closed(ws) == 1008
        assert rig.grok.sessions == []
        assert await _status(rig, provider_id) == ("dialing", None, None)


async def test_a_token_for_another_call_or_a_replay_is_refused(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.grok.on_response("Hi, is this Ace?", audio_ms=200)
        provider_id = await _dialling_provider(rig)
        token = await _token(rig, provider_id)
        # The token is bound to its call SID.
        async with _stream(rig) as ws:
            await ws.send(_start(provider_id, token, call_sid="CA" + "cd" * 16))
            assert await _closed(ws) == 1008
        assert rig.grok.sessions == []
        # The real call's stream is admitted once...
        async with _stream(rig) as first:
            await first.send(_start(provider_id, token))
            session = await rig.grok.wait_session()
            # ...and a replay of the same token is not, while or after it runs.
            async with _stream(rig) as replay:
                await replay.send(_start(provider_id, token))
                assert await _closed(replay) == 1008
            assert len(rig.grok.sessions) == 1
            await first.send(_stop())
            await _closed(first)
        await session.closed.wait()
        assert await _settled_status(rig, provider_id) == "completed"


async def test_a_stream_the_store_refuses_leaves_no_model_session_open(tmp_path: Path) -> None:
    # The model session opens while the store moves the call to its stream: when the store
    # says another stream has the call, that session must be closed again.
    async with running_rig(tmp_path) as rig:
        rig.grok.on_response("Hi, is this Ace?", audio_ms=200)
        provider_id = await _dialling_provider(rig)
        token = await _token(rig, provider_id)
        store = SQLStore(rig.settings.database_url)
        await store.open()
        try:
            assert await store.begin_stream(provider_id, CALL_SID, "another-instance")
        finally:
            await store.close()
        async with _stream(rig) as ws:
            await ws.send(_start(provider_id, token))
            assert await _closed(ws) == 1008
        for session in rig.grok.sessions:
            await asyncio.wait_for(session.closed.wait(), 5)
        assert await _status(rig, provider_id) == ("in_progress", None, None)


async def test_media_before_start_is_refused(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        provider_id = await _dialling_provider(rig)
        token = await _token(rig, provider_id)
        async with _stream(rig) as ws:
            await ws.send(_media())
            await ws.send(_start(provider_id, token))
            assert await _closed(ws) == 1008
        assert rig.grok.sessions == []


async def test_a_forged_or_missing_upgrade_signature_is_refused(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        provider_id = await _dialling_provider(rig)
        token = await _token(rig, provider_id)
        other = TwilioSignatures("not-the-auth-token", rig.voice_url).sign(_ws_url(rig), {})
        for forged in (other, "Zm9yZ2Vk"):
            with pytest.raises(InvalidStatus) as refused:
                async with _stream(rig, signature=forged):
                    pass
            assert refused.value.response.status_code == 403
        with pytest.raises(InvalidStatus):
            async with connect(_ws_url(rig)):
                pass
        # Even with a valid call token, nothing starts without Twilio's signature.
        assert rig.grok.sessions == []
        assert await _status(rig, provider_id) == ("dialing", None, None)
        async with _stream(rig) as ws:  # Twilio's own signature is admitted
            await ws.send(_start(provider_id, token))
            await rig.grok.wait_session()


@pytest.mark.parametrize(
    "bad_frame",
    [
        "this is not json",
        json.dumps({"event": "media", "media": {"payload": "%%% not base64 %%%"}}),
        json.dumps(["a", "list"]),
        json.dumps({"no": "event"}),
        b"\x00\x01 a binary frame",
    ],
)
async def test_a_malformed_frame_mid_call_is_skipped_and_the_call_goes_on(
    tmp_path: Path, bad_frame: str | bytes
) -> None:
    async with running_rig(tmp_path) as rig:
        rig.grok.on_response("Hi, is this Ace?", audio_ms=200)
        provider_id = await _dialling_provider(rig)
        token = await _token(rig, provider_id)
        async with _stream(rig) as ws:
            await ws.send(_start(provider_id, token))
            session = await rig.grok.wait_session()
            await session.wait_for("response.create")
            # Unknown events are not malformed: the call goes on.
            await ws.send(json.dumps({"event": "something-new", "streamSid": "MZ"}))
            for chunk in range(1, 6):
                await ws.send(_media(chunk=chunk))
            await session.wait_for_audio(800)
            await ws.send(bad_frame)
            # The call is still live: audio after the bad frame reaches Grok.
            for chunk in range(6, 11):
                await ws.send(_media(chunk=chunk))
            await session.wait_for_audio(1600)
            assert not session.closed.is_set()
            metrics = (await rig.voice.get("/metrics")).text
            assert re.search(r"^haggle_twilio_bad_frames_total [1-9]", metrics, re.M), metrics
            await ws.send(_stop())
            await _closed(ws)
        await asyncio.wait_for(session.closed.wait(), 5)
        # The outcome is written after the streams close: wait for it, then read the row.
        assert await _settled_status(rig, provider_id) == "completed"
        store = SQLStore(rig.settings.database_url)
        await store.open()
        provider = await store.get_provider(provider_id)
        await store.close()
        assert provider is not None and provider.call_status is CallStatus.COMPLETED
        assert provider.call_transcript == "1. [ASSISTANT]: Hi, is this Ace?\n"


async def test_the_voice_service_shows_strangers_no_schema(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await rig.voice.get(path)).status_code == 404
        assert (await rig.voice.get("/healthz")).status_code == 200
