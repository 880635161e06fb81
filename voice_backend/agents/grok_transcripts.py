"""The words of a Grok session: the agent's per response, the caller's per utterance.

xAI streams the agent's words as transcript deltas (the `.done` event may lack the text) and
the caller's as partials on the `.completed` event with `status: "in_progress"`; this keeps
both and reports each finished text once, as `AgentSaid` or `ProviderSaid`.
"""

from __future__ import annotations

import logging

from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import AgentEvent, AgentSaid, ProviderSaid

logger = logging.getLogger(__name__)


class GrokTranscripts:
    """Assembles one session's transcripts; `label` tags its log lines."""

    def __init__(self, label: str) -> None:
        self._label = label
        # Agent speech: transcript pieces and item per response.
        self._transcripts: dict[str, list[str]] = {}
        self._transcript_items: dict[str, str | None] = {}
        # Caller speech: latest partial and last reported final, per item.
        self._partials: dict[str, str] = {}
        self._heard: dict[str, str] = {}

    def agent_delta(self, event: wire.TranscriptDelta) -> None:
        """A piece of the agent's words."""
        key = _response_key(event.response_id, event.item_id)
        self._transcripts.setdefault(key, []).append(event.delta)
        self._transcript_items.setdefault(key, event.item_id)

    def agent_done(self, event: wire.TranscriptDone) -> list[AgentEvent]:
        """The agent's transcript for a response is complete."""
        key = _response_key(event.response_id, event.item_id)
        return self._agent_said(key, fallback=event.transcript or "", item_id=event.item_id)

    def response_over(self, response_id: str | None) -> list[AgentEvent]:
        """A response ended: what it said, if its transcript `.done` never came (a cancelled,
        interrupted turn may not get one). Without an id, every open transcript is reported."""
        keys = [response_id] if response_id else list(self._transcripts)
        events: list[AgentEvent] = []
        for key in keys:
            if key in self._transcripts:
                events.extend(self._agent_said(key))
        return events

    def caller(self, event: wire.InputTranscription) -> list[AgentEvent]:
        """A transcript of the caller's: partials are kept, a final is reported once."""
        if not event.final:
            self._partials[event.item_id] = event.transcript
            return []
        self._partials.pop(event.item_id, None)
        return self._provider_said(event.item_id, event.transcript)

    def flush_partials(self, keep: str | None = None) -> list[AgentEvent]:
        """Report the partials that never got a final (all but `keep`'s) as what was said."""
        events: list[AgentEvent] = []
        for item_id in [item for item in self._partials if item != keep]:
            events.extend(self._provider_said(item_id, self._partials.pop(item_id)))
        return events

    def _agent_said(
        self, key: str, *, fallback: str = "", item_id: str | None = None
    ) -> list[AgentEvent]:
        # The deltas are what was actually generated; `.done` may carry nothing at all.
        text = "".join(self._transcripts.pop(key, [])).strip() or fallback.strip()
        item_id = self._transcript_items.pop(key, None) or item_id
        if not text:
            return []
        logger.debug("[%s] agent said: %s", self._label, text)
        return [AgentSaid(text, item_id, key or None)]

    def _provider_said(self, item_id: str, text: str) -> list[AgentEvent]:
        text = text.strip()
        if not text or self._heard.get(item_id) == text:
            return []
        self._heard[item_id] = text
        logger.debug("[%s] provider said: %s", self._label, text)
        return [ProviderSaid(text, item_id)]


def _response_key(response_id: str | None, item_id: str | None) -> str:
    return response_id or item_id or ""
