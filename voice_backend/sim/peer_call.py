"""One simulated outbound call as the simulated Twilio sees it: what to do, and what it did.

`PeerCall` says how the call goes (answered, busy, no answer…); `PeerResult` records every
callback sent and what the stream logged; `Tunnel` routes a public base URL to a local one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from voice_backend.sim.media_stream import StreamLog
from voice_backend.twilio.callbacks import AnsweredBy

ALL_CALL_PROGRESS_EVENTS: Final = frozenset({"initiated", "ringing", "answered", "completed"})


class CallScenario(StrEnum):
    """What happens at the provider's end when the call rings."""

    ANSWER = "answer"  # a person picks up
    VOICEMAIL = "voicemail"  # an answering machine picks up (AMD: machine_end_beep)
    NO_ANSWER = "no-answer"  # rings until the ring timeout
    BUSY = "busy"
    FAILED = "failed"  # the carrier could not connect it
    CANCELED = "canceled"  # the call is canceled while it rings


def new_call_sid() -> str:
    """A fresh call SID, shaped like Twilio's (`CA` + 32 hex digits)."""
    return "CA" + secrets.token_hex(16)


def new_stream_sid() -> str:
    """A new Media Streams stream SID."""
    return "MZ" + secrets.token_hex(16)


@dataclass(frozen=True)
class PeerCall:
    """One outbound call as Twilio was asked to place it (the Calls resource's parameters)."""

    call_sid: str
    to: str
    from_: str
    twiml_url: str
    status_callback_url: str | None = None
    amd_callback_url: str | None = None
    scenario: CallScenario = CallScenario.ANSWER
    status_callback_events: frozenset[str] = ALL_CALL_PROGRESS_EVENTS
    #: Call-time seconds it rings before a person or machine answers (or it is canceled).
    ring_seconds: float = 1.0
    #: `Timeout`: how long a `no-answer` call rings.
    ring_timeout_seconds: float = 60.0
    #: `TimeLimit`: the longest the call may last once answered.
    time_limit_seconds: float = 14400.0
    #: Call-time seconds from the stream's start (the phone's first frame) to the AMD verdict.
    amd_seconds: float = 2.0
    #: The AMD verdict; default `human`, or `machine_end_beep` for `voicemail`.
    answered_by: str | None = None

    @property
    def verdict(self) -> str:
        """What the AMD callback says answered."""
        if self.answered_by:
            return self.answered_by
        if self.scenario is CallScenario.VOICEMAIL:
            return AnsweredBy.MACHINE_END_BEEP
        return AnsweredBy.HUMAN


@dataclass(frozen=True)
class Callback:
    """One webhook the peer sent: where, what, and what came back (`status` None: no answer)."""

    kind: str  # "status" | "amd" | "twiml"
    url: str
    params: dict[str, str]
    status: int | None
    error: str | None = None


@dataclass
class PeerResult:
    """What happened on a simulated call."""

    call_sid: str
    final_status: str | None = None
    duration_seconds: int = 0
    end_reason: str | None = None
    callbacks: list[Callback] = field(default_factory=list)
    twiml: str | None = None
    stream_url: str | None = None
    stream: StreamLog | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> list[str]:
        """The `CallStatus` of each status callback sent, in order."""
        return [c.params["CallStatus"] for c in self.callbacks if c.kind == "status"]


@dataclass(frozen=True)
class Tunnel:
    """Routes requests for a public base URL to a local one, as ngrok would.

    Signatures stay over the public URL (what Twilio signs); only the connection goes to
    `local_base_url`. WebSocket URLs follow (`wss://public/…` → `ws://local/…`).
    """

    public_base_url: str
    local_base_url: str

    def route(self, url: str) -> str:
        """Where to connect for `url`."""
        parts = urlsplit(url)
        http_scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        as_http = urlunsplit((http_scheme, *parts[1:]))
        public = self.public_base_url.rstrip("/")
        if not (as_http == public or as_http.startswith(public + "/")):
            return url
        local = self.local_base_url.rstrip("/") + as_http[len(public) :]
        if parts.scheme in {"ws", "wss"}:
            local_parts = urlsplit(local)
            ws_scheme = "wss" if local_parts.scheme == "https" else "ws"
            local = urlunsplit((ws_scheme, *local_parts[1:]))
        return local
