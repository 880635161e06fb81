"""The original's intake flow: describe the job (`start-job`), answer the clarifying questions
(`complete-job`). Unlike the original, the job is stored from the first step."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, status

from api.auth.guard import PrincipalDep, authenticate
from api.deps import IntakeDep, JobLocksDep, SearchDep, SettingsDep, StoreDep
from api.guardrails import admissible, without_blocked
from api.intake.base import answered_pairs, numbered
from api.intake.offline import problem_statement
from api.intake_schemas import (
    CompleteJobIn,
    CompleteJobOut,
    QuestionOut,
    StartJobIn,
    StartJobOut,
)
from api.providers import checked, dialable, not_yet_in
from api.routes.jobs import job_or_404
from api.schemas import JobOut, ProviderOut
from shared.context import knowledge, pairs_from_answers
from shared.model_errors import describe_failure
from shared.models import JobCreate, ProviderCreate

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])

#: How many providers a search may add to a job (the original's MAX_PROVIDERS).
SEARCH_LIMIT = 5

COLLECTING_INFO, READY_FOR_SEARCH, SEARCHED = "collecting_info", "ready_for_search", "searched"


@router.post("/start-job")
async def start_job(
    body: StartJobIn, store: StoreDep, intake: IntakeDep, principal: PrincipalDep
) -> StartJobOut:
    """Infer the task, ask the clarifying questions, and store the job."""
    clarification = await intake.clarify(body.query)
    questions = numbered(clarification.questions)
    job = await store.create_job(
        JobCreate(
            # Until the answers come, the agent's line is the request rewritten offline.
            problem=problem_statement(body.query),
            original_query=body.query,
            zip_code=body.zip_code,
            max_price=body.price_limit,
            house_address=body.house_address or None,
            date_needed=body.date_needed or None,
            task=clarification.task,
            questions=questions,
            status=COLLECTING_INFO,
            account_id=principal.account_id,
            followup_minutes=body.followup_minutes,
        )
    )
    logger.info(
        "job started",
        extra={"job_id": job.id, "task": clarification.task, "source": clarification.source},
    )
    return StartJobOut(
        job_id=job.id,
        task=clarification.task,
        questions=[QuestionOut(**question) for question in questions],
    )


@router.post("/complete-job")
async def complete_job(
    body: CompleteJobIn,
    store: StoreDep,
    intake: IntakeDep,
    search: SearchDep,
    settings: SettingsDep,
    locks: JobLocksDep,
    principal: PrincipalDep,
) -> CompleteJobOut:
    """Store the answers and the problem statement, then the providers: those in the request,
    or those a configured search finds. A repeated call adds no number twice."""
    requested: list[ProviderCreate] = []
    if body.providers:
        if len(body.providers) > settings.max_providers_per_request:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"at most {settings.max_providers_per_request} providers per request",
            )
        requested = checked(body.providers, settings)  # 422 stores nothing
    async with locks.hold(body.job_id):
        job = await job_or_404(store, body.job_id, principal)
        if requested:  # 422 (do-not-call, per-job cap) before anything changes
            await admissible(store, job, requested, await store.list_providers(job.id), settings)
        answers = {key: value for key, value in body.answers.items() if value}
        pairs = answered_pairs(job.questions, answers)
        query = job.original_query or job.problem
        statement = await intake.problem_statement(query, job.task or "handyman", pairs)
        context = pairs_from_answers(job.questions, answers)
        updated = await store.update_job(
            job.id,
            clarifications=answers,
            context_pairs=context or None,
            context_answers=" ".join(knowledge(context)) or None,
            problem=statement,
            status=READY_FOR_SEARCH if job.status == COLLECTING_INFO else None,
        )
        job = updated or job
        # Providers added before these answers must not call about the old problem.
        await store.refresh_job_copies(job)
        existing = await store.list_providers(job.id)
        message: str | None = None
        if requested:
            source = "request"
            fresh = await admissible(store, job, requested, existing, settings)
        elif existing:
            source, fresh = "existing", []
        elif search is not None:
            source, fresh = "search", []
            try:
                found = await search.search(job, SEARCH_LIMIT)
                fresh = not_yet_in(dialable(found, settings), existing)
                fresh = await without_blocked(store, job, fresh)
                room = max(0, settings.max_providers_per_job - len(existing))
                fresh = fresh[: min(SEARCH_LIMIT, room)]
            except Exception as error:  # the job stands; the homeowner can add providers
                reason = describe_failure(error, settings.intake_timeout_seconds)
                logger.warning("provider search failed: %s", reason, extra={"job_id": job.id})
                message = f"The provider search failed ({reason}). Add the providers to call."
            if not fresh and message is None:
                message = "The provider search found nobody to call. Add the providers to call."
        else:
            source, fresh = "none", []
            message = (
                "No providers yet, and no provider search is configured: add the providers "
                f"to call (POST /api/jobs/{job.id}/providers, or the dashboard)."
            )
        stored = await store.add_providers(job, fresh)
        providers = existing + stored
        if providers and job.status != SEARCHED:
            job = await store.update_job(job.id, status=SEARCHED) or job
    logger.info(
        "job completed",
        extra={"job_id": job.id, "added": len(stored), "providers": len(providers)},
    )
    return CompleteJobOut(
        job=JobOut.of(job),
        providers=[ProviderOut.of(provider) for provider in providers],
        providers_source=source,
        message=message,
    )
