"""Every simulated provider against the local agent, measured over several seeds.

Run: `.venv/bin/python bench/personas.py` (`--help` for the knobs), or
`make bench-personas PERSONAS_ARGS="--seeds 2 --trades plumber"`.

Both services run in this process on loopback, as in the tests: the job API, and the voice
service with `TELEPHONY=sim` (persona phones behind a simulated Twilio) and `AGENT=local`. For
each seed (each persona's wording varies with its seed) and each budget, one job per trade
calls every persona of that trade at once, as the demo does; the trades' jobs run together
with `--parallel`. Nothing is scripted: each side hears the other through Piper → μ-law →
WebRTC VAD → Whisper.

Reported per persona and overall (`persona_report.py`): word error rate both ways, prices
heard right, the designed outcome reached, the deal rate against the text-only policy's on the
same persona and budget (`text_calls.py`), the agreed price over the persona's floor, deals
above the budget or below the floor, and the longest run of "didn't catch that" turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.main import create_app as create_api
from bench.persona_report import CallReport, load_reports, measure, money, summarise
from bench.text_calls import text_call
from shared.settings import load_settings
from tests.support.servers import bound_socket, free_port, serve
from voice_backend.agents.base import Agent
from voice_backend.agents.local import LocalAgent
from voice_backend.app import create_app as create_voice
from voice_backend.sim.persona import PERSONA_DIR, Persona, PersonaKind, load_personas
from voice_backend.sim.telephony import SimTelephony, sim_directory

_EXPECTED = {
    PersonaKind.BUSY: "busy",
    PersonaKind.NO_ANSWER: "no_answer",
    PersonaKind.VOICEMAIL: "voicemail",
    PersonaKind.DECLINES: "declined",
}
#: Each trade's job, as a homeowner would write it.
JOBS = {
    "plumber": "my toilet keeps running",
    "electrician": "an outlet in the kitchen stopped working",
    "HVAC technician": "the air conditioner is not cooling",
    "appliance repair technician": "the dishwasher is leaking",
    "roofer": "the roof is leaking over the garage",
    "pest control": "there are mice in the garage",
    "locksmith": "the front door lock is stuck",
    "painter": "paint the walls of one bedroom",
    "house cleaner": "a deep clean of a two bedroom house",
    "landscaper": "mow the lawn and trim the hedge",
    "handyman": "a loose handrail on the stairs",
}


def designed_outcome(persona: Persona, budget: float) -> str:
    """The outcome the persona is built to reach at `budget`."""
    if persona.kind in _EXPECTED:
        return _EXPECTED[persona.kind]
    lowest = persona.lowest_price or 0.0
    return "agreed" if lowest + (persona.trip_fee or 0.0) <= budget else "no_agreement"


class Recorder:
    """Keeps every local agent the voice service builds, by provider id."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self.agents: dict[int, LocalAgent] = {}

    def __call__(self, provider: Any) -> Agent:
        agent = self._build(provider)
        if isinstance(agent, LocalAgent):
            self.agents[provider.id] = agent
        return agent


def _seeded(folder: Path, source: Path, keys: list[str], seed: int) -> None:
    """Copy the persona files of `keys` into `folder`, each with its seed moved by `seed`."""
    for key in keys:
        text = (source / f"{key}.toml").read_text(encoding="utf-8")
        match = re.search(r"^seed\s*=\s*(\d+)\s*$", text, re.MULTILINE)
        own = int(match.group(1)) if match else 0
        text = re.sub(r"^seed\s*=.*$\n?", "", text, flags=re.MULTILINE)
        (folder / f"{key}.toml").write_text(f"{text.rstrip()}\nseed = {own + 1000 * seed}\n")


