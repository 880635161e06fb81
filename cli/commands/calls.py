"""`haggle call`: start a job's calls, then watch each one until it ends.

On a terminal the watch is one table redrawn in place, with what was last said on each call
in progress under it; anywhere else (a pipe, a log file) it is one line per change and one per
turn spoken, as each turn ends, so the output reads the same after the fact.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from typing import Any, Protocol, TextIO

from cli.commands.base import CommandError, api_key, api_options, api_url, money, printable, table
from cli.commands.client import ApiError, JobApi

_TERMINAL = {"completed", "failed"}


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `call` to the `haggle` subcommands."""
    call = commands.add_parser(
        "call",
        parents=[api_options()],
        help="start a job's calls and watch them until they end",
        description=(
            "Ask the job API to call every provider of the job not called yet, then show "
            "each call's status, outcome and prices until every call is completed or failed. "
            "On a terminal this is a table refreshed in place; in a pipe, one line per change. "
            "Ctrl-C stops watching; the calls go on. With --again or --failed, calls that "
            "ended without a deal are placed again instead."
        ),
    )
    call.add_argument("job_id", metavar="JOB", help="the job's id")
    call.add_argument(
        "--interval",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="how often to ask for the calls' state (default: 1)",
    )
    call.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="stop watching after this long, exiting 1 (default: until every call ends)",
    )
    which = call.add_mutually_exclusive_group()
    which.add_argument(
        "--no-start", action="store_true", help="only watch calls that were already started"
    )
    which.add_argument(
        "--again",
        action="append",
        metavar="PROVIDER",
        help=(
            "call this provider again (its id, name or phone number; repeatable): a new "
            "attempt for a call that ended without a deal, the earlier one kept"
        ),
    )
    which.add_argument(
        "--failed",
        action="store_true",
        help="call again every call that failed (busy, no answer, errors...)",
    )
    call.add_argument(
        "--plain", action="store_true", help="one line per change, even on a terminal"
    )
    call.set_defaults(handler=_call)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0")
    return value


class View(Protocol):
    """Where the watch shows the calls."""

    def show(self, rows: list[dict[str, Any]], elapsed: float) -> None:
        """Show the providers' rows as they are `elapsed` seconds into the watch."""


class LiveTable:
    """A table redrawn in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn = 0

    def show(self, rows: list[dict[str, Any]], elapsed: float) -> None:
        """Redraw the table of calls."""
        cells = [
            [
                str(row["name"]),
                str(row["phone"]),
                str(row["call_status"]),
                str(row.get("outcome") or ""),
                money(row.get("estimated_price")),
                money(row.get("negotiated_price")),
            ]
            for row in rows
        ]
        headers = ["PROVIDER", "PHONE", "STATUS", "OUTCOME", "FIRST QUOTE", "AGREED"]
        ended = sum(row["call_status"] in _TERMINAL for row in rows)
        footer = f"{ended} of {len(rows)} calls ended · {_clock(elapsed)}"
        if ended < len(rows):
            footer += " · Ctrl-C stops watching (the calls go on)"
        size = shutil.get_terminal_size()
        # Lines that wrap or scroll off the top cannot be redrawn: cut both to the terminal.
        width, room = max(20, size.columns - 1), max(3, size.lines - 4)
        body = table(headers, cells, right={4, 5})
        if len(body) > room:
            hidden = len(body) - room + 1
            body = [*body[: room - 1], f"… {hidden} more (haggle results shows every call)"]
        lines = [*body, *_last_said(rows, room - len(body)), "", footer]
        # Back to the first line drawn, then each line cleared and rewritten, then the rest
        # of the screen cleared in case the table got shorter.
        out = [f"\r\x1b[{self._drawn}A"] if self._drawn else []
        out += [f"\x1b[2K{line[:width]}\n" for line in lines]
        out.append("\x1b[J")
        self._stream.write("".join(out))
        self._stream.flush()
        self._drawn = len(lines)


class ChangeLines:
    """One line per provider whose call changed, for pipes and logs."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._seen: dict[Any, tuple[Any, ...]] = {}
        self._turns: dict[Any, int] = {}  # turns already printed, per provider

    def show(self, rows: list[dict[str, Any]], elapsed: float) -> None:
        """Print one line for each call whose state changed."""
        for row in rows:
            state = tuple(
                row.get(key)
                for key in (
                    "call_status",
                    "outcome",
                    "estimated_price",
                    "negotiated_price",
                    "attempt",
                    "next_attempt_at",
                )
            )
            if self._seen.get(row["id"]) == state:
                continue
            self._seen[row["id"]] = state
            line = f"[{_clock(elapsed)}] {row['name']} ({row['phone']}): {describe_call(row)}"
            self._stream.write(printable(line) + "\n")
        for row in rows:
            turns = row.get("transcript_turns") or []
            shown = self._turns.get(row["id"], 0)
            for turn in turns[shown:]:
                said = f"[{_clock(elapsed)}] {row['name']} · {_turn(row, turn)}"
                self._stream.write(printable(said) + "\n")
            self._turns[row["id"]] = max(shown, len(turns))
        self._stream.flush()


def _turn(row: dict[str, Any], turn: dict[str, Any]) -> str:
    """One turn as the watch prints it, e.g. `agent: Hi, is this Ace?`."""
    speaker = "agent" if turn.get("role") == "assistant" else str(row["name"])
    return f"{speaker}: {turn.get('text', '')}"


def _last_said(rows: list[dict[str, Any]], room: int) -> list[str]:
    """Under the table: the last turn of each call in progress, as far as there is room."""
    lines = [
        f"{row['name']} · {_turn(row, row['transcript_turns'][-1])}"
        for row in rows
        if row["call_status"] not in _TERMINAL and row.get("transcript_turns")
    ]
    if not lines or room < 2:
        return []
    return ["", *lines[: room - 1]]


