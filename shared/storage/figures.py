"""Figures across jobs, for the analytics: per job, counts of calls by how they went, the
attempts and their cost, the best deal; across the jobs, the outcomes and the savings.

Definitions (the dashboard shows them next to the numbers):

* a call is *placed* once it has left `pending` (dialled, whatever happened next);
* it *connected* when someone talked: `in_progress` or `completed` (a voicemail, busy line or
  unanswered call did not);
* it *agreed* when a price was agreed (`outcome == "agreed"`, or a completed call with a price);
* it was *not reached* when it failed without anyone talking for a reason on the line's side
  (busy, unanswered, voicemail, a number that could not be dialled); a call that failed on our
  side (`error`) counts as an *error* instead;
* its *saving* is the first quote minus the agreed price, when both are known, the first
  quote is credible (the price reader is not `low` on it) and the saving positive: the rule of
  `shared.money.credible_saving`, the same rule the board, the CLI and the demo show;
* an *attempt* is a call that was dialled or has ended, earlier attempts included; its
  *cost* is the estimate stored with it.

`FiguresStore.figures` computes them here from the rows, for a backend that cannot aggregate
(Supabase through PostgREST); the SQL store answers the same with a few aggregate queries.
"""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.costs import total_cost
from shared.models import Attempt, CallStatus, Job, Outcome, Provider
from shared.money import credible_saving

_TALKED = (CallStatus.IN_PROGRESS, CallStatus.COMPLETED)
_LIVE = (CallStatus.DIALING, CallStatus.IN_PROGRESS)


@dataclass(frozen=True)
class BestDeal:
    """A job's lowest agreed price (the first call to reach it, on a tie)."""

    provider_id: int
    name: str
    price: float
    first_quote: float | None
    #: How sure the price reader was of the first quote (`low`: no saving is shown).
    first_quote_confidence: str | None


@dataclass(frozen=True)
class JobFigures:
    """One job's calls, counted."""

    job: Job
    providers: int
    calls_placed: int
    in_progress: int
    connected: int
    not_reached: int
    errors: int
    declined: int
    agreed: int
    attempts: int
    #: The estimated cost of every attempt, rounded to four decimals.
    cost: float
    best: BestDeal | None


@dataclass(frozen=True)
class Savings:
    """The calls that saved something against a nonzero first quote, across the jobs."""

    count: int
    #: The sum of their savings (unrounded).
    total: float
    #: The sum of each saving divided by its first quote (unrounded).
    share: float

    @classmethod
    def of(cls, saved: Sequence[tuple[float, float]]) -> Savings:
        """The savings of `(saving, first quote)` pairs, summed in the order given (the jobs'
        order, then the calls'): a float sum depends on its order, and the averages are
        rounded from it."""
        return cls(
            count=len(saved),
            total=sum(amount for amount, _ in saved),
            share=sum(amount / quote for amount, quote in saved),
        )


@dataclass(frozen=True)
class Figures:
    """The figures of a list of jobs (newest first)."""

    jobs: list[JobFigures]
    #: Calls per outcome, in the order each outcome first appears (job by job, call by call).
    outcomes: dict[str, int]
    savings: Savings


def placed(provider: Provider) -> bool:
    """The call was dialled."""
    return provider.call_status is not CallStatus.PENDING


def connected(provider: Provider) -> bool:
    """Someone talked on the call."""
    return provider.call_status in _TALKED


def agreed(provider: Provider) -> bool:
    """A price was agreed on the call."""
    if provider.negotiated_price is None:
        return False
    return provider.outcome is Outcome.AGREED or (
        provider.outcome is None and provider.call_status is CallStatus.COMPLETED
    )


def not_reached(provider: Provider) -> bool:
    """The call failed on the line's side (busy, unanswered, voicemail, not diallable)."""
    return provider.call_status is CallStatus.FAILED and provider.outcome is not Outcome.ERROR


def errored(provider: Provider) -> bool:
    """The call failed on our side."""
    return provider.outcome is Outcome.ERROR


def saving(provider: Provider) -> float | None:
    """The credible saving of an agreed call (`None` for any other call)."""
    if not agreed(provider):
        return None
    confidence = (provider.price_confidence or {}).get("first_quote")
    return credible_saving(provider.minimum_quote, provider.negotiated_price, confidence)


def best_deal(providers: Iterable[Provider]) -> BestDeal | None:
    """The lowest agreed price (the first one to reach it, on a tie)."""
    deals = [provider for provider in providers if agreed(provider)]
    if not deals:
        return None
    best = min(deals, key=lambda provider: (provider.negotiated_price, provider.id))
    assert best.negotiated_price is not None
    return BestDeal(
        provider_id=best.id,
        name=best.service_provider,
        price=best.negotiated_price,
        first_quote=best.minimum_quote,
        first_quote_confidence=(best.price_confidence or {}).get("first_quote"),
    )


def job_figures(job: Job, providers: Sequence[Provider], attempts: Sequence[Attempt]) -> JobFigures:
    """One job's figures from its provider rows and every attempt of its calls."""
    return JobFigures(
        job=job,
        providers=len(providers),
        calls_placed=sum(map(placed, providers)),
        in_progress=sum(provider.call_status in _LIVE for provider in providers),
        connected=sum(map(connected, providers)),
        not_reached=sum(map(not_reached, providers)),
        errors=sum(map(errored, providers)),
        declined=sum(provider.outcome is Outcome.DECLINED for provider in providers),
        agreed=sum(map(agreed, providers)),
        attempts=len(attempts),
        cost=total_cost(attempts),
        best=best_deal(providers),
    )


class FiguresStore(abc.ABC):
    """The part of the `Store` interface the analytics read."""

    async def figures(self, limit: int, account_id: str | None) -> Figures:
        """The figures of the account's newest `limit` jobs (everyone's with `None`).

        Computed here from every row of those jobs; a backend that can aggregate where the
        rows are answers the same with a few rows (`sql_figures.py`)."""
        lines: list[JobFigures] = []
        outcomes: Counter[str] = Counter()
        saved: list[tuple[float, float]] = []
        for job in await self.list_jobs(limit, account_id):
            providers = await self.list_providers(job.id)
            lines.append(job_figures(job, providers, await self.list_attempts(job.id)))
            outcomes.update(provider.outcome.value for provider in providers if provider.outcome)
            for provider in providers:
                amount = saving(provider)
                if amount is not None and provider.minimum_quote:
                    saved.append((amount, provider.minimum_quote))
        return Figures(
            jobs=lines,
            outcomes=dict(outcomes),
            savings=Savings.of(saved),
        )

    # -- what the figures above need --------------------------------------------------------

    @abc.abstractmethod
    async def list_jobs(self, limit: int = 100, account_id: str | None = None) -> list[Job]:
        """The newest jobs first."""

    @abc.abstractmethod
    async def list_providers(self, job_id: str) -> list[Provider]:
        """A job's provider rows, in id order."""

    @abc.abstractmethod
    async def list_attempts(self, job_id: str) -> list[Attempt]:
        """Every attempt of a job's calls that has been dialled."""