async def _run_job(
    api: httpx.AsyncClient,
    personas: dict[str, Persona],
    keys: list[str],
    trade: str,
    budget: float,
    seed: int,
    within: float,
) -> tuple[str, list[str], float, list[dict[str, Any]], float]:
    numbers = {key: number for number, key in sim_directory(personas).items()}
    problem = JOBS.get(trade, "a small repair around the house")
    job = await api.post(
        "/api/jobs", json={"problem": problem, "zip_code": "94110", "max_price": budget}
    )
    job.raise_for_status()
    job_id = job.json()["job_id"]
    body = {
        "providers": [
            {"service_provider": personas[key].name, "phone_number": numbers[key]} for key in keys
        ]
    }
    (await api.post(f"/api/jobs/{job_id}/providers", json=body)).raise_for_status()
    began = time.monotonic()
    (await api.post(f"/api/start-calls/{job_id}")).raise_for_status()
    async with asyncio.timeout(within):
        while True:
            response = await api.get(f"/api/providers/{job_id}/status")
            if response.status_code == 429:  # every job polls with the one key: slow down
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            response.raise_for_status()
            rows: list[dict[str, Any]] = response.json()
            if all(row["call_status"] in ("completed", "failed") for row in rows):
                break
            await asyncio.sleep(0.5)
    return problem, keys, budget, rows, time.monotonic() - began


