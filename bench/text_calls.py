"""The same persona and the same local agent policy, talking in text: no audio, no recogniser.

What the agent's policy would reach if every word were heard right: the bench compares the deal
rate over audio with this one, persona by persona.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models import Provider
from voice_backend.agents.local import NegotiationPolicy
from voice_backend.sim.persona import Persona
from voice_backend.sim.persona_mind import PersonaMind

__all__ = ["heard_as_text", "policy_for", "text_call"]

_MAX_TURNS = 60


def heard_as_text(text: str) -> str:
    """Text as a recogniser hands it over: lowercase words, no punctuation."""
    cleaned = "".join(
        c if c.isalnum() or c in "' " else " " for c in text.lower().replace("-", " ")
    )
    return " ".join(cleaned.split())


def policy_for(persona: Persona, problem: str, budget: float | None) -> NegotiationPolicy:
    """The agent's policy for a call to `persona` about `problem` at `budget`."""
    return NegotiationPolicy(
        Provider(
            id=1,
            job_id="text",
            service_provider=persona.name,
            phone_number="+14155550100",
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
            problem=problem,
            zip_code="94110",
            max_price=budget,
        )
    )


def text_call(persona: Persona, problem: str, budget: float | None) -> float | None:
    """The job price the policy agrees on with `persona` in text (None: no deal)."""
    mind = PersonaMind(persona, job=problem)
    if not mind.answers:
        return None
    policy = policy_for(persona, problem, budget)
    said: str | None = mind.greeting()
    for _ in range(_MAX_TURNS):
        agent = policy.reply(heard_as_text(said)) if said else policy.on_silence()
        if agent is None or agent.hang_up:
            if agent is not None and agent.text:
                mind.reply(heard_as_text(agent.text))
            break
        turn = mind.reply(heard_as_text(agent.text)) if agent.text else None
        if turn is None:
            break
        if turn.hang_up:
            if turn.text:
                policy.reply(heard_as_text(turn.text))
            break
        said = turn.text
    return policy.agreed_price
