"""A fake of Twilio's REST API (the Calls resource) that places calls with `TwilioPeer`.

Served on loopback (`async with fake.serve() as base_url`, or `serve(fake.app())`), it checks
Basic auth and the Calls parameters as Twilio does, records every request, and for each call
it creates runs `TwilioPeer.run_call` in the background: signed status callbacks, the TwiML
fetch and the Media Stream against the voice service named in the call's URLs. What happens
at the dialled end is configured per `To` number with a `Line`.

    fake = FakeTwilio(speed=10)
    fake.lines["+15550001111"] = Line(CallScenario.BUSY)
    fake.lines["+15550002222"] = Line(phone=lambda: ScriptedPhone([tone(440, 1.0)]))
    fake.lines["+15550003333"] = Line(rest_error=RestError.invalid_number("+15550003333"))
    async with fake.serve() as twilio_url:
        ...  # point TwilioTelephony at twilio_url, place calls
        result = await fake.wait_ended(call_sid)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.twilio_errors import RestError, validate_create
from tests.support.servers import serve
from voice_backend.sim import (
    CallScenario,
    PeerCall,
    PeerResult,
    PhoneSide,
    ScriptedPhone,
    Tunnel,
    TwilioPeer,
    new_call_sid,
)
from voice_backend.twilio.signatures import TwilioSignatures

__all__ = ["FakeCall", "FakeTwilio", "Line", "RecordedRequest", "RestError"]

logger = logging.getLogger(__name__)

_BASE = "/2010-04-01/Accounts/{account_sid}"


@dataclass
class Line:
    """What happens when a number is dialled."""

    scenario: CallScenario = CallScenario.ANSWER
    #: Builds the phone at the other end (default: silent; a voicemail box for `voicemail`).
    phone: Callable[[], PhoneSide] | None = None
    #: Refuse the create request with this error instead of placing a call.
    rest_error: RestError | None = None
    #: Call-time seconds of ringing before the answer (default 1 s; `no-answer`: `Timeout`).
    ring_seconds: float | None = None
    #: AMD verdict and when it comes (default: by scenario).
    answered_by: str | None = None
    amd_seconds: float | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, list[str]]
    authorized: bool
    at: float  # event-loop time

    def value(self, name: str) -> str | None:
        """The first value of form field `name`."""
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeCall:
    """A call the fake placed."""

    sid: str
    to: str
    from_: str
    request: RecordedRequest
    peer_call: PeerCall
    phone: PhoneSide
    hung_up_via_rest: bool = False
    result: PeerResult | None = None
    crash: BaseException | None = None
    task: asyncio.Task[None] | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> str:
        """The call's status as the Calls resource would say it."""
        if self.result is not None and self.result.final_status:
            return self.result.final_status
        return "in-progress" if self.task is not None and not self.task.done() else "queued"


