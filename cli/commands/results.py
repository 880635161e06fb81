"""`haggle results`: a job's calls ranked by the price each provider agreed to."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from cli.commands.base import api_key, api_options, api_url, money, print_lines, printable, table
from cli.commands.client import JobApi
from shared.money import credible_saving, dollars

_TERMINAL = {"completed", "failed"}


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `results` to the `haggle` subcommands."""
    results = commands.add_parser(
        "results",
        parents=[api_options()],
        help="show a job's calls ranked by agreed price",
        description=(
            "Show a job's calls, best deal first: agreed prices from lowest, then calls "
            "that ended without one, then calls still under way, then failed calls. "
            "Savings are the first quote minus the agreed price, shown only when the first "
            "quote is credible and the saving positive; '?' marks a figure the price reader "
            "is not sure of; costs are estimates from the configured per-minute rates, every "
            "attempt included."
        ),
    )
    results.add_argument("job_id", metavar="JOB", help="the job's id")
    output = results.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the ranked rows as JSON")
    output.add_argument(
        "--csv",
        action="store_true",
        help=(
            "print every attempt of every call as CSV (prices, outcome, cost, conditions, "
            "transcript), as the dashboard's export; redirect it to a file for a spreadsheet"
        ),
    )
    results.set_defaults(handler=_results)


def ranked(providers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The job's providers as result rows, best deal first."""
    rows = sorted((_row(provider) for provider in providers), key=_rank_key)
    return [{"rank": rank, **row} for rank, row in enumerate(rows, 1)]


def _row(provider: dict[str, Any]) -> dict[str, Any]:
    quote, agreed = provider.get("estimated_price"), provider.get("negotiated_price")
    confidence = provider.get("price_confidence") or {}
    if "saving" in provider:
        savings = provider["saving"]
    else:  # an API from before issue 12: the same rule, here
        savings = credible_saving(quote, agreed, confidence.get("first_quote"))
    percent = round(100 * savings / quote, 1) if savings is not None and quote else None
    return {
        "provider_id": provider["id"],
        "provider": provider["name"],
        "phone": provider["phone"],
        "call_status": provider["call_status"],
        "outcome": provider.get("outcome"),
        "first_quote": quote,
        "agreed_price": agreed,
        "savings": savings,
        "savings_percent": percent,
        "conditions": provider.get("conditions"),
        "price_confidence": confidence or None,
        "price_notes": provider.get("price_notes"),
        "failure_reason": provider.get("failure_reason"),
        "attempt": provider.get("attempt", 1),
        "next_attempt_at": provider.get("next_attempt_at"),
        "cost": provider.get("cost"),
    }


def _figure(row: dict[str, Any], which: str, value: float | None) -> str:
    """A price, with "?" when the reader is not sure of it."""
    level = (row.get("price_confidence") or {}).get(which)
    unsure = value is not None and level in ("medium", "low")
    return money(value) + (" ?" if unsure else "")


def _rank_key(row: dict[str, Any]) -> tuple[int, float, int]:
    if row["agreed_price"] is not None:
        return (0, row["agreed_price"], row["provider_id"])
    if row["call_status"] == "completed":
        return (1, row["first_quote"] or float("inf"), row["provider_id"])
    if row["call_status"] not in _TERMINAL:
        return (2, 0.0, row["provider_id"])
    return (3, 0.0, row["provider_id"])


def _savings(row: dict[str, Any]) -> str:
    if row["savings"] is None:
        return "-"
    text = money(row["savings"])
    if row["savings_percent"] is not None:
        text += f" ({row['savings_percent']:g}%)"
    return text


def _cost(value: float | None) -> str:
    return dollars(value, cents=True)


def result_lines(
    job: dict[str, Any], rows: list[dict[str, Any]], costs: dict[str, Any] | None = None
) -> list[str]:
    """The job's header, its ranked table, the best deal and the cost, as lines."""
    budget = "no limit" if job.get("max_price") is None else money(job["max_price"])
    header = printable(
        f"{job['job_id']}: {job['problem']} (zip {job['zip_code']}, budget {budget})"
    )
    if not rows:
        return [header, "no providers yet: add some with 'haggle providers add'"]
    cells = [
        [
            str(row["rank"]),
            row["provider"],
            row["outcome"] or row["call_status"],
            _figure(row, "first_quote", row["first_quote"]),
            _figure(row, "agreed_price", row["agreed_price"]),
            _savings(row),
            str(row["attempt"]),
            _cost(row["cost"]),
            row["conditions"] or "",
        ]
        for row in rows
    ]
    headers = [
        "#",
        "PROVIDER",
        "OUTCOME",
        "FIRST QUOTE",
        "AGREED",
        "SAVINGS",
        "TRIES",
        "COST",
        "CONDITIONS",
    ]
    lines = [header, "", *table(headers, cells, right={0, 3, 4, 5, 6, 7}), ""]
    unsure = [row for row in rows if "?" in _figure(row, "first_quote", row["first_quote"])]
    unsure += [row for row in rows if "?" in _figure(row, "agreed_price", row["agreed_price"])]
    if unsure:
        lines.append("? the price reader is not sure of this figure:")
        for row in dict.fromkeys(r["provider_id"] for r in unsure):
            one = next(r for r in rows if r["provider_id"] == row)
            lines.append(
                printable(f"  {one['provider']}: {one['price_notes'] or 'no reason given'}")
            )
        lines.append("")
    best = rows[0]
    if best["agreed_price"] is not None:
        figure = _figure(best, "agreed_price", best["agreed_price"])
        lines.append(printable(f"best: {best['provider']} at {figure}"))
    else:
        open_calls = sum(row["call_status"] not in _TERMINAL for row in rows)
        if open_calls:
            plural = "s" if open_calls != 1 else ""
            lines.append(f"no price agreed yet ({open_calls} call{plural} still open)")
        else:
            lines.append("no price agreed")
    if costs is not None:
        plural = "s" if costs["attempts"] != 1 else ""
        lines.append(
            f"cost: {_cost(costs['cost'])} for {costs['attempts']} call{plural} "
            f"({costs['duration_seconds'] / 60:.1f} min; estimate)"
        )
        cap = costs.get("daily_spend_cap")
        spent = _cost(costs["account_cost_last_24_hours"])
        lines.append(
            f"account, last 24 hours: {spent}" + (f" of a {_cost(cap)} cap" if cap else "")
        )
    return lines


def _printable_csv(text: str) -> str:
    """The export with every cell passed through `printable` (line breaks kept): names and
    transcripts may carry terminal escape codes, and this goes to a terminal as often as to
    a file."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([printable(cell, keep_lines=True) for cell in row])
    return out.getvalue()


def _results(args: argparse.Namespace) -> int:
    with JobApi(api_url(args), api_key(args)) as api:
        if args.csv:
            sys.stdout.write(_printable_csv(api.export_csv(args.job_id)))
            return 0
        job = api.get_job(args.job_id)
        rows = ranked(api.providers(args.job_id))
        costs = None if args.json else api.costs(args.job_id)
    if args.json:
        print_lines([json.dumps(rows, indent=2)])
    else:
        print_lines(result_lines(job, rows, costs))
    return 0
