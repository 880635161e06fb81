"""What the local agent's policy hands back: its next turn, and the negotiation's state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.models import Outcome

__all__ = ["AgentTurn", "PolicyState", "Stage"]


@dataclass(frozen=True)
class AgentTurn:
    """What the agent says next (`text` may be empty), and whether it hangs up after saying it."""

    text: str
    hang_up: bool = False


class Stage(StrEnum):
    """Where the call is, from the agent's side."""

    START = "start"  # nothing said yet
    IDENTITY = "identity"  # asked "is this {name}?"
    CAN_HELP = "can_help"  # stated the problem, asked whether they can help
    ESTIMATE = "estimate"  # asked for a price
    NEGOTIATING = "negotiating"  # heard a price; countering or asking for their best
    PARTS = "parts"  # about to take a price "plus parts": asked what the parts add
    CONFIRMING = "confirming"  # said the deal back ("so that's …, is that right?")
    DONE = "done"  # said the closing (or hung up on a voicemail)


@dataclass(frozen=True)
class PolicyState:
    """The negotiation as the agent sees it, for tests and metrics.

    `quote` is the first job price the provider named, `offer` their latest, `counter` the
    agent's latest counter-offer (None when it last asked for their best price without naming
    one), `fee` a trip or diagnostic fee on top (0 when none), `agreed_price` the price the
    call closed on, fee included (None without a deal), with `conditions` as the agent
    restated them.
    """

    stage: Stage
    quote: float | None
    offer: float | None
    counter: float | None
    fee: float
    pushes: int
    agreed_price: float | None
    conditions: tuple[str, ...]
    outcome: Outcome | None
