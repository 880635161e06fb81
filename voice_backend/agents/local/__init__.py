"""The offline local agent: the Grok Realtime session's job, on this machine.

`agent.py` is the voice session (voice activity detection, speech recognition, speech
synthesis, turn-taking); `policy.py` decides what to say (the conversation), with `bargain.py`
(the moves on a price), `budget.py` (the counters' arithmetic), `hearing.py` (what the provider
meant), `answers.py` (answers about the job), `phrases.py` (what it listens for) and `state.py`
(its turn and state).
"""

from __future__ import annotations

from voice_backend.agents.local.agent import (
    AGENT_VOICE,
    LocalAgent,
    LocalAgentTiming,
    local_agent_factory,
)
from voice_backend.agents.local.hearing import looks_like_voicemail
from voice_backend.agents.local.policy import NegotiationPolicy
from voice_backend.agents.local.state import AgentTurn, PolicyState, Stage

__all__ = [
    "AGENT_VOICE",
    "AgentTurn",
    "LocalAgent",
    "LocalAgentTiming",
    "NegotiationPolicy",
    "PolicyState",
    "Stage",
    "local_agent_factory",
    "looks_like_voicemail",
]
