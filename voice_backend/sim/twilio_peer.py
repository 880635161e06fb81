"""Plays Twilio (and, through a `PhoneSide`, the provider's phone) against the voice service.

For one outbound call, `TwilioPeer.run_call` does what Twilio does, over real HTTP and a real
WebSocket: signed status callbacks (`initiated`, `ringing`, `answered` with CallStatus
`in-progress`, then the terminal status under the `completed` event), the signed TwiML
fetch when the call is answered, the answering-machine verdict on the AMD callback, and the
bidirectional Media Stream named in `<Connect><Stream>` (see `media_stream`). Tests use it
through the fake Twilio REST API; the offline mode (`TELEPHONY=sim`) will use it directly.

Timing is call time divided by `speed`: `speed=10` rings, talks and ages the phone ten times
faster than real time, on the same protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidURI

from voice_backend.sim.media_stream import EndReason, MediaStreamSession, StreamLog
from voice_backend.sim.peer_call import (
    ALL_CALL_PROGRESS_EVENTS,
    Callback,
    CallScenario,
    PeerCall,
    PeerResult,
    Tunnel,
    new_call_sid,
    new_stream_sid,
)
from voice_backend.sim.phone import PhoneSide, ScriptedPhone
from voice_backend.sim.twiml import StreamInstruction, TwimlError, parse_twiml
from voice_backend.twilio.callbacks import TwilioCallStatus
from voice_backend.twilio.signatures import TwilioSignatures

__all__ = [
    "ALL_CALL_PROGRESS_EVENTS",
    "CallScenario",
    "Callback",
    "EndReason",
    "PeerCall",
    "PeerResult",
    "PhoneSide",
    "ScriptedPhone",
    "StreamLog",
    "Tunnel",
    "TwilioPeer",
    "new_call_sid",
]

logger = logging.getLogger(__name__)

_API_VERSION: Final = "2010-04-01"
_WS_USER_AGENT: Final = "Twilio.TmeWs/1.0"
#: What Twilio spends saying "an application error has occurred" before hanging up.
_APPLICATION_ERROR_SECONDS: Final = 2.0


@dataclass(frozen=True)
class _Wiring:
    """What every call of a peer shares."""

    http: httpx.AsyncClient
    signatures: TwilioSignatures
    account_sid: str
    speed: float
    tunnel: Tunnel | None
    connect_timeout: float

    def route(self, url: str) -> str:
        return self.tunnel.route(url) if self.tunnel else url


class TwilioPeer:
    """Plays Twilio's side of outbound calls against one voice service."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        signatures: TwilioSignatures,
        account_sid: str,
        *,
        speed: float = 1.0,
        tunnel: Tunnel | None = None,
        connect_timeout_seconds: float = 10.0,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._wiring = _Wiring(
            http, signatures, account_sid, speed, tunnel, connect_timeout_seconds
        )
        self._runs: dict[str, _CallRun] = {}

    @property
    def speed(self) -> float:
        """How many times faster than real time calls run."""
        return self._wiring.speed

    def hang_up(self, call_sid: str) -> bool:
        """End a running call, as a REST `Status=completed` would (a call still ringing ends
        `canceled`); False if the call is not running."""
        run = self._runs.get(call_sid)
        if run is None:
            return False
        run.hang_up.set()
        return True

    def is_running(self, call_sid: str) -> bool:
        """Whether `run_call` is still playing this call."""
        return call_sid in self._runs

    def live_status(self, call_sid: str) -> str | None:
        """A running call's status as Twilio's Calls resource says it (`ringing` until it is
        answered, then `in-progress`); `None` once it ended or if it never ran here."""
        run = self._runs.get(call_sid)
        if run is None:
            return None
        return "in-progress" if run.answered_at is not None else "ringing"

    def is_answered(self, call_sid: str) -> bool:
        """Whether this running call has been answered."""
        run = self._runs.get(call_sid)
        return run is not None and run.answered_at is not None

    async def run_call(self, call: PeerCall, phone: PhoneSide | None = None) -> PeerResult:
        """Play the whole call; return what happened. Never raises for the service's faults
        (they are in `PeerResult.errors`); cancelling ends the call without callbacks."""
        if call.call_sid in self._runs:
            raise ValueError(f"call {call.call_sid} is already running")
        run = _CallRun(self._wiring, call, phone or ScriptedPhone.silent(), asyncio.Event())
        self._runs[call.call_sid] = run
        try:
            await run.play()
        finally:
            del self._runs[call.call_sid]
        return run.result


