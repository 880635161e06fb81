"""Every command has `--help`; every user mistake is one line on stderr, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Stack, assert_one_line_error, cli_env, dead_url, haggle

HELP = {
    (): ["serve", "job", "providers", "call", "results", "extract-price"],
    ("serve",): ["api", "voice", "--host", "--port", "8000", "6000"],
    ("job",): ["create"],
    ("job", "create"): ["--problem", "--zip", "--max-price", "--no-limit", "--address",
                        "--date", "--json", "--api"],
    ("providers",): ["add"],
    ("providers", "add"): ["JOB", "--csv", "service_provider,phone_number", "name,phone",
                           "--api"],
    ("call",): ["JOB", "--interval", "--timeout", "--no-start", "--api"],
    ("results",): ["JOB", "--json", "--api"],
    ("extract-price",): ["--offline", "FILE"],
    ("demo",): ["--api-port", "--voice-port", "--only", "--budget"],
}  # fmt: skip


@pytest.mark.parametrize("command", HELP, ids=lambda words: " ".join(words) or "haggle")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    run = haggle(*command, "--help")

    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith(f"usage: {' '.join(('haggle', *command))}")
    for word in HELP[command]:
        assert word in run.stdout, word


def test_a_group_without_its_subcommand_shows_its_help_and_fails() -> None:
    for group in ("job", "providers"):
        run = haggle(group)
        assert run.returncode == 2 and run.stdout == ""
        assert run.stderr.startswith(f"usage: haggle {group}")


def test_usage_mistakes_are_one_line() -> None:
    assert_one_line_error(haggle("haggle"), "invalid choice", status=2)
    assert_one_line_error(haggle("serve", "database"), "invalid choice", status=2)
    assert_one_line_error(haggle("serve", "api", "--port", "http"), "--port", status=2)
    assert_one_line_error(haggle("results"), "JOB", "haggle results --help", status=2)
    assert_one_line_error(haggle("providers", "add", "job-1"), "--csv", status=2)
    assert_one_line_error(haggle("results", "job-1", "--colour"), "--colour", status=2)


API_COMMANDS = {
    "job create": ["job", "create", "--problem", "fix the fence", "--zip", "94110"],
    "providers add": ["providers", "add", "job-1", "--csv", "-"],
    "call": ["call", "job-1"],
    "results": ["results", "job-1"],
}


@pytest.mark.parametrize("command", API_COMMANDS)
def test_an_unreachable_api_is_one_line_naming_it(command: str) -> None:
    url = dead_url()
    run = haggle(*API_COMMANDS[command], api=url, stdin="name,phone\nAce,4155550100\n")

    assert_one_line_error(run, f"cannot reach the job API at {url}", "haggle serve api")


def test_the_api_url_comes_from_the_flag_then_the_environment(stack: Stack) -> None:
    job_id = stack.create_job()
    dead = dead_url()

    from_flag = haggle("results", job_id, "--api", stack.url, api=dead)
    assert from_flag.returncode == 0, from_flag.stderr
    from_env = haggle("results", job_id, api=stack.url)
    assert from_env.returncode == 0, from_env.stderr
    assert_one_line_error(haggle("results", job_id, api=dead), dead)
    assert_one_line_error(
        haggle("results", job_id, "--api", "localhost:8000"), "--api", "http", status=2
    )
    assert_one_line_error(haggle("results", job_id, api="ftp://x"), "HAGGLE_API_URL", status=2)


def test_without_flag_or_environment_the_api_is_on_localhost_8000() -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8000)) == 0:
            pytest.skip("something listens on port 8000 here")

    run = haggle("results", "job-1", api=None)

    assert_one_line_error(run, "cannot reach the job API at http://localhost:8000")


def test_an_unknown_job_is_one_line(stack: Stack) -> None:
    assert_one_line_error(haggle("results", "no-such-job", api=stack.url), "no-such-job")
    assert_one_line_error(haggle("results", "no-such-job", "--json", api=stack.url), "not found")


def test_a_url_that_is_not_the_job_api_is_one_line(stack: Stack) -> None:
    run = haggle("results", "job-1", api=f"{stack.url}/elsewhere")

    assert_one_line_error(run, "is it the Haggle job API?")


def test_python_dash_m_runs_the_same_commands(stack: Stack) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "job", "create", "--problem", "mow the lawn",
         "--zip", "94110"],
        capture_output=True, text=True, timeout=60, env=cli_env(stack.url),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert haggle("results", run.stdout.strip(), api=stack.url).returncode == 0


def test_demo_on_a_port_already_taken_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = haggle("demo", "--voice-port", str(port), cwd=tmp_path)

    assert_one_line_error(run, f"--voice-port {port}: the port is in use")
    assert not (tmp_path / "data").exists()  # nothing started, nothing written
