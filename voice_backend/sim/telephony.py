"""Simulated telephony (`TELEPHONY=sim`): calls to simulated providers on this machine.

`SimTelephony` places a call the way Twilio's REST API would, then plays Twilio and the
provider's phone itself with `TwilioPeer`, in this process, against the voice service's public
address: signed status callbacks, the signed TwiML fetch, the Media Streams WebSocket and the
answering-machine verdict. The voice service runs the same code as for a real call.

Who answers is a persona (`voice_backend/sim/personas/*.toml`). Each persona has a number in
`sim_directory` (its own `phone`, should persona files gain one; else +1 415 555 01NN, in
file-name order); any other number reaches one of them, picked from the number, so numbers
typed into the dashboard reach someone too.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import Final

import httpx

from voice_backend.sim.persona import Persona, PersonaKind
from voice_backend.sim.persona_phone import PersonaPhone, PhoneTiming
from voice_backend.sim.twilio_peer import (
    CallScenario,
    PeerCall,
    PeerResult,
    Tunnel,
    TwilioPeer,
    new_call_sid,
)
from voice_backend.speech import Recognizer
from voice_backend.speech.tts import SpeechSynthesizer
from voice_backend.telephony.base import DialError, DialRequest, DirectoryEntry
from voice_backend.twilio.signatures import TwilioSignatures

__all__ = ["SIM_ACCOUNT_SID", "SIM_CALLER_ID", "SimTelephony", "sim_directory"]

logger = logging.getLogger(__name__)

SIM_ACCOUNT_SID: Final = "AC" + "0" * 32
#: The number simulated calls come from.
SIM_CALLER_ID: Final = "+14155550000"
_FIRST_NUMBER: Final = 14155550101

_SCENARIOS: Final = {
    PersonaKind.HUMAN: CallScenario.ANSWER,
    PersonaKind.DECLINES: CallScenario.ANSWER,
    PersonaKind.VOICEMAIL: CallScenario.VOICEMAIL,
    PersonaKind.NO_ANSWER: CallScenario.NO_ANSWER,
    PersonaKind.BUSY: CallScenario.BUSY,
}
#: How long a phone rings before someone (or a machine) answers.
_RING_SECONDS: Final = 2.0
#: When a person answers, how soon the carrier's answering-machine detection says "human".
_HUMAN_VERDICT_SECONDS: Final = 2.5
#: Finished calls whose phone and result stay readable.
_KEEP_FINISHED: Final = 200


def sim_directory(personas: Mapping[str, Persona]) -> dict[str, str]:
    """Each persona's number (E.164) → its key: its own `phone` when its file gives one, else
    numbered in key order from +1 415 555 0101 (skipping numbers taken)."""
    directory: dict[str, str] = {}
    for key in sorted(personas):
        own = getattr(personas[key], "phone", None)
        if isinstance(own, str) and own:
            directory[own] = key
    candidate = _FIRST_NUMBER
    for key in sorted(personas):
        if key in directory.values():
            continue
        while f"+{candidate}" in directory:
            candidate += 1
        directory[f"+{candidate}"] = key
        candidate += 1
    return dict(sorted(directory.items()))


class SimTelephony:
    """Implements `voice_backend.telephony.base.Telephony` with simulated calls.

    `public_base_url` is the voice service's address (the simulated Twilio reaches it there),
    `auth_token` the key webhooks are signed with (the one the service checks), `speed` how
    many times faster than real time calls run.
    """

    def __init__(
        self,
        *,
        public_base_url: str,
        auth_token: str,
        personas: Mapping[str, Persona],
        account_sid: str = SIM_ACCOUNT_SID,
        caller_id: str = SIM_CALLER_ID,
        speed: float = 1.0,
        synthesizer: SpeechSynthesizer | None = None,
        recognizer: Recognizer | None = None,
        timing: PhoneTiming | None = None,
    ) -> None:
        if not personas:
            raise ValueError("no simulated providers: the persona folder is empty")
        self._personas = dict(personas)
        self._directory = sim_directory(self._personas)
        self._caller_id = caller_id
        self._synthesizer = synthesizer
        self._recognizer = recognizer
        self._timing = timing
        self._http = httpx.AsyncClient(timeout=10.0)
        self._public_base_url = public_base_url.rstrip("/")
        self._local_base_url = self._public_base_url
        self._signatures = TwilioSignatures(auth_token, public_base_url)
        self._account_sid = account_sid
        self._speed = speed
        self._peer = TwilioPeer(self._http, self._signatures, account_sid, speed=speed)
        self._calls: dict[str, asyncio.Task[PeerResult | None]] = {}
        self.phones: dict[str, PersonaPhone] = {}
        self.results: dict[str, PeerResult] = {}

    @property
    def directory(self) -> dict[str, str]:
        """Number → persona key."""
        return dict(self._directory)

    def directory_entries(self) -> list[DirectoryEntry] | None:
        """Every persona with its number, in key order."""
        entries = [
            DirectoryEntry(
                key=key,
                name=self._personas[key].name,
                phone=number,
                kind=self._personas[key].kind.value,
                description=self._personas[key].description,
                trade=self._personas[key].trade,
            )
            for number, key in self._directory.items()
        ]
        return sorted(entries, key=lambda entry: entry.key)

    def listening_at(self, local_base_url: str) -> None:
        """The voice service is reached at `local_base_url` (the port it actually listens on):
        the simulated Twilio connects there, still signing its webhooks over the public URL.

        Sim mode's default public URL names port 6000; a service started on another port says
        where it is with the first request it gets, before any call can start.
        """
        local = local_base_url.rstrip("/")
        if local == self._local_base_url:
            return
        if self._calls:
            logger.warning("sim: the service moved to %s with calls running; ignored", local)
            return
        self._local_base_url = local
        tunnel = None if local == self._public_base_url else Tunnel(self._public_base_url, local)
        self._peer = TwilioPeer(
            self._http, self._signatures, self._account_sid, speed=self._speed, tunnel=tunnel
        )

    def persona_for(self, number: str) -> Persona:
        """Who answers `number`: its persona, or one picked from the number."""
        key = self._directory.get(number)
        if key is None:
            keys = sorted(self._personas)
            digest = hashlib.sha256(number.encode()).digest()
            key = keys[int.from_bytes(digest[:4], "big") % len(keys)]
        return self._personas[key]

    async def place_call(self, request: DialRequest) -> str:
        """Start the simulated call in the background; its call SID at once."""
        if not request.to.startswith("+"):
            raise DialError(f"sim: {request.to!r} is not an E.164 number")
        persona = self.persona_for(request.to)
        call_sid = new_call_sid()
        phone = PersonaPhone(
            persona,
            job=request.job,
            synthesizer=self._synthesizer,
            recognizer=self._recognizer,
            timing=self._timing,
        )
        self.phones[call_sid] = phone
        task = asyncio.create_task(self._run(call_sid, request, phone), name=f"sim-{call_sid}")
        self._calls[call_sid] = task
        task.add_done_callback(lambda _t: self._calls.pop(call_sid, None))
        logger.info("sim: calling %s (%s)", persona.name, persona.kind.value)
        return call_sid

    async def hang_up(self, call_sid: str) -> None:
        """End the call as Twilio's REST API would; an ended call is no error."""
        self._peer.hang_up(call_sid)

    async def call_status(self, call_sid: str) -> str | None:
        """The simulated call's status, as Twilio's Calls resource would say it; `None` for a
        call never placed here (or long forgotten)."""
        live = self._peer.live_status(call_sid)
        if live is not None:
            return live
        result = self.results.get(call_sid)
        if result is not None and result.final_status:
            return result.final_status
        return "queued" if call_sid in self._calls else None

    async def close(self) -> None:
        """Drop every call still running and the HTTP client."""
        tasks = list(self._calls.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._http.aclose()

    async def wait_idle(self) -> None:
        """Until no simulated call runs (for tests and measurements)."""
        while self._calls:
            await asyncio.gather(*list(self._calls.values()), return_exceptions=True)

    async def _run(
        self, call_sid: str, request: DialRequest, phone: PersonaPhone
    ) -> PeerResult | None:
        persona = phone.persona
        scenario = _SCENARIOS[persona.kind]
        try:
            await phone.prepare()
            if scenario is CallScenario.VOICEMAIL:
                # The verdict (machine_end_beep) comes a moment after the greeting and its beep.
                amd_seconds = phone.greeting_seconds + 2.0
            else:
                amd_seconds = _HUMAN_VERDICT_SECONDS
            call = PeerCall(
                call_sid=call_sid,
                to=request.to,
                from_=self._caller_id,
                twiml_url=request.twiml_url,
                status_callback_url=request.status_callback_url,
                amd_callback_url=request.amd_callback_url,
                scenario=scenario,
                ring_seconds=_RING_SECONDS,
                ring_timeout_seconds=float(request.ring_timeout_seconds),
                time_limit_seconds=float(request.time_limit_seconds),
                amd_seconds=amd_seconds,
            )
            result = await self._peer.run_call(call, phone)
            await phone.hear_out()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sim: the call to %s crashed", persona.name)
            return None
        finally:
            phone.close()
        for error in result.errors:
            logger.warning("sim: call to %s: %s", persona.name, error)
        self.results[call_sid] = result
        self._forget_old_calls()
        return result

    def _forget_old_calls(self) -> None:
        # Kept for tests and measurements to read; a long-running service keeps only the last.
        for done in list(self.results)[: max(0, len(self.results) - _KEEP_FINISHED)]:
            self.results.pop(done, None)
            self.phones.pop(done, None)
