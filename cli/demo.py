"""`make demo` / `haggle demo`: the whole product on this machine, with no account anywhere.

It starts both services as a user would (uvicorn, embedded SQLite in `data/haggle.db`), with
the voice service dialling simulated providers (`TELEPHONY=sim`) and, without an xAI key, the
local voice agent. Then, through the job API only: it creates a job (a running toilet, budget
$150), adds every simulated provider (their persona files), starts the calls (all at once),
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

from cli.commands.base import CommandError, money, print_lines
from cli.commands.calls import ChangeLines, LiveTable, View, watch
from cli.commands.client import JobApi
from cli.commands.results import ranked, result_lines

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
    from voice_backend.sim.persona import PersonaError, load_personas
    from voice_backend.sim.telephony import sim_directory

    began = time.monotonic()
    folder = args.personas or os.environ.get("SIM_PERSONAS_DIR") or None
    try:
        personas = load_personas(folder)
    except PersonaError as error:
        raise CommandError(str(error)) from None
    numbers = {key: number for number, key in sim_directory(personas).items()}
    chosen = sorted(personas)
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in personas]
        if unknown:
            raise CommandError(f"no persona named {', '.join(unknown)} (have: {', '.join(chosen)})")
        chosen = wanted
    if not chosen:
        raise CommandError("no persona files to call")

    logs = Path("data") / "demo"
    logs.mkdir(parents=True, exist_ok=True)
    api_port, voice_port = _port(8000), _port(6000)
    api_url, voice_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{voice_port}"
    env = _service_env(voice_url, folder)
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
        with JobApi(api_url) as api:
            job = api.create_job({**_JOB, "max_price": args.budget})
            job_id = job["job_id"]
            api.add_providers(
                job_id,
                [
                    {"service_provider": personas[key].name, "phone_number": numbers[key]}
                    for key in chosen
                ],
            )
            print_lines(
                [
                    f"Job {job_id}: {job['problem']}, budget {money(job['max_price'])}.",
                    f"Calling {len(chosen)} simulated providers at once…",
                    "",
                ]
            )
            api.start_calls(job_id)
            live = sys.stdout.isatty() and not args.plain
            view: View = LiveTable(sys.stdout) if live else ChangeLines(sys.stdout)
            watch(api, job_id, view, interval=0.5, timeout=args.timeout)
            rows = _status_rows(api_url, job_id)
            final = ranked(api.providers(job_id))
    _report(
        sys.stdout, job, rows, final, descriptions={personas[k].name: personas[k] for k in chosen}
    )
    print_lines(
        [
            "",
            f"Done in {time.monotonic() - began:.0f} s. The job stays in {_database()}: "
            "start the job API (.venv/bin/uvicorn api.main:app --port 8000) and open "
            f"http://localhost:8000, or run '.venv/bin/haggle results {job_id}'.",
        ]
    )
    return 0


def _report(
    out: TextIO,
    job: dict[str, Any],
    rows: list[dict[str, Any]],
    final: list[dict[str, Any]],
    descriptions: dict[str, Any],
) -> None:
    lines = ["", "Transcripts", "==========="]
    for row in sorted(rows, key=lambda r: r["id"]):
        persona = descriptions.get(row["name"])
        about = f" — {persona.description}" if persona is not None and persona.description else ""
        lines += ["", f"{row['name']} ({row['phone']}){about}"]
        outcome = row.get("outcome") or row["call_status"]
        lines.append(
            f"  outcome: {outcome}"
            + (f"; {row['failure_reason']}" if row.get("failure_reason") else "")
            + (f"; price reader: {row['price_notes']}" if row.get("price_notes") else "")
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


def _status_rows(api_url: str, job_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{api_url}/api/providers/{job_id}/status", timeout=15.0)
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()
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
