"""The job API as real processes: restarts, two processes on one SQLite file, bad settings."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import JOB, OPERATOR, OPERATOR_KEY
from tests.support.servers import REPO, VENV_BIN, free_port, uvicorn_process

_http = httpx.Client(headers=OPERATOR, timeout=15)


def _env(database: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{database}", "HAGGLE_API_KEY": OPERATOR_KEY}


def test_restart_loses_no_job(tmp_path: Path) -> None:
    env = _env(tmp_path / "haggle.db")
    with uvicorn_process("api.main:app", env) as (url, _):
        job = _http.post(f"{url}/api/jobs", json=JOB).json()
        _http.post(
            f"{url}/api/jobs/{job['job_id']}/providers",
            json={"providers": [{"service_provider": "Ace", "phone_number": "4155550100"}]},
        ).raise_for_status()
    with uvicorn_process("api.main:app", env) as (url, _):
        again = _http.get(f"{url}/api/jobs/{job['job_id']}")
        assert again.status_code == 200 and again.json()["problem"] == JOB["problem"]
        providers = _http.get(f"{url}/api/providers/{job['job_id']}").json()
        assert [p["name"] for p in providers] == ["Ace"]


def test_two_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    env = _env(tmp_path / "haggle.db")
    with (
        uvicorn_process("api.main:app", env) as (first, _),
        uvicorn_process("api.main:app", env) as (second, _),
    ):
        job_id = _http.post(f"{first}/api/jobs", json=JOB).json()["job_id"]
        assert _http.get(f"{second}/api/jobs/{job_id}").status_code == 200
        for index in range(10):
            target = first if index % 2 else second
            _http.post(
                f"{target}/api/jobs/{job_id}/providers",
                json={
                    "providers": [
                        {"service_provider": f"P{index}", "phone_number": f"41555501{index:02d}"}
                    ]
                },
            ).raise_for_status()
        names = {p["name"] for p in _http.get(f"{first}/api/providers/{job_id}").json()}
        assert names == {f"P{index}" for index in range(10)}
    with sqlite3.connect(tmp_path / "haggle.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _start_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "uvicorn"), "api.main:app", "--port", "0"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HAGGLE_ENV_FILE": ""} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_malformed_settings_stop_the_service_with_one_line() -> None:
    cases = {
        "DATABASE_URL": "mysql://root@localhost/haggle",
        "MAX_CONCURRENT_CALLS": "lots",
        "CALLS_PER_SECOND": "-1",
        "CORS_ORIGINS": "*",
    }
    for name, value in cases.items():
        result = _start_with({name: value})
        assert result.returncode != 0, name
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert name in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("target", ["api.main:app", "voice_backend.app:app"])
def test_a_database_that_cannot_be_opened_stops_the_service_with_one_line(target: str) -> None:
    # A Postgres that refuses the connection (nothing listens on the port), or a setting
    # Postgres' driver refuses: one error line naming the setting, its password masked.
    port = free_port()
    for url in (
        f"postgresql://haggle:secretpw@127.0.0.1:{port}/haggle",
        f"postgresql://haggle:secretpw@127.0.0.1:{port}/haggle?sslmode=bogus",
    ):
        result = subprocess.run(
            [str(VENV_BIN / "uvicorn"), target, "--port", "0"],
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "HAGGLE_ENV_FILE": "", "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "Traceback" not in result.stderr and "secretpw" not in result.stderr
        (error,) = [line for line in result.stderr.splitlines() if "haggle:" in line]
        assert "cannot open the database" in error
        assert f"(DATABASE_URL postgresql://haggle:***@127.0.0.1:{port}/haggle" in error