def describe_call(row: dict[str, Any]) -> str:
    """`completed (agreed), first quote $200, agreed $150`."""
    text = str(row["call_status"])
    if row.get("outcome"):
        text += f" ({row['outcome']})"
    if (row.get("attempt") or 1) > 1:
        text += f", attempt {row['attempt']}"
    if row.get("estimated_price") is not None:
        text += f", first quote {money(row['estimated_price'])}"
    if row.get("negotiated_price") is not None:
        text += f", agreed {money(row['negotiated_price'])}"
    if row.get("next_attempt_at"):
        text += f", next attempt {local_time(row['next_attempt_at'])}"
    return text


def local_time(iso: str) -> str:
    """An API time as this machine's local clock time (`14:05`, or `Dec 04 08:00`)."""
    moment = datetime.fromisoformat(iso).astimezone()
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%b %d %H:%M")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def watch(
    api: JobApi, job_id: str, view: View, *, interval: float, timeout: float | None
) -> list[dict[str, Any]]:
    """Show the job's calls until every one has ended; the final rows."""
    began = time.monotonic()
    while True:
        rows = api.calls(job_id)
        elapsed = time.monotonic() - began
        if not rows:
            raise CommandError(f"call: {job_id} has no providers")
        view.show(rows, elapsed)
        if all(row["call_status"] in _TERMINAL for row in rows):
            return rows
        if timeout is not None and elapsed >= timeout:
            still = sum(row["call_status"] not in _TERMINAL for row in rows)
            raise CommandError(
                f"call: {still} of {len(rows)} calls still open after {timeout:g} s; they go "
                f"on (watch again with 'haggle call {job_id} --no-start')"
            )
        time.sleep(interval)


def _call(args: argparse.Namespace) -> int:
    with JobApi(api_url(args), api_key(args)) as api:
        if args.no_start:
            api.get_job(args.job_id)  # an unknown job is a 404, not an empty watch
        elif args.again or args.failed:
            _again(api, args.job_id, args.again)
        else:
            _start(api, args.job_id)
        live = sys.stdout.isatty() and not args.plain
        view: View = LiveTable(sys.stdout) if live else ChangeLines(sys.stdout)
        try:
            rows = watch(api, args.job_id, view, interval=args.interval, timeout=args.timeout)
        except KeyboardInterrupt:
            print(
                f"haggle: call: stopped watching; the calls go on (watch again with "
                f"'haggle call {args.job_id} --no-start')",
                file=sys.stderr,
            )
            return 130
    outcomes = Counter(str(row.get("outcome") or row["call_status"]) for row in rows)
    counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    print(f"all {len(rows)} calls ended ({counts}); ranked: haggle results {args.job_id}")
    later = sorted(row["next_attempt_at"] for row in rows if row.get("next_attempt_at"))
    if later:
        plural = "s" if len(later) != 1 else ""
        print(
            f"{len(later)} follow-up{plural} scheduled, the first at {local_time(later[0])}; "
            f"watch them with 'haggle call {args.job_id} --no-start'"
        )
    return 0


def _provider_ids(api: JobApi, job_id: str, wanted: list[str]) -> list[int]:
    """Provider ids from ids, names or phone numbers, as the homeowner wrote them."""
    rows = api.providers(job_id)
    found = []
    for text in wanted:
        key = text.strip().lower()
        digits = "".join(ch for ch in key if ch.isdigit())
        matches = [
            row
            for row in rows
            if key == str(row["id"])
            or key == str(row["name"]).lower()
            or (len(digits) >= 7 and "".join(filter(str.isdigit, row["phone"])).endswith(digits))
        ]
        if len(matches) != 1:
            names = ", ".join(f"{row['id']} {row['name']}" for row in rows)
            problem = "matches no provider" if not matches else "matches several providers"
            raise CommandError(f"call: {text!r} {problem} of {job_id} ({names})")
        found.append(int(matches[0]["id"]))
    return found


def _again(api: JobApi, job_id: str, wanted: list[str] | None) -> None:
    ids = _provider_ids(api, job_id, wanted) if wanted else None
    try:
        answer = api.call_again(job_id, ids)
    except ApiError as error:
        if error.status_code == 409:
            raise CommandError(f"call: nothing to call again: {error}") from None
        raise CommandError(f"call: {error}") from None
    names = ", ".join(str(row["name"]) for row in answer.get("providers", []))
    print(f"{answer.get('message', 'Calling again')} for {job_id}: {names}", flush=True)
    for provider_id, reason in (answer.get("skipped") or {}).items():
        print(f"not called again: provider {provider_id}: {reason}", flush=True)


def _start(api: JobApi, job_id: str) -> None:
    try:
        started = api.start_calls(job_id)
    except ApiError as error:
        if error.status_code == 404 and str(error).startswith("No providers"):
            raise CommandError(
                f"call: {error}; add some with 'haggle providers add {job_id} --csv FILE'"
            ) from None
        if error.status_code == 503:
            raise CommandError(
                f"call: {error} (is the voice service running? 'haggle serve voice')"
            ) from None
        raise CommandError(f"call: {error}") from None
    count = started.get("provider_count")
    if count:
        print(f"calling {count} provider{'s' if count != 1 else ''} for {job_id}", flush=True)
    else:
        print(f"no provider of {job_id} is waiting for a call; watching the calls", flush=True)
        retry = sum(bool(row.get("can_call_again")) for row in api.providers(job_id))
        if retry:
            print(
                f"{retry} call{'s' if retry != 1 else ''} ended without a deal: "
                f"'haggle call {job_id} --failed' or '--again PROVIDER' calls again",
                flush=True,
            )