async def _run_seed(
    args: argparse.Namespace, source: Path, keys: list[str], seed: int
) -> list[CallReport]:
    """Every persona of `keys` at every budget, with wording seed `seed`, on fresh services."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "personas"
        folder.mkdir()
        _seeded(folder, source, keys, seed)
        personas = load_personas(folder)
        sock, voice_url = bound_socket()
        settings = load_settings(
            database_url=f"sqlite:///{tmp}/bench.db",
            telephony="sim",
            agent="local",
            public_base_url=voice_url,
            data_dir=f"{tmp}/data",
            calls_per_second=20,
            ring_timeout_seconds=10,
            sim_speed=args.speed,
            sim_personas_dir=str(folder),
            log_level="warning",
            xai_api_host=f"127.0.0.1:{free_port()}",
        )
        voice_app = create_voice(settings)
        # The job API admits only a credential: an operator key made up for this run.
        operator = f"hgl_bench-{secrets.token_hex(16)}"
        api_settings = load_settings(
            database_url=settings.database_url, call_backend_url=voice_url, haggle_api_key=operator
        )
        by_trade: dict[str, list[str]] = {}
        for key in keys:
            by_trade.setdefault(personas[key].trade, []).append(key)
        reports: list[CallReport] = []
        async with (
            serve(voice_app, sock=sock),
            serve(create_api(api_settings)) as api_url,
            httpx.AsyncClient(
                base_url=api_url, timeout=30, headers={"Authorization": f"Bearer {operator}"}
            ) as api,
        ):
            services = voice_app.state.services
            recorder = Recorder(services.agent_factory)
            services.agent_factory = recorder
            telephony = services.telephony
            assert isinstance(telephony, SimTelephony)
            for budget in args.budgets:
                jobs = [
                    _run_job(api, personas, group, trade, budget, seed, args.timeout)
                    for trade, group in sorted(by_trade.items())
                ]
                print(
                    f"seed {seed}, budget ${budget:g}: {len(keys)} personas, {len(jobs)} trades…",
                    file=sys.stderr,
                )
                done = []
                if args.parallel:
                    done = await asyncio.gather(*jobs)
                else:
                    for job in jobs:
                        done.append(await job)
                await telephony.wait_idle()
                phones = {phone.persona.name: phone for phone in telephony.phones.values()}
                for problem, group, job_budget, rows, elapsed in done:
                    for key in group:
                        reports.append(
                            _report(
                                key,
                                personas[key],
                                seed,
                                job_budget,
                                problem,
                                rows,
                                elapsed,
                                phones.get(personas[key].name),
                                recorder,
                            )
                        )
                telephony.phones.clear()
        return reports


def _report(
    key: str,
    persona: Persona,
    seed: int,
    budget: float,
    problem: str,
    rows: list[dict[str, Any]],
    elapsed: float,
    phone: Any,
    recorder: Recorder,
) -> CallReport:
    row = next(r for r in rows if r["name"] == persona.name)
    report = CallReport(
        persona=key,
        trade=persona.trade,
        kind=persona.kind.value,
        seed=seed,
        budget=budget,
        outcome=row.get("outcome"),
        designed=designed_outcome(persona, budget),
        first_quote=row.get("estimated_price"),
        agreed=row.get("negotiated_price"),
        # the least it bills: its lowest price and its trip charge (agreed prices include fees)
        floor=None
        if persona.lowest_price is None
        else persona.lowest_price + (persona.trip_fee or 0),
        persona_agreed=phone.mind.agreed_price if phone else None,
        text_agreed=text_call(persona, problem, budget),
        seconds=elapsed,
        call_seconds=phone.seconds if phone else 0.0,
        transcript=row.get("call_transcript") or "",
    )
    agent = recorder.agents.get(row["id"])
    events: list[tuple[float, str, str]] = []
    if phone:
        events += [(line.started_at, "provider says", line.text) for line in phone.said]
        events += [
            (line.ended_at or line.started_at, "provider heard", line.text)
            for line in phone.understood
        ]
    if agent:
        events += [(at, "agent says", text) for at, text in agent.said]
        events += [(at, "agent heard (start)", text) for at, text in agent.heard]
    report.timeline = sorted(events)
    measure(
        report,
        list(phone.said) if phone else [],
        list(phone.understood) if phone else [],
        list(agent.heard) if agent else [],
    )
    return report


async def run(args: argparse.Namespace) -> list[CallReport]:
    """Every seed in turn; every call measured."""
    source = Path(args.personas) if args.personas else PERSONA_DIR
    personas = load_personas(source)
    keys = sorted(personas) if not args.only else args.only.split(",")
    if args.trades:
        wanted = {t.strip().lower() for t in args.trades.split(",")}
        keys = [k for k in keys if personas[k].trade.lower() in wanted]
    reports: list[CallReport] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        reports += await _run_seed(args, source, keys, seed)
        if args.json:
            text = json.dumps([asdict(r) for r in reports], indent=2)
            await asyncio.to_thread(Path(args.json).write_text, text)
    return reports


def cpu_seconds() -> float:
    """CPU time of this process and its live child processes (the speech workers), Linux."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():  # its parent
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--budgets",
        type=lambda text: [float(v) for v in text.split(",")],
        default=[150.0],
        help="the jobs' budgets, comma-separated (default: 150)",
    )
    parser.add_argument("--seeds", type=int, default=10, help="runs per persona (default: 10)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default: 0)")
    parser.add_argument("--only", help="persona keys, comma-separated (default: all)")
    parser.add_argument("--trades", help="only these trades' personas, comma-separated")
    parser.add_argument(
        "--parallel", action="store_true", help="run the trades' jobs at once (a free machine)"
    )
    parser.add_argument("--personas", help="a folder of persona files (default: the shipped)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated call speed (default: real time)"
    )
    parser.add_argument("--timeout", type=float, default=400.0, help="per job, seconds")
    parser.add_argument("--json", metavar="FILE", help="also write every call's numbers here")
    parser.add_argument(
        "--transcripts", action="store_true", help="print each call's transcript too"
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="with --transcripts: also each line said and heard, at its line time",
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="FILE",
        help="run nothing: the report over the calls of earlier runs' --json files",
    )
    args = parser.parse_args()
    if args.combine:
        saved = [r for path in args.combine for r in load_reports(Path(path))]
        print("\n".join(summarise(saved, None)))
        return 0
    # Importing the voice service configured logging from the environment: keep the report
    # readable.
    logging.getLogger().setLevel(logging.WARNING)
    began, cpu = time.monotonic(), cpu_seconds()
    reports = asyncio.run(run(args))
    wall, cpu = time.monotonic() - began, cpu_seconds() - cpu
    if args.transcripts:
        for r in reports:
            print(f"\n{r.persona} (seed {r.seed}, budget {money(r.budget)}): {r.outcome}")
            print(r.transcript)
            if args.timeline:
                for at, who, text in r.timeline:
                    print(f"  {at:7.2f}  {who:<20} {text}")
            for said, got in r.misheard_prices:
                print(f"  price misheard: said {said!r}, heard {got!r}")
        print()
    print("\n".join(summarise(reports, wall, cpu)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
