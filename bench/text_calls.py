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

__all__ = ["text_call"]

_MAX_TURNS = 60


def _heard(text: str) -> str:
    """Text as a recogniser hands it over: lowercase words, no punctuation."""
    cleaned = "".join(
        c if c.isalnum() or c in "' " else " " for c in text.lower().replace("-", " ")
    )
    return " ".join(cleaned.split())


def text_call(persona: Persona, problem: str, budget: float | None) -> float | None:
    """The job price the policy agrees on with `persona` in text (None: no deal)."""
    mind = PersonaMind(persona, job=problem)
    if not mind.answers:
        return None
    policy = NegotiationPolicy(
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
    said: str | None = mind.greeting()
    for _ in range(_MAX_TURNS):
        agent = policy.reply(_heard(said)) if said else policy.on_silence()
        if agent is None or agent.hang_up:
            if agent is not None and agent.text:
                mind.reply(_heard(agent.text))
            break
        turn = mind.reply(_heard(agent.text)) if agent.text else None
        if turn is None:
            break
        if turn.hang_up:
            if turn.text:
                policy.reply(_heard(turn.text))
            break
        said = turn.text
    return policy.agreed_price
