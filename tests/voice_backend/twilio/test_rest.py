"""TwilioTelephony against the fake Twilio REST API on loopback (real HTTP, real aiohttp)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.twilio_rest import FakeTwilio, Line, RestError
from tests.support.servers import free_port, serve
from tests.voice_backend.twilio_standin import ServerStream, StandIn
from voice_backend.sim import CallScenario, EndReason, ScriptedPhone, Tunnel, tone
from voice_backend.telephony.base import DialError, DialRequest
from voice_backend.twilio.rest import TwilioDialError, TwilioTelephony
from voice_backend.twilio.signatures import TwilioSignatures

FROM = "+15550100000"
TO = "+15550101111"


@dataclass
class Rig:
    fake: FakeTwilio
    telephony: TwilioTelephony
    hooks: StandIn
    hooks_url: str

    def request(self, to: str = TO, provider_id: int = 7) -> DialRequest:
        return DialRequest(
            provider_id=provider_id,
            to=to,
            twiml_url=f"{self.hooks_url}/twiml?provider_id={provider_id}",
            status_callback_url=f"{self.hooks_url}/call-status",
            amd_callback_url=f"{self.hooks_url}/amd-status",
            ring_timeout_seconds=25,
            time_limit_seconds=600,
        )


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    fake = FakeTwilio(speed=20, default_line=Line(CallScenario.BUSY))
    hooks = StandIn()
    async with serve(hooks.app()) as hooks_url, fake.serve() as twilio_url:
        hooks.base_url = hooks_url
        hooks.signatures = TwilioSignatures(fake.auth_token, hooks_url)
        telephony = TwilioTelephony(fake.account_sid, fake.auth_token, FROM, twilio_url)
        try:
            yield Rig(fake, telephony, hooks, hooks_url)
        finally:
            await telephony.close()


async def test_place_call_sends_exactly_the_calls_parameters(rig: Rig) -> None:
    sid = await rig.telephony.place_call(rig.request())

    assert re.fullmatch(r"CA[0-9a-f]{32}", sid)
    (create,) = rig.fake.creates
    assert create.authorized
    assert create.path == f"/2010-04-01/Accounts/{rig.fake.account_sid}/Calls.json"
    assert create.form == {
        "To": [TO],
        "From": [FROM],
        "Url": [f"{rig.hooks_url}/twiml?provider_id=7"],
        "Method": ["POST"],
        "StatusCallback": [f"{rig.hooks_url}/call-status"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": ["POST"],
        "Timeout": ["25"],
        "TimeLimit": ["600"],
        "MachineDetection": ["Enable"],
        "AsyncAmd": ["true"],
        "AsyncAmdStatusCallback": [f"{rig.hooks_url}/amd-status"],
        "AsyncAmdStatusCallbackMethod": ["POST"],
    }
    assert list(rig.fake.calls) == [sid]


async def test_placed_call_reports_its_progress_with_signed_callbacks(rig: Rig) -> None:
    sid = await rig.telephony.place_call(rig.request())
    result = await rig.fake.wait_ended(sid)

    assert result.final_status == "busy"
    statuses = [(path, params["CallStatus"], valid) for path, params, valid in rig.hooks.posts]
    assert statuses == [("/call-status", "initiated", True), ("/call-status", "busy", True)]
    assert rig.fake.peer_errors() == []


async def test_an_answered_call_streams_until_hung_up_through_rest(rig: Rig) -> None:
    greeting = tone(440, 0.4)
    rig.fake.lines[TO] = Line(phone=lambda: ScriptedPhone([greeting]), ring_seconds=0.2)

    async def agent(stream: ServerStream) -> None:
        # Hear the provider's greeting, then hang up the way the service does: REST.
        while len(stream.inbound_audio()) < len(greeting):
            await stream.next("media", len(stream.messages))
        await rig.telephony.hang_up(stream.messages[1]["start"]["callSid"])

    rig.hooks.script = agent
    sid = await rig.telephony.place_call(rig.request())
    result = await rig.fake.wait_ended(sid)

    assert result.end_reason == EndReason.REST_HANG_UP
    assert result.final_status == "completed"
    (stream,) = rig.hooks.streams
    assert stream.of("stop") and stream.messages[-1]["event"] == "stop"
    assert stream.inbound_audio()[: len(greeting)] == greeting
    statuses = [p["CallStatus"] for p in rig.hooks.posted("/call-status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert all(valid for _, _, valid in rig.hooks.posts)
    (update,) = rig.fake.updates
    assert update.form == {"Status": ["completed"]}
    assert rig.fake.calls[sid].hung_up_via_rest
    assert rig.fake.calls[sid].status == "completed"
    assert rig.fake.peer_errors() == []
    # A second hang-up of the ended call is still fine.
    await rig.telephony.hang_up(sid)


async def test_the_rate_meter_counts_calls_per_window(rig: Rig) -> None:
    for _ in range(3):
        await rig.telephony.place_call(rig.request())
    assert rig.fake.max_calls_in(5.0) == 3
    assert rig.fake.max_calls_in(1e-9) == 1
    await rig.fake.wait_for_calls(3)
    await rig.fake.wait_all_ended()


async def test_wrong_credentials_are_refused_without_leaking_the_token(rig: Rig) -> None:
    telephony = TwilioTelephony(
        rig.fake.account_sid, "wrong-token-123", FROM, rig.fake.base_url or ""
    )
    try:
        with pytest.raises(DialError) as error:
            await telephony.place_call(rig.request())
    finally:
        await telephony.close()
    assert str(error.value) == "twilio 20003: Authenticate"
    assert "wrong-token-123" not in str(error.value)
    assert not rig.fake.creates[0].authorized
    assert rig.fake.calls == {}


async def test_invalid_number_is_a_one_line_dial_error(rig: Rig) -> None:
    rig.fake.lines[TO] = Line(rest_error=RestError.invalid_number(TO))
    with pytest.raises(TwilioDialError) as error:
        await rig.telephony.place_call(rig.request())
    assert str(error.value) == f"twilio 21211: Invalid 'To' Phone Number: {TO}"
    assert error.value.status == 400
    assert error.value.code == 21211
    assert not error.value.retryable
    assert "\n" not in str(error.value)


async def test_malformed_number_is_refused_by_twilio(rig: Rig) -> None:
    with pytest.raises(DialError, match=r"^twilio 21211: "):
        await rig.telephony.place_call(rig.request(to="555-0101"))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RestError.server_error(), "twilio 20500: Internal Server Error"),
        (RestError.too_many_requests(), "twilio 20429: Too Many Requests"),
    ],
)
async def test_twilio_failures_are_retryable_dial_errors(
    rig: Rig, error: RestError, expected: str
) -> None:
    rig.fake.lines[TO] = Line(rest_error=error)
    with pytest.raises(TwilioDialError) as raised:
        await rig.telephony.place_call(rig.request())
    assert str(raised.value) == expected
    assert raised.value.retryable
    assert raised.value.cause == expected.split(":")[0].replace("twilio ", "twilio_")


async def test_hang_up_of_an_unknown_call_is_success(rig: Rig) -> None:
    unknown = "CA" + "0" * 32
    await rig.telephony.hang_up(unknown)
    (update,) = rig.fake.updates
    assert update.path.endswith(f"/Calls/{unknown}.json")
    assert update.form == {"Status": ["completed"]}
    assert update.authorized


async def test_hang_up_ends_a_ringing_call(rig: Rig) -> None:
    rig.fake.lines[TO] = Line(CallScenario.NO_ANSWER, ring_seconds=600)
    sid = await rig.telephony.place_call(rig.request())
    await asyncio.sleep(0.05)
    await rig.telephony.hang_up(sid)
    result = await rig.fake.wait_ended(sid, within_seconds=5)
    assert result.final_status == "canceled"
    assert rig.fake.calls[sid].hung_up_via_rest


async def test_hang_up_with_bad_credentials_is_an_error(rig: Rig) -> None:
    telephony = TwilioTelephony(rig.fake.account_sid, "nope", FROM, rig.fake.base_url or "")
    try:
        with pytest.raises(DialError, match=r"^twilio 20003: Authenticate$"):
            await telephony.hang_up("CA" + "1" * 32)
    finally:
        await telephony.close()


async def test_hang_up_refuses_what_is_not_a_call_sid(rig: Rig) -> None:
    with pytest.raises(DialError):
        await rig.telephony.hang_up("../Accounts")
    assert rig.fake.requests == []


async def test_every_request_goes_to_the_configured_base_despite_edge_settings(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    fake = rig.fake
    telephony = TwilioTelephony(fake.account_sid, fake.auth_token, FROM, fake.base_url or "")
    try:
        await telephony.place_call(rig.request())
    finally:
        await telephony.close()
    assert len(rig.fake.creates) == 1


async def test_unreachable_twilio_is_a_dial_error() -> None:
    telephony = TwilioTelephony("AC" + "0" * 32, "token", FROM, f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(TwilioDialError, match=r"^twilio unreachable: ") as error:
            await telephony.place_call(_request("http://127.0.0.1:9"))
    finally:
        await telephony.close()
    assert error.value.retryable
    assert error.value.cause == "unreachable"  # the dial-errors metric's label


def _slow_twilio(
    delay: float, status: int = 201, release: asyncio.Event | None = None
) -> Starlette:
    """Answers every request after `delay` (or once `release` is set) with an HTML page."""

    async def slow(request: Request) -> Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for((release or asyncio.Event()).wait(), delay)
        return PlainTextResponse("<html>Bad Gateway</html>", status_code=status)

    return Starlette(routes=[Route("/{path:path}", slow, methods=["POST"])])


async def test_a_twilio_that_does_not_answer_times_out() -> None:
    release = asyncio.Event()
    async with serve(_slow_twilio(30.0, release=release)) as url:
        telephony = TwilioTelephony(
            "AC" + "0" * 32, "token", FROM, url, request_timeout_seconds=0.3
        )
        try:
            with pytest.raises(TwilioDialError, match=r"^twilio: no answer within 0\.3 s$"):
                await telephony.place_call(_request("http://127.0.0.1:9"))
        finally:
            release.set()
            await telephony.close()


async def test_a_non_json_error_page_is_a_one_line_dial_error() -> None:
    async with serve(_slow_twilio(0.0, status=502)) as url:
        telephony = TwilioTelephony("AC" + "0" * 32, "token", FROM, url)
        try:
            with pytest.raises(TwilioDialError) as error:
                await telephony.place_call(_request("http://127.0.0.1:9"))
        finally:
            await telephony.close()
    assert str(error.value) == "twilio 502: Unable to create record"
    assert error.value.retryable


async def test_requests_do_not_block_the_event_loop() -> None:
    gaps: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = loop.time()
            gaps.append(now - last)
            last = now

    async with serve(_slow_twilio(0.3, status=500)) as url:
        telephony = TwilioTelephony("AC" + "0" * 32, "token", FROM, url)
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(stop))
        try:
            results = await asyncio.gather(
                *(telephony.place_call(_request("http://127.0.0.1:9")) for _ in range(5)),
                return_exceptions=True,
            )
        finally:
            stop.set()
            await tick
            await telephony.close()
    assert all(isinstance(r, DialError) for r in results)
    assert len(gaps) >= 20  # the loop kept ticking through the 0.3 s requests
    assert max(gaps) < 0.1


async def test_close_is_idempotent_and_building_needs_no_loop() -> None:
    telephony = TwilioTelephony("AC" + "0" * 32, "token", FROM)  # no session yet
    await telephony.close()
    await telephony.close()


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(ValueError):
        TwilioTelephony("", "token", FROM)
    with pytest.raises(ValueError):
        TwilioTelephony("AC1", "token", FROM, request_timeout_seconds=0)


def _request(base: str) -> DialRequest:
    return DialRequest(
        provider_id=1,
        to=TO,
        twiml_url=f"{base}/twiml",
        status_callback_url=f"{base}/call-status",
        amd_callback_url=f"{base}/amd-status",
        ring_timeout_seconds=30,
        time_limit_seconds=600,
    )


async def test_concurrent_calls_each_get_their_own_stream(rig: Rig) -> None:
    numbers = [f"+1555020{index:04d}" for index in range(8)]
    for number in numbers:
        rig.fake.lines[number] = Line(
            phone=lambda: ScriptedPhone([tone(440, 0.5)], hang_up_after_seconds=2.0),
            ring_seconds=0.1,
        )
    sids = await asyncio.gather(*(rig.telephony.place_call(rig.request(to=n)) for n in numbers))
    results = await rig.fake.wait_all_ended(within_seconds=20)

    assert len(set(sids)) == len(numbers)
    assert [r.final_status for r in results] == ["completed"] * len(numbers)
    assert rig.fake.peer_errors() == []
    assert len(rig.hooks.streams) == len(numbers)
    call_sids = {s.messages[1]["start"]["callSid"] for s in rig.hooks.streams}
    assert call_sids == set(sids)
    assert all(len(s.of("media")) == 100 for s in rig.hooks.streams)


async def test_a_tunnel_set_after_start_reaches_a_service_behind_a_public_url() -> None:
    public = "https://voice.example.test"
    fake = FakeTwilio(speed=20)
    fake.lines[TO] = Line(phone=lambda: ScriptedPhone.silent(0.5), ring_seconds=0.1)
    async with fake.serve() as twilio_url:
        hooks = StandIn()
        async with serve(hooks.app()) as hooks_url:
            hooks.base_url = hooks_url
            hooks.signatures = TwilioSignatures(fake.auth_token, public)
            fake.tunnel = Tunnel(public, hooks_url)  # like ngrok, started after the fake
            telephony = TwilioTelephony(fake.account_sid, fake.auth_token, FROM, twilio_url)
            try:
                sid = await telephony.place_call(Rig(fake, telephony, hooks, public).request())
                result = await fake.wait_ended(sid)
            finally:
                await telephony.close()
    assert result.final_status == "completed"
    assert result.stream_url == "wss://voice.example.test/media-stream"
    assert hooks.posts and all(valid for _, _, valid in hooks.posts)
    assert hooks.streams[0].handshake_valid


async def test_call_status_reads_the_calls_resource(rig: Rig) -> None:
    rig.fake.lines[TO] = Line(CallScenario.NO_ANSWER, ring_seconds=600)
    sid = await rig.telephony.place_call(rig.request())
    await asyncio.sleep(0.05)
    assert await rig.telephony.call_status(sid) == "ringing"
    await rig.telephony.hang_up(sid)
    await rig.fake.wait_ended(sid, within_seconds=5)
    assert await rig.telephony.call_status(sid) == "canceled"
    fetch = [r for r in rig.fake.requests if r.method == "GET"][-1]
    assert fetch.path.endswith(f"/Calls/{sid}.json") and fetch.authorized
    assert await rig.telephony.call_status("CA" + "0" * 32) is None  # unknown: 404
