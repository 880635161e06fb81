"""`haggle job create` and `haggle providers add` against a real job API."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.cli.conftest import AUTH, Stack, assert_one_line_error, haggle


def _job(stack: Stack, job_id: str) -> dict[str, object]:
    response = httpx.get(f"{stack.url}/api/jobs/{job_id}", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_job_create_prints_the_id_of_the_stored_job(stack: Stack) -> None:
    run = haggle(
        "job", "create",
        "--problem", "the kitchen sink is clogged",
        "--zip", "94110",
        "--max-price", "$1,200",
        "--address", "1 Main St",
        "--date", "this Friday",
        "--context", "double sink, garbage disposal",
        api=stack.url,
    )  # fmt: skip

    assert run.returncode == 0 and run.stderr == ""
    job_id = run.stdout.strip()
    assert str(uuid.UUID(job_id)) == job_id and run.stdout == f"{job_id}\n"
    job = _job(stack, job_id)
    assert job["problem"] == "the kitchen sink is clogged"
    assert (job["zip_code"], job["max_price"]) == ("94110", 1200)
    assert (job["house_address"], job["date_needed"]) == ("1 Main St", "this Friday")
    assert job["context_answers"] == "double sink, garbage disposal"


def test_job_create_json_prints_the_whole_job_and_no_limit_means_null(stack: Stack) -> None:
    run = haggle(
        "job", "create", "--problem", "paint a room", "--zip", "10001", "--no-limit", "--json",
        api=stack.url,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["max_price"] is None and job["price_limit"] == "no_limit"
    assert _job(stack, job["job_id"])["problem"] == "paint a room"


def test_job_create_usage_errors_are_one_line(stack: Stack) -> None:
    both = haggle(
        "job", "create", "--problem", "x y z", "--zip", "94110",
        "--max-price", "100", "--no-limit", api=stack.url,
    )  # fmt: skip
    assert_one_line_error(both, "--no-limit", "--max-price", "--help", status=2)
    assert_one_line_error(
        haggle("job", "create", "--problem", "x y z", "--zip", "1", "--max-price", "cheap"),
        "--max-price",
        "'cheap'",
        status=2,
    )
    assert_one_line_error(
        haggle("job", "create", "--problem", "x y z", "--zip", "1", "--max-price", "-5"),
        "--max-price",
        status=2,
    )
    assert_one_line_error(haggle("job", "create", "--zip", "94110"), "--problem", status=2)


def test_job_create_names_the_flag_the_api_refused(stack: Stack) -> None:
    run = haggle("job", "create", "--problem", "fix the fence", "--zip", "94$10", api=stack.url)

    assert_one_line_error(run, "job create", "--zip")


GOOD_CSV = """service_provider,phone_number
Ace Plumbing,(415) 555-0100
**Bob's Drains**,+1 415 555 0101
"""


def test_providers_add_stores_a_csv_file_and_prints_what_was_stored(
    stack: Stack, tmp_path: Path
) -> None:
    job_id = stack.create_job()
    csv_file = tmp_path / "providers.csv"
    csv_file.write_text(GOOD_CSV)

    run = haggle("providers", "add", job_id, "--csv", str(csv_file), api=stack.url)

    assert run.returncode == 0, run.stderr
    header, first, second, summary = run.stdout.splitlines()
    assert header.split() == ["ID", "PROVIDER", "PHONE"]
    assert "Ace Plumbing" in first and "+14155550100" in first
    assert "Bob's Drains" in second and "+14155550101" in second
    assert summary == f"added 2 providers to {job_id}"
    stored = [(p["name"], p["phone"]) for p in stack.providers(job_id)]
    assert stored == [("Ace Plumbing", "+14155550100"), ("Bob's Drains", "+14155550101")]


def test_providers_add_reads_name_phone_from_stdin_with_extra_columns(stack: Stack) -> None:
    job_id = stack.create_job()
    text = '\ufeffName, Phone ,notes\n\nAce Plumbing,415-555-0102,"24/7, licensed"\n'

    run = haggle("providers", "add", job_id, "--csv", "-", "--json", stdin=text, api=stack.url)

    assert run.returncode == 0, run.stderr
    (row,) = json.loads(run.stdout)
    assert (row["name"], row["phone"], row["call_status"]) == (
        "Ace Plumbing",
        "+14155550102",
        "pending",
    )


def test_a_bad_phone_number_is_one_line_naming_it_and_nothing_is_stored(stack: Stack) -> None:
    job_id = stack.create_job()
    text = "name,phone\nAce Plumbing,(415) 555-0100\nBad Co,555-12\nCarl,+14155550199\n"

    run = haggle("providers", "add", job_id, "--csv", "-", stdin=text, api=stack.url)

    line = assert_one_line_error(run, "line 3", "Bad Co", "'555-12'", "nothing was stored")
    assert "Ace" not in line and "Carl" not in line
    assert stack.providers(job_id) == []


def test_the_issues_list_says_the_number_is_invalid_and_stores_nothing(stack: Stack) -> None:
    # As the dashboard's "Import a list" does: all or none, the number named as invalid.
    job_id = stack.create_job()
    text = "name,phone\nGood Plumbing, (415) 555-0199\nBob's Bad Co, 12\n"

    run = haggle("providers", "add", job_id, "--csv", "-", stdin=text, api=stack.url)

    line = assert_one_line_error(
        run, "line 3 (Bob's Bad Co)", "'12' is not a valid phone number", "nothing was stored"
    )
    assert "no phone number" not in line and "characters" not in line
    assert stack.providers(job_id) == []


def test_bad_csv_files_are_one_line_each(stack: Stack, tmp_path: Path) -> None:
    job_id = stack.create_job()
    cases = {
        "provider,number\nAce,4155550100\n": "header 'service_provider,phone_number'",
        "Ace Plumbing,4155550100\n": "header",
        "name,phone\nAce Plumbing,\n": "line 2: no phone number for 'Ace Plumbing'",
        "name,phone\n,4155550100\n": "line 2: no provider name",
        "name,phone\n": "no providers",
        "": "empty",
        'name,phone\n"Ace,4155550100\n': "not valid CSV",
    }
    for text, words in cases.items():
        run = haggle("providers", "add", job_id, "--csv", "-", stdin=text, api=stack.url)
        assert_one_line_error(run, "providers add: stdin: ", words)

    missing = haggle("providers", "add", job_id, "--csv", str(tmp_path / "nope.csv"), api=stack.url)
    assert_one_line_error(missing, "nope.csv", "cannot read it")
    binary = tmp_path / "sheet.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    assert_one_line_error(
        haggle("providers", "add", job_id, "--csv", str(binary), api=stack.url), "not UTF-8"
    )
    assert stack.providers(job_id) == []


def test_providers_add_to_an_unknown_job_is_one_line(stack: Stack) -> None:
    run = haggle("providers", "add", "no-such-job", "--csv", "-", stdin=GOOD_CSV, api=stack.url)

    assert_one_line_error(run, "not found", "no-such-job")
