"""`haggle serve api|voice`: each service under uvicorn, as its own process."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.cli.conftest import HAGGLE, assert_one_line_error, cli_env, haggle
from tests.support.servers import free_port


@contextmanager
def serving(
    service: str, tmp_path: Path, *args: str, logs: list[str] | None = None
) -> Iterator[str]:
    """The service's URL while it runs; its output lands in `logs` once it has stopped."""
    port = free_port()
    env = cli_env(None, DATABASE_URL=f"sqlite:///{tmp_path / 'haggle.db'}",
                  DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    process = subprocess.Popen(
        [str(HAGGLE), "serve", service, "--port", str(port), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"haggle serve {service} never answered"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        if logs is not None and process.stdout is not None:
            logs.append(process.stdout.read().decode(errors="replace"))


def test_serve_api_runs_the_job_api(tmp_path: Path) -> None:
    logs: list[str] = []
    with serving("api", tmp_path, "--host", "127.0.0.1", logs=logs) as url:
        assert httpx.get(f"{url}/api/health").json() == {"status": "healthy"}
        job_id = haggle("job", "create", "--problem", "fix a tap", "--zip", "94110", api=url)
        assert job_id.returncode == 0, job_id.stderr
    assert (tmp_path / "haggle.db").exists()
    # Uvicorn's own lines come through our formatter as plain text: no colour codes.
    (output,) = logs
    assert "Uvicorn running on" in output
    assert "\x1b[" not in output and "color_message" not in output
    # Nor a line per Alembic plugin at every start.
    assert "alembic.runtime" not in output, output


def test_serve_voice_runs_the_voice_service(tmp_path: Path) -> None:
    with serving("voice", tmp_path) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_serve_with_a_malformed_setting_is_one_line(tmp_path: Path) -> None:
    env = cli_env(None, DATABASE_URL="mysql://root@localhost/haggle")

    run = haggle("serve", "api", "--port", str(free_port()), env=env, cwd=tmp_path)

    assert_one_line_error(run, "DATABASE_URL", status=2)
