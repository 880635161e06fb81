"""`make demo` as a newcomer runs it (the Makefile's `python -m cli.demo`) in an empty folder
with no `.env` and no credentials: both services start, the local agent calls simulated
providers, the transcripts and ranked quotes are printed, and the sign-in and API key it
prints open the job afterwards."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli.conftest import HAGGLE
from tests.support.servers import free_port, uvicorn_process

#: Settings that would make the demo something else (real calls, Grok, another store).
_NOT_PASSED = ("HAGGLE_", "XAI_", "TWILIO_", "SUPABASE_", "DATABASE_URL", "TELEPHONY", "AGENT")


def test_the_demo_negotiates_and_its_printed_credentials_open_the_job(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_PASSED)}
    env["HAGGLE_ENV_FILE"] = ""
    demo = subprocess.run(
        [
            *(sys.executable, "-m", "cli.demo", "--only", "ace_plumbing,busy_bee", "--plain"),
            *("--api-port", str(free_port()), "--voice-port", str(free_port())),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = demo.stdout
    assert demo.returncode == 0, out[-3000:] + demo.stderr[-3000:]
    assert "the local agent" in out and "Quotes, best first" in out
    # Ace Plumbing was talked to (a transcript with both sides), Busy Bee's line was busy.
    assert re.search(r"\[ASSISTANT\]: Hi, is this Ace Plumbing\?", out)
    assert re.search(r"\[USER\]: ", out)
    rows = out[out.index("Quotes, best first") :].splitlines()
    (ace,) = [line for line in rows if re.match(r"\d+\s+Ace Plumbing ", line)]
    (busy,) = [line for line in rows if re.match(r"\d+\s+Busy Bee ", line)]
    assert re.search(r"\b(agreed|no_agreement)\b", ace), ace
    assert re.search(r"\bbusy\b", busy), busy

    # What it prints to open the job afterwards works: the key with `haggle results`, the
    # user and password on the dashboard's sign-in page.
    user, password = re.search(r"sign in as '([^']+)', password '([^']+)'", out).groups()  # type: ignore[union-attr]
    key, job_id = re.search(r"HAGGLE_API_KEY=(\S+) \S*haggle results (\S+?)'", out).groups()  # type: ignore[union-attr]
    database = f"sqlite:///{tmp_path}/data/haggle.db"
    with uvicorn_process("api.main:app", {"DATABASE_URL": database}) as (url, _):
        results = subprocess.run(
            [str(HAGGLE), "results", job_id],
            env={"PATH": os.environ["PATH"], "HAGGLE_ENV_FILE": ""}
            | {"HAGGLE_API_KEY": key, "HAGGLE_API_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert results.returncode == 0, results.stderr
        assert "Ace Plumbing" in results.stdout and "Busy Bee" in results.stdout
        with httpx.Client(base_url=url, timeout=15) as browser:
            signed = browser.post(
                "/login", data={"username": user, "password": password}, headers={"Origin": url}
            )
            assert signed.status_code == 303 and "haggle_session" in browser.cookies
            assert browser.get(f"/api/jobs/{job_id}").json()["job_id"] == job_id