class FakeTwilio:
    """Twilio's Calls REST API on loopback, placing calls with a `TwilioPeer`."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        speed: float = 1.0,
        tunnel: Tunnel | None = None,
        default_line: Line | None = None,
    ) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.speed = speed
        self.tunnel = tunnel
        self.default_line = default_line or Line()
        #: Lose every status and AMD callback on the way (a wrong or unreachable public URL):
        #: the call itself still runs, and its Calls resource still tells its status.
        self.drop_status_callbacks = False
        self.lines: dict[str, Line] = {}
        self.requests: list[RecordedRequest] = []
        self.calls: dict[str, FakeCall] = {}
        self.base_url: str | None = None
        self._peer: TwilioPeer | None = None
        self._http: httpx.AsyncClient | None = None
        self._changed = asyncio.Event()

    # --- serving ----------------------------------------------------------------------

    def app(self) -> Starlette:
        """The ASGI app (its lifespan owns the peer's HTTP client and its running calls)."""
        calls = _BASE + "/Calls.json"
        call = _BASE + "/Calls/{sid}.json"
        return Starlette(
            routes=[
                Route(calls, self._create, methods=["POST"]),
                Route(call, self._update, methods=["POST"]),
                Route(call, self._fetch, methods=["GET"]),
                Route("/{path:path}", self._not_found, methods=["GET", "POST", "DELETE"]),
            ],
            lifespan=self._lifespan,
        )

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve on a loopback port; yield (and keep in `base_url`) the API's base URL."""
        async with serve(self.app()) as url:
            self.base_url = url
            yield url

    @asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10.0) as http:
            self._http = http
            try:
                yield
            finally:
                await self._cancel_calls()
                self._peer = self._http = None

    def _the_peer(self) -> TwilioPeer:
        """The peer, built at the first call, so `speed` and `tunnel` may be set until then
        (e.g. a tunnel to a voice service started after this fake)."""
        if self._peer is None:
            assert self._http is not None, "the app's lifespan is not running"
            # Twilio's side only signs; the base URL it would check against is irrelevant.
            signatures = TwilioSignatures(self.auth_token, "https://api.twilio.com")
            self._peer = TwilioPeer(
                self._http, signatures, self.account_sid, speed=self.speed, tunnel=self.tunnel
            )
        return self._peer

    async def _cancel_calls(self) -> None:
        tasks = [c.task for c in self.calls.values() if c.task and not c.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- what tests read --------------------------------------------------------------

    @property
    def creates(self) -> list[RecordedRequest]:
        """Requests to create a call (`POST …/Calls.json`), in order."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Calls.json")]

    @property
    def updates(self) -> list[RecordedRequest]:
        """Requests to update a call (hang-ups), in order."""
        return [
            r
            for r in self.requests
            if r.method == "POST" and "/Calls/" in r.path and r.path.endswith(".json")
        ]

    def calls_to(self, to: str) -> list[FakeCall]:
        """The calls placed to `to`, oldest first."""
        return [c for c in self.calls.values() if c.to == to]

    def max_calls_in(self, window_seconds: float) -> int:
        """The most call creations accepted within any window of `window_seconds`."""
        times = sorted(c.request.at for c in self.calls.values())
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window_seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def peer_errors(self) -> list[str]:
        """Every problem the peer saw on any call (protocol errors included)."""
        errors: list[str] = []
        for call in self.calls.values():
            if call.crash is not None:
                errors.append(f"{call.sid}: peer crashed: {call.crash!r}")
            if call.result is not None:
                errors += [f"{call.sid}: {e}" for e in call.result.errors]
                if call.result.stream is not None:
                    errors += [f"{call.sid}: {e}" for e in call.result.stream.protocol_errors]
        return errors

    async def wait_for_calls(self, count: int, within_seconds: float = 10.0) -> list[FakeCall]:
        """Wait until at least `count` calls were placed; return them, oldest first."""
        async with asyncio.timeout(within_seconds):
            while len(self.calls) < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.calls.values())

    async def wait_ended(self, call_sid: str, within_seconds: float = 30.0) -> PeerResult:
        """Wait until the call is over (terminal callback sent); return what happened."""
        call = self.calls[call_sid]
        async with asyncio.timeout(within_seconds):
            await call.ended.wait()
        if call.crash is not None:
            raise AssertionError(f"the simulated call {call_sid} crashed") from call.crash
        assert call.result is not None
        return call.result

    async def wait_all_ended(self, within_seconds: float = 30.0) -> list[PeerResult]:
        """Wait until every call placed so far is over."""
        async with asyncio.timeout(within_seconds):
            return [await self.wait_ended(sid, within_seconds) for sid in list(self.calls)]

    # --- the REST API -----------------------------------------------------------------

    async def _record(self, request: Request) -> RecordedRequest:
        body = (await request.body()).decode("utf-8", errors="replace")
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            form=parse_qs(body, keep_blank_values=True),
            authorized=self._authorized(request),
            at=asyncio.get_running_loop().time(),
        )
        self.requests.append(recorded)
        return recorded

    def _authorized(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        account = request.path_params.get("account_sid", self.account_sid)
        return user == self.account_sid == account and password == self.auth_token

    async def _create(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not recorded.authorized:
            return _unauthorized()
        invalid = validate_create(recorded)
        if invalid is not None:
            return invalid.response()
        to = recorded.value("To") or ""
        line = self.lines.get(to, self.default_line)
        if line.rest_error is not None:
            return line.rest_error.response()
        call = self._place(recorded, line)
        return JSONResponse(self._resource(call), status_code=201)

    def _place(self, recorded: RecordedRequest, line: Line) -> FakeCall:
        peer_call = _peer_call(recorded, line, drop_callbacks=self.drop_status_callbacks)
        phone = line.phone() if line.phone else _default_phone(line.scenario)
        call = FakeCall(
            sid=peer_call.call_sid,
            to=peer_call.to,
            from_=peer_call.from_,
            request=recorded,
            peer_call=peer_call,
            phone=phone,
        )
        self.calls[call.sid] = call
        call.task = asyncio.create_task(self._run(call), name=f"fake-twilio-{call.sid}")
        self._changed.set()
        return call

    async def _run(self, call: FakeCall) -> None:
        try:
            call.result = await self._the_peer().run_call(call.peer_call, call.phone)
        except Exception as error:  # a bug in the peer: keep it for the test to see
            logger.exception("simulated call %s crashed", call.sid)
            call.crash = error
        finally:
            call.ended.set()
            self._changed.set()

    async def _update(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not recorded.authorized:
            return _unauthorized()
        call = self.calls.get(request.path_params["sid"])
        if call is None:
            return _not_found_error(request.url.path)
        status = recorded.value("Status")
        if status not in {"completed", "canceled"}:
            return RestError(400, 20001, f"Unsupported update: Status={status!r}").response()
        resource = self._resource(call)
        if call.result is None and self._peer is not None:
            answered = self._peer.is_answered(call.sid)
            # Status=canceled only ends calls that are still queued or ringing.
            if status == "completed" or not answered:
                call.hung_up_via_rest = True
                self._peer.hang_up(call.sid)
                resource["status"] = "completed" if answered else "canceled"
        return JSONResponse(resource)

    async def _fetch(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not recorded.authorized:
            return _unauthorized()
        call = self.calls.get(request.path_params["sid"])
        if call is None:
            return _not_found_error(request.url.path)
        return JSONResponse(self._resource(call))

    async def _not_found(self, request: Request) -> Response:
        await self._record(request)
        return _not_found_error(request.url.path)

    def _status(self, call: FakeCall) -> str:
        """The call's status now: `ringing` until it is answered, as Twilio says it."""
        if call.result is None and self._peer is not None:
            live = self._peer.live_status(call.sid)
            if live is not None:
                return live
        return call.status

    def _resource(self, call: FakeCall) -> dict[str, Any]:
        """The Calls resource JSON, as Twilio returns it."""
        now = format_datetime(datetime.now(UTC))
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Calls/{call.sid}"
        result = call.result
        return {
            "sid": call.sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "status": self._status(call),
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "direction": "outbound-api",
            "answered_by": None,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "start_time": None,
            "end_time": None,
            "duration": str(result.duration_seconds) if result else None,
            "price": None,
            "price_unit": "USD",
            "parent_call_sid": None,
            "phone_number_sid": None,
            "forwarded_from": None,
            "group_sid": None,
            "queue_time": "0",
            "trunk_sid": None,
            "annotation": None,
            "uri": uri + ".json",
            "subresource_uris": {
                name: f"{uri}/{name.title().replace('_', '')}.json"
                for name in ("notifications", "recordings", "events", "streams")
            },
        }


def _unauthorized() -> JSONResponse:
    return RestError(401, 20003, "Authenticate").response()


def _not_found_error(path: str) -> JSONResponse:
    return RestError(404, 20404, f"The requested resource {path} was not found").response()


def _default_phone(scenario: CallScenario) -> PhoneSide:
    if scenario is CallScenario.VOICEMAIL:
        return ScriptedPhone.voicemail()
    return ScriptedPhone.silent()


def _peer_call(recorded: RecordedRequest, line: Line, *, drop_callbacks: bool) -> PeerCall:
    """The call Twilio was asked to place, as the peer plays it (without its status and AMD
    callbacks when `drop_callbacks`)."""
    value = recorded.value
    timeout = float(value("Timeout") or 60)
    amd = bool(value("MachineDetection")) and value("AsyncAmd") == "true"
    # A voicemail box's verdict (machine_end_beep) comes after its greeting and beep.
    default_amd = 3.6 if line.scenario is CallScenario.VOICEMAIL else 2.0
    events = frozenset(recorded.form.get("StatusCallbackEvent", [])) or frozenset({"completed"})
    return PeerCall(
        call_sid=new_call_sid(),
        to=value("To") or "",
        from_=value("From") or "",
        twiml_url=value("Url") or "",
        status_callback_url=None if drop_callbacks else value("StatusCallback"),
        amd_callback_url=value("AsyncAmdStatusCallback") if amd and not drop_callbacks else None,
        scenario=line.scenario,
        status_callback_events=events,
        ring_seconds=line.ring_seconds if line.ring_seconds is not None else 1.0,
        ring_timeout_seconds=line.ring_seconds if line.ring_seconds is not None else timeout,
        time_limit_seconds=float(value("TimeLimit") or 14400),
        amd_seconds=line.amd_seconds if line.amd_seconds is not None else default_amd,
        answered_by=line.answered_by,
    )
