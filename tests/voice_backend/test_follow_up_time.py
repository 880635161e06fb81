"""When a follow-up is placed: the job's schedule, calling hours, the job's deadline."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models import CallStatus, Job, Outcome, Provider
from voice_backend.followups import follow_up_time, job_deadline

#: 19:00 in New York (00:00 UTC the next day, in December).
EVENING = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)


def _job(**fields: object) -> Job:
    values: dict[str, object] = {
        "id": "job-1",
        "problem": "leaky tap",
        "zip_code": "10001",
        "created_at": EVENING,
        "updated_at": EVENING,
    }
    return Job.model_validate(values | fields)


def _ended(outcome: Outcome, attempt: int = 1, **fields: object) -> Provider:
    values: dict[str, object] = {
        "id": 7,
        "job_id": "job-1",
        "service_provider": "Ace",
        "phone_number": "+12125550100",  # New York
        "call_status": CallStatus.FAILED,
        "outcome": outcome,
        "attempt": attempt,
        "ended_at": EVENING,
        "created_at": EVENING,
    }
    return Provider.model_validate(values | fields)


def test_the_schedule_gives_each_attempt_its_delay_then_stops() -> None:
    job = _job()
    first = follow_up_time(job, _ended(Outcome.BUSY), calling_hours=None)
    second = follow_up_time(job, _ended(Outcome.NO_ANSWER, attempt=2), calling_hours=None)
    assert first == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)
    assert second == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    assert follow_up_time(job, _ended(Outcome.BUSY, attempt=3), calling_hours=None) is None
    assert (
        follow_up_time(_job(followup_minutes=[]), _ended(Outcome.BUSY), calling_hours=None) is None
    )


def test_only_busy_and_unanswered_lines_are_followed_up_by_themselves() -> None:
    for outcome in (Outcome.ERROR, Outcome.DECLINED, Outcome.NO_AGREEMENT, Outcome.VOICEMAIL):
        assert follow_up_time(_job(), _ended(outcome), calling_hours=None) is None
    # A provider who asked to be called back waits for the homeowner to confirm.
    asked = _ended(Outcome.NO_ANSWER, callback_requested=True)
    assert follow_up_time(_job(), asked, calling_hours=None) is None


def test_a_follow_up_after_calling_hours_waits_for_the_morning_local_time() -> None:
    # 19:00 + 120 min = 21:00 in New York: past 08:00-21:00, so 08:00 the next day (13:00 UTC).
    late = follow_up_time(_job(), _ended(Outcome.BUSY, attempt=2), calling_hours="08:00-21:00")
    assert late == datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
    # Inside the window it goes at its time.
    soon = follow_up_time(_job(), _ended(Outcome.BUSY), calling_hours="08:00-21:00")
    assert soon == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)


def test_never_past_the_jobs_deadline_where_the_provider_is() -> None:
    job = _job(date_needed="2026-12-04")
    assert job_deadline(job) == datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC)
    # The end of the 4th in New York is 04:59:59 UTC on the 5th.
    new_york = _ended(Outcome.BUSY).phone_number
    assert job_deadline(job, new_york) == datetime(2026, 12, 5, 4, 59, 59, tzinfo=UTC)
    # The morning follow-up (13:00 UTC on the 4th) is still before the deadline...
    assert follow_up_time(job, _ended(Outcome.BUSY, attempt=2), calling_hours="08:00-21:00")
    # ...and so is 19:30 on the 3rd in New York (00:30 UTC on the 4th) for a job needed by
    # the 3rd: it is still the 3rd where the provider is.
    by_the_3rd = _job(date_needed="2026-12-03")
    due = follow_up_time(by_the_3rd, _ended(Outcome.BUSY), calling_hours=None)
    assert due == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)
    # Needed by the 2nd: no follow-up.
    tight = _job(date_needed="2026-12-02")
    assert follow_up_time(tight, _ended(Outcome.BUSY), calling_hours=None) is None
    assert job_deadline(_job(date_needed="as soon as possible")) is None
