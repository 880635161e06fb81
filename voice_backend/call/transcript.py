"""A call's transcript, assembled in spoken order from the agent's events."""

from __future__ import annotations

from dataclasses import dataclass

from shared.models import TranscriptTurn
from voice_backend.agents.base import (
    AgentEvent,
    AgentSaid,
    ProviderSaid,
    ProviderStartedSpeaking,
)


@dataclass
class _Slot:
    role: str
    text: str = ""


class Transcript:
    """Turns in the order they were spoken, not the order their text arrived.

    A provider's utterance takes its place when they start speaking (its transcription arrives
    later, often after the agent has already answered); an agent response takes its place when
    its audio starts. Transcriptions of the same utterance replace each other (the last wins).
    """

    def __init__(self) -> None:
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._anonymous = 0

    def _slot(self, role: str, key: str | None) -> _Slot:
        if key is None:
            self._anonymous += 1
            key = f"#{self._anonymous}"
        return self._slots.setdefault((role, key), _Slot(role))

    def record(self, events: list[AgentEvent]) -> None:
        """Take the events that carry words or a turn's place; the others change nothing."""
        for event in events:
            if isinstance(event, AgentSaid):
                self.agent_said(event.response_id, event.text)
            elif isinstance(event, ProviderStartedSpeaking):
                self.provider_started(event.item_id)
            elif isinstance(event, ProviderSaid):
                self.provider_said(event.item_id, event.text)

    def provider_started(self, item_id: str | None) -> None:
        """The provider began an utterance: reserve its place."""
        if item_id is not None:
            self._slot("user", item_id)

    def provider_said(self, item_id: str, text: str) -> None:
        """A transcription of a provider utterance (replaces an earlier one of the same item)."""
        self._slot("user", item_id).text = text.strip()

    def agent_started(self, response_id: str | None) -> None:
        """The agent began speaking a response: reserve its place."""
        if response_id is not None:
            self._slot("assistant", response_id)

    def agent_said(self, response_id: str | None, text: str) -> None:
        """The full text of an agent response."""
        slot = self._slot("assistant", response_id)
        slot.text = (slot.text + " " + text.strip()).strip() if slot.text else text.strip()

    def turns(self) -> list[TranscriptTurn]:
        """The non-empty turns, in spoken order."""
        return [
            TranscriptTurn(role="assistant" if slot.role == "assistant" else "user", text=slot.text)
            for slot in self._slots.values()
            if slot.text
        ]
