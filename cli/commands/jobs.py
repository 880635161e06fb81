"""`haggle job create` and `haggle providers add`: a job and the providers to call for it."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.commands.base import CommandError, api_key, api_options, api_url, print_lines, table
from cli.commands.client import ApiError, JobApi, describe_detail

#: Job fields as `haggle job create` spells them.
_JOB_FLAGS = {
    "problem": "--problem",
    "zip_code": "--zip",
    "max_price": "--max-price",
    "house_address": "--address",
    "date_needed": "--date",
    "context_answers": "--context",
    "followup_minutes": "--follow-up",
}
#: Accepted CSV header names, after lower-casing and `-`/space → `_`.
_NAME_COLUMNS = ("service_provider", "name")
_PHONE_COLUMNS = ("phone_number", "phone")


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `job` and `providers` to the `haggle` subcommands."""
    api = api_options()

    job = commands.add_parser("job", help="create a job", description="Jobs in the job API.")
    job.set_defaults(handler=lambda _: _usage(job))
    job_commands = job.add_subparsers(title="commands", metavar="COMMAND")
    create = job_commands.add_parser(
        "create",
        parents=[api],
        help="create a job and print its id",
        description=(
            "Create a job in the job API and print its id (the whole job with --json). "
            "Without --max-price the job has no price limit."
        ),
    )
    create.add_argument("--problem", required=True, help="what needs doing, in a sentence")
    create.add_argument("--zip", required=True, metavar="ZIP", help="the job's zip code")
    budget = create.add_mutually_exclusive_group()
    budget.add_argument(
        "--max-price",
        type=_budget,
        metavar="N",
        help="the most the homeowner will pay, in dollars (e.g. 150)",
    )
    budget.add_argument("--no-limit", action="store_true", help="no price limit (the default)")
    create.add_argument("--address", help="the house address")
    create.add_argument("--date", help="when the job is needed (free text: 'this Friday')")
    create.add_argument("--context", help="answers the agent may give about the job")
    follow = create.add_mutually_exclusive_group()
    follow.add_argument(
        "--follow-up",
        action="append",
        type=float,
        metavar="MINUTES",
        help=(
            "call a busy or unanswered line again this many minutes later (repeatable, one "
            "per follow-up; default: 30 and 120), inside calling hours"
        ),
    )
    follow.add_argument(
        "--no-follow-up", action="store_true", help="never call a busy line again by itself"
    )
    create.add_argument("--json", action="store_true", help="print the whole job as JSON")
    create.set_defaults(handler=_create_job)

    providers = commands.add_parser(
        "providers", help="add providers to a job", description="A job's providers."
    )
    providers.set_defaults(handler=lambda _: _usage(providers))
    provider_commands = providers.add_subparsers(title="commands", metavar="COMMAND")
    add = provider_commands.add_parser(
        "add",
        parents=[api],
        help="add the providers listed in a CSV file",
        description=(
            "Add the providers in a CSV file to a job. The file starts with the header "
            "'service_provider,phone_number' (or 'name,phone'); other columns are ignored. "
            "Numbers without a country code are read in the API's DEFAULT_REGION. If any "
            "number is invalid, the API stores none of them and the bad one is named."
        ),
    )
    add.add_argument("job_id", metavar="JOB", help="the job's id")
    add.add_argument("--csv", required=True, metavar="FILE", help="the CSV file; '-' reads stdin")
    add.add_argument("--json", action="store_true", help="print the stored providers as JSON")
    add.set_defaults(handler=_add_providers)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _budget(text: str) -> float:
    cleaned = text.strip().lstrip("$").replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a price (e.g. 150)") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the price must be positive")
    return value


# --- job create -----------------------------------------------------------------------------


