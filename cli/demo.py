"""`make demo` / `haggle demo`: the whole product on this machine, with no account anywhere.

It starts both services as a user would (uvicorn, embedded SQLite in `data/haggle.db`), with
the voice service dialling simulated providers (`TELEPHONY=sim`) and, without an xAI key, the
local voice agent. Then, through the job API only: it creates a job (a running toilet, budget
$150), adds the simulated plumbers (their persona files), starts the calls (all at once),
shows each call's progress live, and prints every transcript and the quotes ranked, with the
savings against each opening quote. The job stays in the store, so the dashboard
(http://localhost:8000 while the API runs) and `haggle results JOB` show it afterwards.

Service logs go to `data/demo/`. The exit status is 0 once every call has ended.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx

from cli.commands.base import CommandError, money, print_lines, printable, printable_document
from cli.commands.calls import ChangeLines, LiveTable, View, watch
from cli.commands.client import JobApi
from cli.commands.results import ranked, result_lines
from cli.demo_access import demo_access, new_operator_key

__all__ = ["add_parsers", "main", "run_demo"]

_JOB = {
    "problem": "My toilet keeps running",
    "zip_code": "94110",
    "max_price": 150,
    "house_address": "123 Valencia St, San Francisco",
}
_START_SECONDS = 60.0
_CALLS_SECONDS = 240.0


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `demo` to the `haggle` subcommands."""
    demo = commands.add_parser(
        "demo",
        help="run both services offline and haggle with simulated providers",
        description=(
            "Start the job API and the voice service (simulated providers, and the local "
            "voice agent unless XAI_API_KEY is set), create a job, call every simulated "
            "provider, show the calls live, then print the transcripts and the ranked quotes."
        ),
    )
    _options(demo)
    demo.set_defaults(handler=run_demo)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--personas",
        metavar="DIR",
        help="a folder of persona files (default: the shipped ones, or SIM_PERSONAS_DIR)",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="call only these personas (file names without .toml, comma-separated)",
    )
    parser.add_argument(
        "--budget", type=float, default=_JOB["max_price"], help="the job's budget in dollars"
    )
    parser.add_argument("--plain", action="store_true", help="one line per change, no redraws")
    parser.add_argument(
        "--api-port",
        type=_port_number,
        metavar="PORT",
        help="the job API's port (default: 8000, or any free port when 8000 is taken)",
    )
    parser.add_argument(
        "--voice-port",
        type=_port_number,
        metavar="PORT",
        help="the voice service's port (default: 6000, or any free port when 6000 is taken)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=_CALLS_SECONDS,
        metavar="SECONDS",
        help=f"give up on calls still open after this long (default {_CALLS_SECONDS:g})",
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m cli.demo`."""
    parser = argparse.ArgumentParser(prog="haggle demo", description=__doc__.split("\n\n")[0])
    _options(parser)
    args = parser.parse_args(argv)
    try:
        return run_demo(args)
    except CommandError as error:
        print(f"haggle demo: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print("haggle demo: interrupted", file=sys.stderr)
        return 130


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; the exit status."""
    began = time.monotonic()
    folder = args.personas or os.environ.get("SIM_PERSONAS_DIR") or None
    wanted = [name.strip() for name in (args.only or "").split(",") if name.strip()]

    api_port = _port(8000) if args.api_port is None else _exact_port(args.api_port, "--api-port")
    voice_port = (
        _port(6000) if args.voice_port is None else _exact_port(args.voice_port, "--voice-port")
    )
    logs = Path("data") / "demo"
    logs.mkdir(parents=True, exist_ok=True)
    api_url, voice_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{voice_port}"
    env = _service_env(voice_url, folder)
    env["HAGGLE_API_KEY"] = operator_key = new_operator_key()
    print_lines(
        [
            "Haggle demo: simulated providers on this machine, "
            + ("Grok as the agent (XAI_API_KEY is set)." if _has_xai_key() else "the local agent."),
            f"Starting the job API on {api_url} and the voice service on {voice_url} "
            f"(logs in {logs}/)…",
        ]
    )
    with (
        _service("api.main:app", api_port, env, logs / "api.log"),
        _service("voice_backend.app:app", voice_port, env, logs / "voice.log"),
    ):
        _wait_ready(api_url, "/readyz", "the job API", logs / "api.log")
        _wait_ready(voice_url, "/readyz", "the voice service", logs / "voice.log")
        # The job is a plumbing one: the providers offered for it, unless named.
        personas = _directory(voice_url, env["VOICE_BACKEND_TOKEN"], None if wanted else "plumber")
        chosen = _chosen(personas, wanted)
        access = demo_access(api_url, operator_key)
        print_lines(access.lines(api_url))
        job, rows, final = _haggle(api_url, access.key, [personas[key] for key in chosen], args)
    _report(
        sys.stdout,
        job,
        rows,
        final,
        descriptions={personas[k]["name"]: personas[k] for k in chosen},
    )
    print_lines(
        [
            "",
            f"Done in {time.monotonic() - began:.0f} s. The job stays in {_database()}: "
            f"start the job API (.venv/bin/uvicorn api.main:app --port {api_port}) and open "
            f"http://localhost:{api_port} (sign in as '{access.username}', password "
            f"'{access.password}'), or run 'HAGGLE_API_KEY={access.key} "
            f".venv/bin/haggle results {job['job_id']}'.",
        ]
    )
    return 0


def _haggle(
    api_url: str, key: str, entries: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Through the job API, with the demo's key: a job calling these providers, watched until
    every call ended; the job, its status rows and the ranked quotes."""
    with JobApi(api_url, key) as api:
        job = api.create_job({**_JOB, "max_price": args.budget})
        job_id = job["job_id"]
        api.add_providers(
            job_id,
            [
                {"service_provider": entry["name"], "phone_number": entry["phone"]}
                for entry in entries
            ],
        )
        print_lines(
            [
                f"Job {job_id}: {job['problem']}, budget {money(job['max_price'])}.",
                f"Calling {len(entries)} simulated providers at once…",
                "",
            ]
        )
        api.start_calls(job_id)
        live = sys.stdout.isatty() and not args.plain
        view: View = LiveTable(sys.stdout) if live else ChangeLines(sys.stdout)
        watch(api, job_id, view, interval=0.5, timeout=args.timeout)
        rows = _status_rows(api_url, job_id, key)
        final = ranked(api.providers(job_id))
    return job, rows, final


def _report(
    out: TextIO,
    job: dict[str, Any],
    rows: list[dict[str, Any]],
    final: list[dict[str, Any]],
    descriptions: dict[str, dict[str, Any]],
) -> None:
    lines = ["", "Transcripts", "==========="]
    for row in sorted(rows, key=lambda r: r["id"]):
        description = (descriptions.get(row["name"]) or {}).get("description")
        about = f" — {description}" if description else ""
        lines += ["", printable(f"{row['name']} ({row['phone']}){about}")]
        outcome = row.get("outcome") or row["call_status"]
        lines.append(
            printable(
                f"  outcome: {outcome}"
                + (f"; {row['failure_reason']}" if row.get("failure_reason") else "")
                + (f"; price reader: {row['price_notes']}" if row.get("price_notes") else "")
            )
        )
        transcript = (row.get("call_transcript") or "").strip()
        lines += [f"  {line}" for line in transcript.splitlines()] or ["  (no conversation)"]
    lines += [
        "",
        "Quotes, best first (savings: the opening quote minus the agreed price, shown only when",
        "the opening quote is credible and the saving positive; '?' marks an unsure figure)",
        "",
    ]
    lines += result_lines(job, final)
    out.write("\n".join(lines) + "\n")
    out.flush()


def _directory(voice_url: str, token: str, trade: str | None) -> dict[str, dict[str, Any]]:
    """The simulated providers the voice service calls (those of `trade`), by persona key."""
    response = httpx.get(
        f"{voice_url}/sim/directory",
        params={"trade": trade} if trade else None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15.0,
    )
    response.raise_for_status()
    return {entry["key"]: entry for entry in response.json()}


def _chosen(personas: dict[str, dict[str, Any]], wanted: list[str]) -> list[str]:
    """The persona keys to call: `wanted` (each must exist), else all of them."""
    chosen = sorted(personas)
    if wanted:
        unknown = [name for name in wanted if name not in personas]
        if unknown:
            raise CommandError(f"no persona named {', '.join(unknown)} (have: {', '.join(chosen)})")
        chosen = wanted
    if not chosen:
        raise CommandError("no persona files to call")
    return chosen


def _status_rows(api_url: str, job_id: str, key: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{api_url}/api/providers/{job_id}/status",
        timeout=15.0,
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    rows: list[dict[str, Any]] = printable_document(response.json())
    return rows


def _has_xai_key() -> bool:
    from shared.settings import load_settings

    with contextlib.suppress(Exception):
        return bool(load_settings().xai_api_key)
    return False


def _database() -> str:
    from shared.settings import load_settings

    with contextlib.suppress(Exception):
        return load_settings().database_url
    return "the store"


def _service_env(voice_url: str, personas: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # Never real phones from the demo, whatever .env says.
            "TELEPHONY": "sim",
            "PUBLIC_BASE_URL": voice_url,
            "CALL_BACKEND_URL": voice_url,
            "VOICE_BACKEND_TOKEN": secrets.token_urlsafe(24),
            "CALLS_PER_SECOND": "5",
            "RING_TIMEOUT_SECONDS": "15",
            "SIM_SPEED": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if personas:
        env["SIM_PERSONAS_DIR"] = personas
    return env


def _port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _exact_port(port: int, option: str) -> int:
    """`port`, which the user chose: an error when it is taken."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise CommandError(f"{option} {port}: the port is in use") from None
    return port


def _port(preferred: int) -> int:
    """`preferred` when it is free, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise CommandError("no free port on 127.0.0.1")


@contextlib.contextmanager
def _service(target: str, port: int, env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base_url: str, path: str, name: str, log: Path) -> None:
    deadline = time.monotonic() + _START_SECONDS
    problem = "it did not answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(base_url + path, timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
        problem = "; ".join(response.json().get("problems", [])) or f"HTTP {response.status_code}"
        time.sleep(0.2)
    tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.exists() else []
    raise CommandError(f"{name} is not ready: {problem}" + ("\n" + "\n".join(tail) if tail else ""))


if __name__ == "__main__":
    raise SystemExit(main())
