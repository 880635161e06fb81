"""The analytics the database aggregates equal those computed from every row (the former
path, kept for stores that cannot aggregate), on SQLite and on Postgres, for calls in every
state: agreed with and without a first quote, ties on the best price, a zero first quote, a
price without agreement, a completed call without an outcome, jobs without providers."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.analytics import summarize, summarize_figures
from shared.models import CallStatus, CallUpdate, JobCreate, Outcome, ProviderCreate
from shared.storage.sql import SQLStore

done, failed, live = CallStatus.COMPLETED, CallStatus.FAILED, CallStatus.IN_PROGRESS

#: Per job, the updates of its providers (`None`: never called).
_JOBS: list[list[CallUpdate | None]] = [
    [
        CallUpdate(
            call_status=done, outcome=Outcome.AGREED, negotiated_price=150, minimum_quote=200
        ),
        CallUpdate(
            call_status=done, outcome=Outcome.AGREED, negotiated_price=150, minimum_quote=175
        ),
        CallUpdate(call_status=done, outcome=Outcome.AGREED, negotiated_price=140.55),
        CallUpdate(call_status=failed, outcome=Outcome.NO_ANSWER),
        None,
    ],
    [
        CallUpdate(call_status=done, negotiated_price=99.99, minimum_quote=120.5),
        CallUpdate(call_status=done, outcome=Outcome.NO_AGREEMENT, negotiated_price=80),
        CallUpdate(call_status=live),
        CallUpdate(call_status=CallStatus.DIALING),
        CallUpdate(call_status=failed, outcome=Outcome.VOICEMAIL),
    ],
    [],
    [
        CallUpdate(call_status=done, outcome=Outcome.AGREED, negotiated_price=0, minimum_quote=0),
        CallUpdate(
            call_status=done, outcome=Outcome.AGREED, negotiated_price=310, minimum_quote=333.33
        ),
        CallUpdate(call_status=failed, outcome=Outcome.BUSY),
        CallUpdate(call_status=failed, outcome=Outcome.DIAL_ERROR),
        CallUpdate(call_status=done, outcome=Outcome.ERROR),
    ],
    [
        CallUpdate(
            call_status=done, outcome=Outcome.AGREED, negotiated_price=75.25, minimum_quote=90
        )
    ],
]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'haggle.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def test_sql_figures_equal_the_per_row_computation(database_url: str) -> None:
    store = SQLStore(database_url)
    await store.open()
    try:
        for number, updates in enumerate(_JOBS):
            job = await store.create_job(JobCreate(problem=f"job {number}", zip_code="94110"))
            added = await store.add_providers(
                job,
                [
                    ProviderCreate(
                        service_provider=f"P{number}{i}", phone_number=f"+141555501{i:02d}"
                    )
                    for i in range(len(updates))
                ],
            )
            for provider, update in zip(added, updates, strict=True):
                if update is not None:
                    await store.update_call(provider.id, update)
        for limit in (100, 3, 1):
            jobs = await store.list_jobs(limit)
            expected = summarize([(job, await store.list_providers(job.id)) for job in jobs])
            figures = await store.job_figures(limit)
            assert summarize_figures(figures) == expected
        everything = summarize_figures(await store.job_figures(100))
    finally:
        await store.close()
    # The data set exercises what it claims to.
    assert everything.totals.jobs == 5 and everything.totals.providers == 16
    assert everything.totals.outcomes["agreed"] == 6
    assert any(line.best and line.best.savings is None for line in everything.jobs)
    assert everything.totals.average_savings_percent is not None