def _create_job(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        "problem": args.problem,
        "zip_code": args.zip,
        "max_price": None if args.no_limit else args.max_price,
    }
    optional = {
        "house_address": args.address,
        "date_needed": args.date,
        "context_answers": args.context,
    }
    body |= {key: value for key, value in optional.items() if value is not None}
    if args.no_follow_up or args.follow_up:
        body["followup_minutes"] = [] if args.no_follow_up else args.follow_up
    with JobApi(api_url(args), api_key(args)) as api:
        try:
            job = api.create_job(body)
        except ApiError as error:
            if error.status_code != 422:
                raise
            detail = describe_detail(error.detail, _job_flag)
            raise CommandError(f"job create: {detail}") from None
    if args.json:
        print_lines([json.dumps(job, indent=2)])
    else:
        print_lines([str(job["job_id"])])
    return 0


def _job_flag(loc: list[Any]) -> str:
    return _JOB_FLAGS.get(str(loc[0]), str(loc[0])) if loc else ""


# --- providers add --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderLine:
    """One provider read from the CSV file, with the line it came from."""

    line: int
    name: str
    phone: str


def read_providers_csv(text: str) -> list[ProviderLine]:
    """The providers in a CSV text whose header names a name and a phone column.

    Raises `CommandError` naming the line at fault.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            raise CommandError("the file is empty")
        columns = [cell.strip().lower().replace("-", "_").replace(" ", "_") for cell in header]
        name_at = _column(columns, _NAME_COLUMNS)
        phone_at = _column(columns, _PHONE_COLUMNS)
        if name_at is None or phone_at is None:
            raise CommandError(
                "the first line must be the header 'service_provider,phone_number' "
                f"(or 'name,phone'), not {','.join(header)!r}"
            )
        providers = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = row + [""] * (len(columns) - len(row))
            name, phone = cells[name_at].strip(), cells[phone_at].strip()
            if not name:
                raise CommandError(f"line {reader.line_num}: no provider name (phone {phone!r})")
            if not phone:
                raise CommandError(f"line {reader.line_num}: no phone number for {name!r}")
            providers.append(ProviderLine(reader.line_num, name, phone))
    except csv.Error as error:
        raise CommandError(f"line {reader.line_num}: not valid CSV ({error})") from None
    if not providers:
        raise CommandError("no providers under the header")
    return providers


def _column(columns: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in columns:
            return columns.index(name)
    return None


def _add_providers(args: argparse.Namespace) -> int:
    source = "stdin" if args.csv == "-" else args.csv
    try:
        providers = read_providers_csv(_read_text(args.csv))
    except CommandError as error:
        raise CommandError(f"providers add: {source}: {error}") from None
    body = [{"service_provider": p.name, "phone_number": p.phone} for p in providers]
    with JobApi(api_url(args), api_key(args)) as api:
        try:
            stored = api.add_providers(args.job_id, body)
        except ApiError as error:
            if error.status_code != 422:
                raise
            detail = describe_detail(error.detail, lambda loc: _provider_field(loc, providers))
            raise CommandError(f"providers add: {source}: {detail}; nothing was stored") from None
    if args.json:
        print_lines([json.dumps(stored, indent=2)])
        return 0
    rows = [[str(p["id"]), str(p["name"]), str(p["phone"])] for p in stored]
    lines = table(["ID", "PROVIDER", "PHONE"], rows) if rows else []
    left_out = len(providers) - len(stored)
    summary = f"added {len(stored)} provider{'s' if len(stored) != 1 else ''} to {args.job_id}"
    if left_out:
        summary += f" ({left_out} already on the job or listed twice)"
    print_lines([*lines, summary])
    return 0


def _provider_field(loc: list[Any], providers: list[ProviderLine]) -> str:
    """`["providers", 2, "phone_number"]` → `line 4 (Ace Plumbing)`: the message names the
    number itself."""
    index = loc[1] if len(loc) >= 2 and loc[0] == "providers" else None
    if isinstance(index, int) and 0 <= index < len(providers):
        provider = providers[index]
        where = f"line {provider.line} ({provider.name})"
        field = loc[2] if len(loc) > 2 else ""
        return where if field == "phone_number" else f"{where} {field}".strip()
    return ".".join(str(part) for part in loc)


def _read_text(file: str) -> str:
    try:
        if file == "-":
            return sys.stdin.read()
        return Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError("not UTF-8 text") from None
    except OSError as error:
        raise CommandError(f"cannot read it: {error.strerror or error}") from None
