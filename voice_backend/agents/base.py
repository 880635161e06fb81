"""The agent interface the call bridge talks to, and the domain events agents produce.

An agent hears the provider (μ-law 8 kHz, as Twilio sends it) and speaks back (μ-law 8 kHz,
as Twilio plays it), whatever it uses inside. The bridge never sees a wire message of the
model: agents parse their protocol at the edge and yield these events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from shared.models import Provider
from voice_backend.wire_audio import ItemAudio


class AgentAudio(ItemAudio):
    """Agent speech to play: μ-law 8 kHz of the response item `item_id`.

    Built from bytes (`AgentAudio(mulaw, item_id, response_id)`) or, when the model already
    speaks μ-law, from its base64 text (`b64=`), which then goes to Twilio as it came.
    """

    __slots__ = ()


@dataclass(frozen=True)
class AgentSaid:
    """The full text of one agent response, once it is complete."""

    text: str
    item_id: str | None = None
    response_id: str | None = None


@dataclass(frozen=True)
class ProviderSaid:
    """What the provider said in one utterance (`item_id` identifies it; the last wins)."""

    text: str
    item_id: str


@dataclass(frozen=True)
class ProviderStartedSpeaking:
    """The agent's voice activity detection heard the provider start to speak."""

    item_id: str | None = None


@dataclass(frozen=True)
class ProviderStoppedSpeaking:
    """The provider stopped speaking."""

    item_id: str | None = None


@dataclass(frozen=True)
class ResponseDone:
    """The agent finished a turn (all its audio for it has been sent)."""

    response_id: str | None = None


class HangUpKind(StrEnum):
    """Why the agent hangs up, as the bridge acts on it."""

    #: The conversation is over (agreed, declined, wrapped up): the agent said goodbye.
    GOODBYE = "goodbye"
    #: An answering machine took the call: the agent leaves without a message.
    VOICEMAIL = "voicemail"


@dataclass(frozen=True)
class HangUpRequested:
    """The agent called its `end_call` tool: hang up once its goodbye has played.

    `kind` is what the bridge decides on; `reason` is the agent's own words, for the logs.
    """

    call_id: str | None = None
    reason: str | None = None
    kind: HangUpKind = HangUpKind.GOODBYE


@dataclass(frozen=True)
class AgentFailed:
    """The agent's session failed and cannot go on (the call must end)."""

    message: str


AgentEvent = (
    AgentAudio
    | AgentSaid
    | ProviderSaid
    | ProviderStartedSpeaking
    | ProviderStoppedSpeaking
    | ResponseDone
    | HangUpRequested
    | AgentFailed
)


class WrapUp(StrEnum):
    """Why the bridge asks the agent to close the call now."""

    TIME = "time"  # the call reached its time limit
    SILENCE = "silence"  # the line stayed silent too long


class AgentError(Exception):
    """The agent could not start (connection refused, session not configured as asked…)."""


class Agent(Protocol):
    """One agent session for one call."""

    async def start(self) -> None:
        """Open the session, configure it, and make the agent speak first.

        Returns once the agent is ready and has been asked to greet; raises `AgentError`.
        """

    async def send_audio(self, mulaw: bytes) -> None:
        """Provider audio: μ-law 8 kHz, any length (Twilio sends 20 ms frames)."""

    async def send_audio_b64(self, mulaw_b64: str) -> None:
        """Provider audio as Twilio sent it: μ-law 8 kHz in base64 (checked with
        `voice_backend.wire_audio.is_base64`). An agent that speaks μ-law passes it on as is."""

    def events(self) -> AsyncIterator[AgentEvent]:
        """The agent's events, until the session ends (then the iterator stops)."""

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        """The provider interrupted: only the first `audio_end_ms` of `item_id` were heard."""

    async def request_goodbye(self, reason: WrapUp) -> None:
        """Ask the agent to close the call now (time or silence limit): it says its closing
        line and then asks to hang up. `reason` says why."""

    async def hear_out(self, within: float) -> list[AgentEvent]:
        """The line closed: what the provider said last that is still being transcribed (an
        utterance cut by the hang-up, one still being recognised), waited for at most `within`
        seconds and never answered. Called once, before `close()`; the events not yet read
        from `events()` that belong in the transcript come back with it."""

    async def close(self) -> None:
        """End the session (idempotent)."""


#: Takes the agent's audio on the direct path, as `AgentAudio`'s fields without the object: the
#: μ-law 8 kHz as base64 text, its length in bytes, its item id and its response id.
AudioSink = Callable[[str, int, str | None, str | None], None]


@runtime_checkable
class DirectAudio(Protocol):
    """An agent whose audio can move without a task switch (`GrokAgent`): it takes provider
    audio synchronously, and hands its own audio to a sink in its socket's callback."""

    def send_audio_b64_now(self, mulaw_b64: str) -> None:
        """`Agent.send_audio_b64`, done before returning."""

    def set_audio_sink(self, sink: AudioSink | None) -> None:
        """Hand the agent's audio to `sink` as it arrives whenever the reader of `events()`
        waits for its next event (the order of events is kept); `None`: all via `events()`."""


#: Builds the agent for a provider's call.
AgentFactory = Callable[[Provider], Agent]
