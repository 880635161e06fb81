"""`haggle results`: a job's calls ranked, as a table and as JSON."""

from __future__ import annotations

import json

import pytest

from shared.models import CallStatus, Outcome
from tests.cli.conftest import Stack, haggle


@pytest.fixture
def finished_job(stack: Stack) -> str:
    """Five providers: two agreed, one without agreement, one still pending, one unanswered."""
    job_id = stack.create_job(max_price=200)
    ace, bob, carl, dana, eve = stack.add_providers(
        job_id, "Ace Plumbing", "Bob's Drains", "Carl Co", "Dana", "Eve"
    )
    done = CallStatus.COMPLETED
    stack.set_call(ace, call_status=done, outcome=Outcome.AGREED, minimum_quote=200,
                   negotiated_price=150)  # fmt: skip
    stack.set_call(bob, call_status=done, outcome=Outcome.AGREED, minimum_quote=180,
                   negotiated_price=120, conditions="cash only; Saturday morning")  # fmt: skip
    stack.set_call(carl, call_status=done, outcome=Outcome.NO_AGREEMENT, minimum_quote=300,
                   duration_seconds=130, cost=0.15)  # fmt: skip
    stack.set_call(eve, call_status=CallStatus.FAILED, outcome=Outcome.NO_ANSWER,
                   failure_reason="no answer after 30 s")  # fmt: skip
    assert dana  # left pending
    return job_id


def test_results_json_ranks_agreed_prices_first(stack: Stack, finished_job: str) -> None:
    run = haggle("results", finished_job, "--json", api=stack.url)

    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert [(row["rank"], row["provider"]) for row in rows] == [
        (1, "Bob's Drains"),
        (2, "Ace Plumbing"),
        (3, "Carl Co"),
        (4, "Dana"),
        (5, "Eve"),
    ]
    bob, ace, carl, dana, eve = rows
    assert (bob["first_quote"], bob["agreed_price"], bob["savings"]) == (180, 120, 60)
    assert bob["savings_percent"] == 33.3 and bob["conditions"] == "cash only; Saturday morning"
    assert (ace["savings"], ace["savings_percent"], ace["outcome"]) == (50, 25, "agreed")
    assert (carl["outcome"], carl["agreed_price"], carl["savings"]) == ("no_agreement", None, None)
    assert (dana["call_status"], dana["outcome"]) == ("pending", None)
    assert (eve["outcome"], eve["failure_reason"]) == ("no_answer", "no answer after 30 s")
    assert set(bob) >= {"provider_id", "phone", "call_status"}


def test_results_table_shows_the_ranked_calls_and_the_best_deal(
    stack: Stack, finished_job: str
) -> None:
    run = haggle("results", finished_job, api=stack.url)

    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"{finished_job}: my toilet keeps running (zip 94110, budget $200)"
    header = lines[2].split()
    assert header[:3] == ["#", "PROVIDER", "OUTCOME"] and header[-1] == "CONDITIONS"
    body = lines[3:8]
    assert [line.split()[0] for line in body] == ["1", "2", "3", "4", "5"]
    assert "Bob's Drains" in body[0] and "agreed" in body[0]
    assert "$180" in body[0] and "$120" in body[0] and "$60 (33.3%)" in body[0]
    assert body[0].rstrip().endswith("cash only; Saturday morning")
    assert "$200" in body[1] and "$150" in body[1] and "$50 (25%)" in body[1]
    assert "no_agreement" in body[2] and "$300" in body[2]
    assert "pending" in body[3] and "no_answer" in body[4]
    assert "$0.15" in body[2]  # the call's estimated cost
    assert lines[-3] == "best: Bob's Drains at $120"
    assert lines[-2] == "cost: $0.15 for 4 calls (2.2 min; estimate)"
    assert lines[-1].startswith("account, last 24 hours: $")


def test_results_of_a_job_without_providers(stack: Stack) -> None:
    job_id = stack.create_job(max_price=None)

    table = haggle("results", job_id, api=stack.url)
    assert table.returncode == 0
    assert "budget no limit" in table.stdout and "no providers yet" in table.stdout
    as_json = haggle("results", job_id, "--json", api=stack.url)
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])


def test_an_unsure_figure_is_marked_and_a_negative_saving_never_shown(stack: Stack) -> None:
    job_id = stack.create_job(max_price=200)
    ace, bob = stack.add_providers(job_id, "Ace Plumbing", "Bob's Drains")
    done = CallStatus.COMPLETED
    stack.set_call(ace, call_status=done, outcome=Outcome.AGREED, minimum_quote=800,
                   negotiated_price=130, price_notes="first quote heard once, ASR",
                   price_confidence={"agreed_price": "high", "first_quote": "medium"})  # fmt: skip
    stack.set_call(bob, call_status=done, outcome=Outcome.AGREED, minimum_quote=85,
                   negotiated_price=120, price_notes="first quote below the agreed price",
                   price_confidence={"agreed_price": "high", "first_quote": "low"})  # fmt: skip

    table = haggle("results", job_id, api=stack.url)
    rows = json.loads(haggle("results", job_id, "--json", api=stack.url).stdout)

    assert table.returncode == 0, table.stderr
    assert "$800 ?" in table.stdout and "$85 ?" in table.stdout
    assert "Ace Plumbing: first quote heard once, ASR" in table.stdout
    assert "-$35" not in table.stdout
    bob_row, ace_row = rows  # best first: $120, then $130
    assert (ace_row["savings"], bob_row["savings"]) == (670, None)  # a medium quote still counts
    assert bob_row["price_confidence"] == {"agreed_price": "high", "first_quote": "low"}
