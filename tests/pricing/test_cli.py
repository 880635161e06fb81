"""`haggle extract-price`, run as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from cli.main import format_price
from pricing.evaluate import DEFAULT_SET, load_cases
from tests.pricing.fake_chat import Fail, FakeChat, Reply, running_fake_chat

HAGGLE = Path(sys.executable).parent / "haggle"

SINK = [
    {"role": "assistant", "text": "What would you charge to clear a kitchen sink?"},
    {"role": "user", "text": "two hundred"},
    {"role": "assistant", "text": "How about one fifty?"},
    {"role": "user", "text": "yeah i can do one fifty"},
]
HEATER = [
    {"role": "user", "text": "The install would be $1,200."},
    {"role": "assistant", "text": "$1,200 works."},
]
DRAIN = [
    {"role": "user", "text": "we have a special eighty nine fifty for any drain"},
    {"role": "assistant", "text": "Eighty-nine fifty sounds great, let's do it."},
]
NO_DEAL = [
    {"role": "user", "text": "it's three hundred"},
    {
        "role": "assistant",
        "text": "Thank you for the info. I need to think about it and will call you back.",
    },
]


def haggle(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if not HAGGLE.exists():
        pytest.fail(f"{HAGGLE} is missing: install the project (.venv/bin/pip install -e .)")
    return subprocess.run(
        [str(HAGGLE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env or dict(os.environ),
    )


def assert_one_line_error(run: subprocess.CompletedProcess[str], *words: str) -> None:
    assert run.returncode != 0
    assert run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("haggle: ")
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in line


def test_one_transcript_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "call.json"
    path.write_text(json.dumps(SINK))

    run = haggle("extract-price", "--offline", str(path))

    assert (run.returncode, run.stdout, run.stderr) == (0, "150\n", "")


def test_json_lines_from_stdin_give_one_line_each() -> None:
    lines = "\n".join(json.dumps(t) for t in (HEATER, DRAIN, NO_DEAL, {"turns": SINK})) + "\n"

    run = haggle("extract-price", "--offline", stdin=lines)

    assert run.returncode == 0
    assert run.stdout == "1200\n89.5\nnone\n150\n"


def test_the_eval_set_through_the_command_matches_its_labels() -> None:
    cases = load_cases(DEFAULT_SET)

    run = haggle("extract-price", "--offline", str(DEFAULT_SET))

    printed = run.stdout.splitlines()
    assert len(printed) == len(cases)
    right = sum(p == format_price(c.expected) for p, c in zip(printed, cases, strict=True))
    assert right / len(cases) >= 0.97


def test_without_a_key_it_reads_offline_without_the_flag() -> None:
    run = haggle("extract-price", "-", stdin=json.dumps(SINK))
    assert (run.returncode, run.stdout) == (0, "150\n")


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        ("", ["no transcript"]),
        ("not json at all", ["line 1", "not JSON"]),
        ('{"role": "user"}', ["expected a JSON array of turns", "got an object"]),
        ('[{"role": "bot", "text": "hi"}]', ["turn 1", "role", "'assistant'"]),
        ('[{"role": "user"}]', ["turn 1", "text"]),
        ('["hello"]', ["turn 1", "must be an object"]),
        (json.dumps(SINK) + "\n{oops\n", ["line 2", "not JSON"]),
    ],
)
def test_bad_input_is_one_clear_line_and_a_failure(stdin: str, words: list[str]) -> None:
    assert_one_line_error(haggle("extract-price", "--offline", stdin=stdin), "stdin", *words)


def test_an_unreadable_file_is_one_clear_line(tmp_path: Path) -> None:
    assert_one_line_error(
        haggle("extract-price", str(tmp_path / "missing.json")), "missing.json", "cannot read"
    )
    assert_one_line_error(haggle("extract-price", str(tmp_path)), "cannot read")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert_one_line_error(haggle("extract-price", str(binary)), "not UTF-8")


def test_a_malformed_setting_stops_grok_use_but_not_offline() -> None:
    env = dict(os.environ, DATABASE_URL="ftp://nowhere")

    assert_one_line_error(haggle("extract-price", stdin=json.dumps(SINK), env=env), "DATABASE_URL")
    offline = haggle("extract-price", "--offline", stdin=json.dumps(SINK), env=env)
    assert (offline.returncode, offline.stdout) == (0, "150\n")


def test_help_and_usage() -> None:
    run = haggle("extract-price", "--help")
    assert run.returncode == 0
    assert "--offline" in run.stdout and "FILE" in run.stdout
    bare = haggle()
    assert bare.returncode == 2 and "extract-price" in bare.stderr


def test_python_dash_m_runs_the_same_command() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "extract-price", "--offline"],
        input=json.dumps(HEATER),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, "1200\n")


# --- with a key: Grok, on the fake server ---------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeChat]:
    async with running_fake_chat() as server:
        yield server


async def haggle_async(*args: str, stdin: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(HAGGLE),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def grok_env(fake: FakeChat) -> dict[str, str]:
    return dict(
        os.environ,
        XAI_API_KEY="cli-key",
        XAI_API_HOST=fake.host,
        PRICE_TIMEOUT_SECONDS="5",
    )


async def test_with_a_key_the_price_is_groks(fake: FakeChat) -> None:
    fake.script = [Reply('{"agreed_price": 149.5, "first_quote": 200, "conditions": null}')]

    status, out, err = await haggle_async(
        "extract-price", stdin=json.dumps(SINK), env=grok_env(fake)
    )

    assert (status, out, err) == (0, "149.5\n", "")
    assert fake.metadata[0]["authorization"] == "Bearer cli-key"


async def test_offline_flag_never_calls_grok(fake: FakeChat) -> None:
    status, out, _ = await haggle_async(
        "extract-price", "--offline", stdin=json.dumps(SINK), env=grok_env(fake)
    )

    assert (status, out) == (0, "150\n")
    assert fake.requests == []


async def test_a_failing_grok_falls_back_and_says_why_on_stderr(fake: FakeChat) -> None:
    fake.script = [Fail(grpc.StatusCode.PERMISSION_DENIED, "bad key")]

    status, out, err = await haggle_async(
        "extract-price", stdin=json.dumps(SINK), env=grok_env(fake)
    )

    assert (status, out) == (0, "150\n")
    assert err.strip() == (
        "haggle: price extraction fell back offline: grok error PERMISSION_DENIED: bad key"
    )


@pytest.mark.parametrize(
    ("price", "printed"),
    [
        (None, "none"),
        (150, "150"),
        (150.0, "150"),
        (1200, "1200"),
        (89.5, "89.5"),
        (99.95, "99.95"),
    ],
)
def test_prices_print_as_plain_numbers(price: float | None, printed: str) -> None:
    assert format_price(price) == printed


def test_json_gives_one_object_per_transcript_with_numbers_or_null() -> None:
    lines = "\n".join(json.dumps(t) for t in (HEATER, NO_DEAL, {"turns": SINK})) + "\n"

    run = haggle("extract-price", "--offline", "--json", stdin=lines)

    assert run.returncode == 0, run.stderr
    heater, no_deal, sink = (json.loads(line) for line in run.stdout.splitlines())
    assert (heater["agreed_price"], heater["first_quote"]) == (1200, 1200)
    assert (no_deal["agreed_price"], no_deal["first_quote"]) == (None, 300)
    assert (sink["agreed_price"], sink["first_quote"]) == (150, 200)
    assert heater["confidence"]["agreed_price"] == "high"
    assert sink["confidence"]["first_quote"] == "medium"
    assert "first quote heard once, ASR" in sink["confidence"]["notes"]
    assert all("conditions" in one and one["source"] == "offline" for one in (heater, sink))
