"""Every simulated provider against the local agent, measured.

Run: `.venv/bin/python bench/personas.py` (a few minutes; `--help` for the knobs), or
`make bench-personas PERSONAS_ARGS="--budgets 150,250"`.

Both services run in this process on loopback, as in the tests: the job API, and the voice
service with `TELEPHONY=sim` (persona phones behind a simulated Twilio) and `AGENT=local`. For
each budget, one job calls every persona at once (all calls of a job run concurrently, as in
the demo). Nothing is scripted: each side hears the other through eSpeak NG → μ-law → WebRTC
VAD → PocketSphinx.

Reported:

* word error rate of the recogniser on the simulated speech, both ways: what each persona said
  (its text) against what the agent heard, and what the agent said against what the persona
  heard (per call, the whole call's words aligned at once, so a split or merged utterance
  costs nothing extra);
* prices heard: of the persona's lines that name a price, how many the agent heard with every
  price right (the line the agent heard closest in time);
* per persona: the outcome against the one its kind should end in; the agreement rate of the
  human personas; the agreed price over the persona's floor (what the agent left on the
  table); whether the two sides agree on the deal; and that no agreement ever exceeded the
  job's `max_price`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.main import create_app as create_api
from pricing.numbers import find_amounts, tokenize
from shared.money import amount as plain_amount
from shared.settings import load_settings
from tests.support.servers import bound_socket, free_port, serve
from voice_backend.agents.base import Agent
from voice_backend.agents.local import LocalAgent
from voice_backend.app import create_app as create_voice
from voice_backend.sim.persona import Persona, PersonaKind, load_personas
from voice_backend.sim.persona_phone import PersonaPhone
from voice_backend.sim.telephony import SimTelephony, sim_directory

_EXPECTED = {
    PersonaKind.BUSY: "busy",
    PersonaKind.NO_ANSWER: "no_answer",
    PersonaKind.VOICEMAIL: "voicemail",
    PersonaKind.DECLINES: "no_agreement",
}
#: A price said by a persona is matched to what the agent heard starting within this long.
_MATCH_SECONDS = 2.0


@dataclass
class CallReport:
    """One call, measured."""

    persona: str
    kind: str
    budget: float
    outcome: str | None
    expected: str
    first_quote: float | None
    agreed: float | None
    floor: float | None
    persona_agreed: float | None
    agent_words: int = 0
    agent_errors: int = 0
    persona_words: int = 0
    persona_errors: int = 0
    price_lines: int = 0
    prices_heard: int = 0
    seconds: float = 0.0
    transcript: str = ""
    misheard_prices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome_ok(self) -> bool:
        return self.outcome == self.expected or (
            self.expected == "agreed or no_agreement" and self.outcome in ("agreed", "no_agreement")
        )


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()


def _edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, hyp in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref != hyp))
    return row[-1]


def _prices(text: str) -> set[float]:
    """The amounts of $20 or more said in `text` (both readings of an ambiguous one)."""
    found: set[float] = set()
    for amount in find_amounts(tokenize(text)):
        for value in (amount.value, amount.alternative):
            if value is not None and value >= 20:
                found.add(value)
    return found


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


def _measure(
    report: CallReport, phone: PersonaPhone | None, agent: LocalAgent | None, row: dict[str, Any]
) -> None:
    said = [line for line in phone.said] if phone else []
    heard = list(agent.heard) if agent else []
    reference = [w for line in said for w in _words(line.text)]
    hypothesis = [w for _, text in heard for w in _words(text)]
    report.agent_words, report.agent_errors = (
        len(reference),
        _edit_distance(reference, hypothesis),
    )
    agent_said = [
        line.split("]: ", 1)[1]
        for line in (row.get("call_transcript") or "").splitlines()
        if "[ASSISTANT]: " in line
    ]
    understood = [line.text for line in phone.understood] if phone else []
    reference = [w for text in agent_said for w in _words(text)]
    hypothesis = [w for text in understood for w in _words(text)]
    report.persona_words, report.persona_errors = (
        len(reference),
        _edit_distance(reference, hypothesis),
    )
    for line in said:
        expected = _prices(line.text)
        if not expected:
            continue
        report.price_lines += 1
        near = [
            (abs(start - line.started_at), text)
            for start, text in heard
            if abs(start - line.started_at) <= _MATCH_SECONDS
        ]
        got = min(near)[1] if near else ""
        if expected <= _prices(got):
            report.prices_heard += 1
        else:
            report.misheard_prices.append((line.text, got))


async def _run_job(
    api: httpx.AsyncClient,
    personas: dict[str, Persona],
    keys: list[str],
    budget: float,
    telephony: SimTelephony,
    recorder: Recorder,
    within: float,
) -> list[CallReport]:
    numbers = {key: number for number, key in sim_directory(personas).items()}
    job = await api.post(
        "/api/jobs",
        json={"problem": "my toilet keeps running", "zip_code": "94110", "max_price": budget},
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
            rows: list[dict[str, Any]] = (await api.get(f"/api/providers/{job_id}/status")).json()
            if all(row["call_status"] in ("completed", "failed") for row in rows):
                break
            await asyncio.sleep(0.5)
    elapsed = time.monotonic() - began
    await telephony.wait_idle()
    phones = {phone.persona.name: phone for phone in telephony.phones.values()}
    reports = []
    for key in keys:
        persona = personas[key]
        row = next(r for r in rows if r["name"] == persona.name)
        phone = phones.get(persona.name)
        report = CallReport(
            persona=key,
            kind=persona.kind.value,
            budget=budget,
            outcome=row.get("outcome"),
            expected=_EXPECTED.get(persona.kind, "agreed or no_agreement"),
            first_quote=row.get("estimated_price"),
            agreed=row.get("negotiated_price"),
            floor=persona.lowest_price,
            persona_agreed=phone.mind.agreed_price if phone else None,
            seconds=elapsed,
            transcript=row.get("call_transcript") or "",
        )
        _measure(report, phone, recorder.agents.get(row["id"]), row)
        reports.append(report)
    telephony.phones.clear()
    return reports


async def run(args: argparse.Namespace) -> list[CallReport]:
    """Run one job per budget; every call measured."""
    personas = load_personas(args.personas)
    keys = sorted(personas) if not args.only else args.only.split(",")
    with tempfile.TemporaryDirectory() as tmp:
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
            sim_personas_dir=args.personas,
            log_level="warning",
            xai_api_host=f"127.0.0.1:{free_port()}",
        )
        voice_app = create_voice(settings)
        api_settings = load_settings(database_url=settings.database_url, call_backend_url=voice_url)
        reports: list[CallReport] = []
        async with (
            serve(voice_app, sock=sock),
            serve(create_api(api_settings)) as api_url,
            httpx.AsyncClient(base_url=api_url, timeout=15) as api,
        ):
            services = voice_app.state.services
            recorder = Recorder(services.agent_factory)
            services.agent_factory = recorder
            telephony = services.telephony
            assert isinstance(telephony, SimTelephony)
            for budget in args.budgets:
                print(f"budget ${budget:g}: calling {len(keys)} personas…", file=sys.stderr)
                reports += await _run_job(
                    api, personas, keys, budget, telephony, recorder, args.timeout
                )
    return reports


def _money(value: float | None) -> str:
    # Compact for the report's narrow columns: `$1200`, `$89.5`, no thousands separator.
    return "-" if value is None else f"${plain_amount(value)}"


def summarise(reports: list[CallReport], wall: float) -> list[str]:
    """The report as lines."""
    lines = [
        f"{'persona':<18} {'budget':>6} {'outcome':<13} {'ok':<3} {'quote':>6} {'agreed':>6} "
        f"{'floor':>6} {'WER a<-p':>8} {'WER p<-a':>8} {'prices':>7}",
    ]
    for r in reports:
        wer_agent = r.agent_errors / r.agent_words if r.agent_words else None
        wer_persona = r.persona_errors / r.persona_words if r.persona_words else None
        lines.append(
            f"{r.persona:<18} {_money(r.budget):>6} {r.outcome or '-':<13} "
            f"{'yes' if r.outcome_ok else 'NO':<3} {_money(r.first_quote):>6} "
            f"{_money(r.agreed):>6} {_money(r.floor):>6} "
            f"{'-' if wer_agent is None else f'{wer_agent:.0%}':>8} "
            f"{'-' if wer_persona is None else f'{wer_persona:.0%}':>8} "
            f"{f'{r.prices_heard}/{r.price_lines}' if r.price_lines else '-':>7}"
        )
    agent_words = sum(r.agent_words for r in reports)
    persona_words = sum(r.persona_words for r in reports)
    humans = [r for r in reports if r.kind == PersonaKind.HUMAN.value]
    agreed = [r for r in humans if r.agreed is not None]
    over_floor = [r.agreed - r.floor for r in agreed if r.agreed is not None and r.floor]
    over_budget = [r for r in reports if r.agreed is not None and r.agreed > r.budget]
    mismatched = [r for r in agreed if r.persona_agreed is None or r.persona_agreed != r.agreed]
    price_lines = sum(r.price_lines for r in reports)
    lines += [
        "",
        f"calls: {len(reports)}; outcomes as expected: "
        f"{sum(r.outcome_ok for r in reports)}/{len(reports)}",
        "word error rate, provider speech heard by the agent: "
        f"{sum(r.agent_errors for r in reports) / max(1, agent_words):.1%} "
        f"({agent_words} words)",
        "word error rate, agent speech heard by the providers: "
        f"{sum(r.persona_errors for r in reports) / max(1, persona_words):.1%} "
        f"({persona_words} words)",
        f"provider lines with a price heard with every price right: "
        f"{sum(r.prices_heard for r in reports)}/{price_lines}"
        + (f" ({sum(r.prices_heard for r in reports) / price_lines:.0%})" if price_lines else ""),
        f"agreement rate (human personas): {len(agreed)}/{len(humans)}"
        + (f" ({len(agreed) / len(humans):.0%})" if humans else ""),
        "agreed price over the persona's floor: "
        + (
            f"mean ${statistics.mean(over_floor):.0f}, min ${min(over_floor):g}, "
            f"max ${max(over_floor):g}"
            if over_floor
            else "-"
        ),
        f"deals the persona agrees on too: {len(agreed) - len(mismatched)}/{len(agreed)}",
        f"agreements above max_price: {len(over_budget)}"
        + (" (never)" if not over_budget else " <-- BUG"),
        f"wall time: {wall:.0f} s",
    ]
    return lines


def main() -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--budgets",
        type=lambda text: [float(v) for v in text.split(",")],
        default=[150.0, 250.0],
        help="one job per budget, comma-separated (default: 150,250)",
    )
    parser.add_argument("--only", help="persona keys, comma-separated (default: all)")
    parser.add_argument("--personas", help="a folder of persona files (default: the shipped)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated call speed (default: real time)"
    )
    parser.add_argument("--timeout", type=float, default=400.0, help="per job, seconds")
    parser.add_argument("--json", metavar="FILE", help="also write every call's numbers here")
    parser.add_argument(
        "--transcripts", action="store_true", help="print each call's transcript too"
    )
    args = parser.parse_args()
    # Importing the voice service configured logging from the environment: keep the report
    # readable.
    logging.getLogger().setLevel(logging.WARNING)
    began = time.monotonic()
    reports = asyncio.run(run(args))
    wall = time.monotonic() - began
    if args.transcripts:
        for r in reports:
            print(f"\n{r.persona} (budget {_money(r.budget)}): {r.outcome}")
            print(r.transcript)
            for said, got in r.misheard_prices:
                print(f"  price misheard: said {said!r}, heard {got!r}")
        print()
    print("\n".join(summarise(reports, wall)))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in reports], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