class _CallRun:
    """One call's progress: the state `TwilioPeer.run_call` needs, kept in one place."""

    def __init__(
        self, wiring: _Wiring, call: PeerCall, phone: PhoneSide, hang_up: asyncio.Event
    ) -> None:
        self.wiring = wiring
        self.call = call
        self.phone = phone
        self.hang_up = hang_up
        self.result = PeerResult(call_sid=call.call_sid)
        self.sequence = 0
        self.answered_at: float | None = None
        self.answered_by: str | None = None

    # --- the call's course ------------------------------------------------------------

    async def play(self) -> None:
        await self.status("initiated", TwilioCallStatus.INITIATED)
        scenario = self.call.scenario
        if scenario in {CallScenario.BUSY, CallScenario.FAILED}:
            await self.sleep(0.5)
            return await self.finish(scenario.value)
        await self.status("ringing", TwilioCallStatus.RINGING)
        if scenario is CallScenario.NO_ANSWER:
            hung_up = await self.sleep(self.call.ring_timeout_seconds)
            return await self.finish(
                TwilioCallStatus.CANCELED if hung_up else TwilioCallStatus.NO_ANSWER
            )
        if await self.sleep(self.call.ring_seconds) or scenario is CallScenario.CANCELED:
            return await self.finish(TwilioCallStatus.CANCELED)
        await self.answered()

    async def answered(self) -> None:
        self.answered_at = asyncio.get_running_loop().time()
        await self.status("answered", TwilioCallStatus.IN_PROGRESS)
        await self.execute_twiml()
        await self.finish(TwilioCallStatus.COMPLETED)

    async def execute_twiml(self) -> None:
        try:
            stream = await self.fetch_twiml()
        except TwimlError as error:
            self.result.errors.append(str(error))
            self.result.end_reason = "twiml-failed"
            await self.sleep(_APPLICATION_ERROR_SECONDS)
            return
        if stream is None:
            self.result.end_reason = "no-stream"
            return
        if self.hang_up.is_set():
            self.result.end_reason = EndReason.REST_HANG_UP
            return
        await self.run_stream(stream)

    async def run_stream(self, stream: StreamInstruction) -> None:
        self.result.stream_url = stream.url
        target = self.route(stream.url)
        headers = {"X-Twilio-Signature": self.wiring.signatures.sign(stream.url, {})}
        try:
            ws = await connect(
                target,
                additional_headers=headers,
                user_agent_header=_WS_USER_AGENT,
                open_timeout=self.wiring.connect_timeout,
                ping_interval=None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            self.result.errors.append(f"stream refused: {type(error).__name__}: {error}")
            self.result.end_reason = "stream-refused"
            return
        log = StreamLog(stream_sid=new_stream_sid(), custom_parameters=stream.parameters)
        self.result.stream = log
        session = MediaStreamSession(
            ws,
            account_sid=self.wiring.account_sid,
            call_sid=self.call.call_sid,
            log=log,
            phone=self.phone,
            speed=self.wiring.speed,
            hang_up=self.hang_up,
            time_limit_seconds=self.call.time_limit_seconds,
        )
        # The phone starts talking with the stream, so detection listens from then on.
        amd = asyncio.create_task(self.amd_verdict()) if self.call.amd_callback_url else None
        try:
            self.result.end_reason = await session.run()
        finally:
            if amd is not None:
                amd.cancel()
                await asyncio.gather(amd, return_exceptions=True)
            await ws.close()

    async def finish(self, status: str) -> None:
        self.result.final_status = status
        self.result.duration_seconds = self.duration()
        await self.status("completed", status)

    async def amd_verdict(self) -> None:
        await self.sleep(self.call.amd_seconds, interruptible=False)
        self.answered_by = self.call.verdict
        params = self.base_params() | {
            "AnsweredBy": self.answered_by,
            "MachineDetectionDuration": str(round(self.call.amd_seconds * 1000)),
        }
        await self.post("amd", self.call.amd_callback_url or "", params)

    # --- webhooks ---------------------------------------------------------------------

    async def status(self, event: str, call_status: str) -> None:
        if not self.call.status_callback_url or event not in self.call.status_callback_events:
            return
        params = self.base_params() | {
            "CallStatus": call_status,
            "CallbackSource": "call-progress-events",
            "Timestamp": format_datetime(datetime.now(UTC)),
            "SequenceNumber": str(self.sequence),
        }
        self.sequence += 1
        if event == "completed":
            params["CallDuration"] = str(self.result.duration_seconds)
        if self.answered_by:
            params["AnsweredBy"] = self.answered_by
        await self.post("status", self.call.status_callback_url, params)

    async def fetch_twiml(self) -> StreamInstruction | None:
        params = self.base_params() | {"CallStatus": TwilioCallStatus.IN_PROGRESS}
        response = await self.post("twiml", self.call.twiml_url, params)
        if response is None:
            raise TwimlError("TwiML fetch failed: no answer")
        if not response.is_success:
            raise TwimlError(f"TwiML fetch failed: HTTP {response.status_code}")
        self.result.twiml = response.text
        return parse_twiml(response.text)

    def base_params(self) -> dict[str, str]:
        return {
            "AccountSid": self.wiring.account_sid,
            "ApiVersion": _API_VERSION,
            "CallSid": self.call.call_sid,
            "Called": self.call.to,
            "Caller": self.call.from_,
            "Direction": "outbound-api",
            "From": self.call.from_,
            "To": self.call.to,
        }

    async def post(self, kind: str, url: str, params: dict[str, str]) -> httpx.Response | None:
        """POST a signed form to `url` (through the tunnel); record it either way."""
        headers = {"X-Twilio-Signature": self.wiring.signatures.sign(url, params)}
        try:
            response = await self.wiring.http.post(self.route(url), data=params, headers=headers)
        except httpx.HTTPError as error:
            message = f"{kind} webhook failed: {type(error).__name__}"
            self.result.callbacks.append(Callback(kind, url, params, None, message))
            self.result.errors.append(message)
            return None
        self.result.callbacks.append(Callback(kind, url, params, response.status_code))
        if not response.is_success and kind != "twiml":
            self.result.errors.append(f"{kind} webhook answered HTTP {response.status_code}")
        return response

    # --- helpers ----------------------------------------------------------------------

    def route(self, url: str) -> str:
        return self.wiring.route(url)

    async def sleep(self, call_seconds: float, *, interruptible: bool = True) -> bool:
        """Wait `call_seconds` of call time; True if a REST hang-up came meanwhile."""
        delay = max(0.0, call_seconds / self.wiring.speed)
        if not interruptible:
            await asyncio.sleep(delay)
            return False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self.hang_up.wait()
        return self.hang_up.is_set()

    def duration(self) -> int:
        """Whole call-time seconds since the answer (Twilio's `CallDuration`)."""
        if self.answered_at is None:
            return 0
        elapsed = (asyncio.get_running_loop().time() - self.answered_at) * self.wiring.speed
        return max(1, math.ceil(elapsed - 1e-6))
