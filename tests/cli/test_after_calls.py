"""After the calls: `haggle call --failed / --again`, and `haggle results --csv`."""

from __future__ import annotations

import csv
import io
import json

from shared.models import CallStatus, Outcome
from tests.cli.conftest import Stack, VoiceStandIn, assert_one_line_error, haggle


def _three_failed(stack: Stack) -> tuple[str, list[int]]:
    job_id = stack.create_job()
    ids = stack.add_providers(job_id, "Busy Bee", "Away Rooter", "Flaky Pipes")
    for provider_id, outcome in zip(
        ids, (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.ERROR), strict=True
    ):
        stack.set_call(provider_id, call_status=CallStatus.FAILED, outcome=outcome)
    return job_id, ids


def test_call_failed_calls_them_all_again_and_keeps_the_first_attempts(
    stack: Stack, voice: VoiceStandIn
) -> None:
    job_id, _ids = _three_failed(stack)
    voice.body = {"status": "started", "count": 0}
    nothing_new = haggle("call", job_id, "--no-start", "--timeout", "5", api=stack.url)
    assert nothing_new.returncode == 0

    hint = haggle("call", job_id, api=stack.url)
    assert "3 calls ended without a deal" in hint.stdout and "--failed" in hint.stdout

    run = haggle("call", job_id, "--failed", "--timeout", "0.5", "--interval", "0.1",
                 api=stack.url)  # fmt: skip
    # The new attempts wait for the voice service (a stand-in here): the watch times out.
    assert run.returncode == 1
    first = run.stdout.splitlines()[0]
    assert first == f"Calling 3 providers again for {job_id}: Busy Bee, Away Rooter, Flaky Pipes"
    assert "pending, attempt 2" in run.stdout
    rows = stack.providers(job_id)
    assert [(row["attempt"], row["call_status"]) for row in rows] == [(2, "pending")] * 3

    export = haggle("results", job_id, "--csv", api=stack.url)
    assert export.returncode == 0, export.stderr
    attempts = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [(a["provider"], a["attempt"], a["outcome"]) for a in attempts] == [
        ("Busy Bee", "1", "busy"),
        ("Away Rooter", "1", "no_answer"),
        ("Flaky Pipes", "1", "error"),
    ]


def test_call_again_names_one_provider_by_name_id_or_phone(
    stack: Stack, voice: VoiceStandIn
) -> None:
    job_id, (busy, away, flaky) = _three_failed(stack)
    by_name = haggle("call", job_id, "--again", "away rooter", "--timeout", "0.3", api=stack.url)
    assert by_name.stdout.startswith(f"Calling 1 provider again for {job_id}: Away Rooter")
    by_phone = haggle("call", job_id, "--again", "(415) 555-0100", "--timeout", "0.3",
                      api=stack.url)  # fmt: skip
    assert by_phone.stdout.startswith(f"Calling 1 provider again for {job_id}: Busy Bee")
    rows = {row["id"]: row for row in stack.providers(job_id)}
    assert (rows[busy]["attempt"], rows[away]["attempt"], rows[flaky]["attempt"]) == (2, 2, 1)
    # Already queued again: nothing to call again, in one line.
    assert_one_line_error(
        haggle("call", job_id, "--again", str(away), api=stack.url),
        "nothing to call again",
        "not ended",
    )
    assert_one_line_error(
        haggle("call", job_id, "--again", "Nobody", api=stack.url), "matches no provider"
    )
    assert_one_line_error(
        haggle("call", job_id, "--again", "x", "--failed", api=stack.url),
        "not allowed with",
        status=2,
    )


def test_job_create_sets_the_follow_up_schedule(stack: Stack) -> None:
    run = haggle("job", "create", "--problem", "fix a tap", "--zip", "94110",
                 "--follow-up", "15", "--follow-up", "60", "--json", api=stack.url)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["followup_minutes"] == [15, 60]
    none = haggle("job", "create", "--problem", "fix a tap", "--zip", "94110",
                  "--no-follow-up", "--json", api=stack.url)  # fmt: skip
    assert json.loads(none.stdout)["followup_minutes"] == []
    bad = haggle("job", "create", "--problem", "fix a tap", "--zip", "94110",
                 "--follow-up", "0", api=stack.url)  # fmt: skip
    assert_one_line_error(bad, "--follow-up")
    assert_one_line_error(
        haggle("job", "create", "--problem", "fix a tap", "--zip", "abc", api=stack.url),
        "--zip",
        "not a zip code",
    )
