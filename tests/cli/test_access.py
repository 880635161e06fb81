"""`haggle users`, `haggle keys` and `haggle cancel`, and what `haggle` does without a key."""

from __future__ import annotations

import re
import uuid

from tests.cli.conftest import Stack, assert_one_line_error, cli_env, haggle


def _name() -> str:
    return f"u{uuid.uuid4().hex[:8]}"


def test_users_and_keys_from_creation_to_revocation(stack: Stack) -> None:
    name = _name()
    added = haggle("users", "add", name, api=stack.url)
    assert added.returncode == 0, added.stderr
    password = re.search(r"password: (\S+)", added.stdout)
    assert password is not None and len(password.group(1)) >= 12
    assert name in haggle("users", "list", api=stack.url).stdout

    created = haggle("keys", "create", "laptop", "--user", name, api=stack.url)
    assert created.returncode == 0, created.stderr
    key_id, secret = re.findall(r"key (key_\w+)", created.stdout)[0], created.stdout.split()[5]
    assert secret.startswith("hgl_")
    mine = cli_env(stack.url, HAGGLE_API_KEY=secret)
    job = haggle("job", "create", "--problem", "a leak", "--zip", "94110", env=mine)
    assert job.returncode == 0, job.stderr
    listed = haggle("keys", "list", env=mine)
    assert key_id in listed.stdout and secret not in listed.stdout
    # The user is no operator.
    assert_one_line_error(haggle("users", "list", env=mine), "operator")

    revoked = haggle("keys", "revoke", key_id, env=mine)
    assert revoked.returncode == 0, revoked.stderr
    after = haggle("job", "create", "--problem", "a leak", "--zip", "94110", env=mine)
    assert_one_line_error(after, "HAGGLE_API_KEY")


def test_without_a_key_haggle_says_what_to_set(stack: Stack) -> None:
    run = haggle(
        "job", "create", "--problem", "a leak", "--zip", "94110",
        env=cli_env(stack.url, HAGGLE_API_KEY=""),
    )  # fmt: skip
    assert_one_line_error(run, "refused", "HAGGLE_API_KEY")


def test_cancel_drops_the_queued_calls(stack: Stack) -> None:
    job_id = stack.create_job()
    stack.add_providers(job_id, "Ace", "Bay")
    run = haggle("cancel", job_id, api=stack.url)
    assert run.returncode == 0, run.stderr
    assert "2 queued calls dropped" in run.stdout
    rows = stack.providers(job_id)
    assert {(row["call_status"], row["outcome"]) for row in rows} == {("failed", "canceled")}
