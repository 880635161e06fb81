"""What `haggle` prints holds no terminal control sequence, whatever users and providers said:
a provider named with colour codes, a condition that retitles the window, a transcript that
clears the screen. And no error line shows a URL's password."""

from __future__ import annotations

import csv
import io
import json

import pytest

from shared.models import CallStatus, Outcome
from tests.cli.conftest import Stack, assert_one_line_error, cli_env, haggle

RED, RESET = "\x1b[31m", "\x1b[0m"
RETITLE = "\x1b]0;you have been owned\x07"
CLEAR = "\x1b[2J\x1b[H"
HIDDEN = "\u202e"  # right-to-left override


@pytest.fixture
def hostile_job(stack: Stack) -> str:
    job_id = stack.create_job(problem=f"a {RED}running{RESET} toilet")
    (ace,) = stack.add_providers(job_id, f"{RED}Ace{RESET} Plumbing{HIDDEN}")
    stack.set_call(
        ace,
        call_status=CallStatus.COMPLETED,
        outcome=Outcome.AGREED,
        minimum_quote=200,
        negotiated_price=150,
        conditions=f"{RETITLE}cash only",
        call_transcript=f"1. [ASSISTANT]: Hello\n2. [USER]: {CLEAR}one fifty\x07, deal",
    )
    return job_id


def _assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and HIDDEN not in text, repr(text)


def test_results_strip_escape_codes(stack: Stack, hostile_job: str) -> None:
    run = haggle("results", hostile_job, api=stack.url)
    assert run.returncode == 0, run.stderr
    _assert_clean(run.stdout + run.stderr)
    assert "Ace Plumbing" in run.stdout and "cash only" in run.stdout
    assert "a running toilet" in run.stdout
    assert "best: Ace Plumbing at $150" in run.stdout


def test_results_json_carries_no_escape_codes_either(stack: Stack, hostile_job: str) -> None:
    run = haggle("results", hostile_job, "--json", api=stack.url)
    assert run.returncode == 0, run.stderr
    (row,) = json.loads(run.stdout)
    assert row["provider"] == "Ace Plumbing" and row["conditions"] == "cash only"


def test_results_csv_carries_no_escape_codes_and_keeps_its_cells(
    stack: Stack, hostile_job: str
) -> None:
    run = haggle("results", hostile_job, "--csv", api=stack.url)
    assert run.returncode == 0, run.stderr
    _assert_clean(run.stdout + run.stderr)
    (row,) = csv.DictReader(io.StringIO(run.stdout))
    assert (row["provider"], row["conditions"]) == ("Ace Plumbing", "cash only")
    assert row["transcript"] == "1. [ASSISTANT]: Hello\n2. [USER]: one fifty, deal"


def test_call_watch_strips_escape_codes(stack: Stack, hostile_job: str) -> None:
    run = haggle("call", hostile_job, "--no-start", "--plain", api=stack.url)
    assert run.returncode == 0, run.stderr
    _assert_clean(run.stdout + run.stderr)
    assert "Ace Plumbing (+14155550100): completed (agreed)" in run.stdout


def test_an_error_about_user_input_strips_escape_codes(stack: Stack) -> None:
    run = haggle("results", f"no-such-job{CLEAR}", api=stack.url)
    _assert_clean(run.stdout + run.stderr)
    assert run.returncode == 1


def test_a_rejected_database_url_never_shows_its_password() -> None:
    env = cli_env(None) | {"DATABASE_URL": "mysql://user:s3cr3t-pass@db.example/haggle"}
    run = haggle("extract-price", "-", stdin='[{"role": "user", "text": "hi"}]', env=env)
    line = assert_one_line_error(run, "DATABASE_URL", status=2)
    assert "s3cr3t-pass" not in line


def test_a_rejected_url_setting_is_echoed_without_its_password() -> None:
    env = cli_env(None) | {"CALL_BACKEND_URL": "ftp://operator:s3cr3t-pass@voice.example/"}
    run = haggle("extract-price", "-", stdin='[{"role": "user", "text": "hi"}]', env=env)
    line = assert_one_line_error(run, "CALL_BACKEND_URL", status=2)
    assert "s3cr3t-pass" not in line and "ftp://operator:***@voice.example/" in line
