"""The `haggle` command: one subcommand per task, for people, scripts and checks.

    haggle serve api|voice [--host H] [--port P]      run a service under uvicorn
    haggle job create --problem … --zip … [--max-price N|--no-limit] [--json]
    haggle providers add JOB --csv FILE               FILE: service_provider,phone_number
    haggle call JOB                                   start the calls, watch them end
    haggle results JOB [--json]                       the calls, best deal first
    haggle extract-price [--offline] [--json] [FILE]  the agreed price of transcripts
    haggle check                                      Twilio, PUBLIC_BASE_URL and xAI work?

The commands that drive the job API take `--api URL` (else `HAGGLE_API_URL`, else
http://localhost:8000); they live in `cli.commands`.

`extract-price` reads one transcript (a JSON array of `{role, text}` turns) or JSON Lines of
transcripts (each line an array of turns, or an object with a `turns` array, as in
`evals/prices.jsonl`) from FILE or stdin, and prints one line per transcript: the agreed price
as a plain number (`150`, `1200`, `89.5`) or `none`; with `--json`, one JSON object per line
with `agreed_price`, `first_quote` (numbers or null), `conditions`, `confidence` and `source`.

Errors are one line on stderr and a non-zero exit: 1 for a failure (unreadable input, the job
API unreachable or refusing the request), 2 for usage and settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from cli.commands import CommandError, CommandParser, add_parsers
from cli.commands.base import printable
from shared.models import TranscriptTurn
from shared.money import amount
from shared.redact import mask_secrets

if TYPE_CHECKING:
    from pricing.base import PriceResult

#: The function a subcommand runs: it gets the parsed arguments and returns the exit status.
Handler = Callable[[argparse.Namespace], int]


class InputError(Exception):
    """The input cannot be read as transcripts; the message is one line."""


def build_parser() -> argparse.ArgumentParser:
    """The `haggle` argument parser; each subcommand sets `handler`."""
    parser = CommandParser(
        prog="haggle",
        description="Haggle: an AI voice agent that negotiates home-service prices.",
        epilog="'haggle COMMAND --help' tells more about each command.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_parsers(commands)

    extract = commands.add_parser(
        "extract-price",
        help="print the agreed price of call transcripts",
        description=(
            "Read one transcript (a JSON array of {role, text} turns; role 'assistant' is our "
            "agent, 'user' the provider) or JSON Lines of transcripts, and print one line per "
            "transcript: the agreed price as a plain number, or 'none'. Uses Grok when "
            "XAI_API_KEY is set, else (or with --offline) the offline extractor."
        ),
    )
    extract.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a JSON or JSON Lines file; stdin when omitted or '-'",
    )
    extract.add_argument(
        "--offline",
        action="store_true",
        help="use the offline extractor even when XAI_API_KEY is set",
    )
    extract.add_argument(
        "--json",
        action="store_true",
        help=(
            "print one JSON object per transcript: agreed_price, first_quote (numbers or null), "
            "conditions, confidence (per figure, with notes), source"
        ),
    )
    extract.set_defaults(handler=_extract_price)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `haggle` with `argv` (the process's arguments when None); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except CommandError as error:
        return _fail(str(error), error.status)
    except BrokenPipeError:
        # `haggle extract-price big.jsonl | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


def _fail(message: str, status: int = 1) -> int:
    print(f"haggle: {mask_secrets(printable(message))}", file=sys.stderr)
    return status


# --- extract-price ------------------------------------------------------------------------------


def _extract_price(args: argparse.Namespace) -> int:
    source = "stdin" if args.file in (None, "-") else args.file
    try:
        text = _read(args.file)
        transcripts = parse_transcripts(text)
    except InputError as error:
        return _fail(f"extract-price: {source}: {error}")

    from pricing import make_extractor  # after the input checks: xai-sdk is heavy
    from pricing.offline import OfflinePriceExtractor

    if args.offline:
        extractor: Any = OfflinePriceExtractor()
    else:
        from shared.settings import SettingsError, load_settings

        try:
            settings = load_settings()
        except SettingsError as error:
            return _fail(str(error), 2)
        extractor = make_extractor(settings)
    _log_fallbacks_to_stderr()

    async def run() -> None:
        for turns in transcripts:
            result = await extractor.extract(turns)
            line = price_json(result) if args.json else format_price(result.agreed_price)
            print(line, flush=True)

    asyncio.run(run())
    return 0


def _read(file: str | None) -> str:
    try:
        if file in (None, "-"):
            return sys.stdin.read()
        return Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"cannot read it: {error.strerror or error}") from None


def parse_transcripts(text: str) -> list[list[TranscriptTurn]]:
    """The transcripts in `text`: one JSON document, or JSON Lines (one transcript a line)."""
    if not text.strip():
        raise InputError("no transcript in the input")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    else:
        return [_transcript(whole, where="")]
    transcripts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"line {number}: not JSON ({error.msg})") from None
        transcripts.append(_transcript(document, where=f"line {number}: "))
    return transcripts


def _transcript(document: object, where: str) -> list[TranscriptTurn]:
    if isinstance(document, dict) and "turns" in document:
        document = document["turns"]
    if not isinstance(document, list):
        raise InputError(
            f"{where}expected a JSON array of turns (or an object with 'turns'), "
            f"got {_json_kind(document)}"
        )
    turns = []
    for index, turn in enumerate(document, 1):
        try:
            turns.append(TranscriptTurn.model_validate(turn))
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "turn"
            message = first["msg"]
            if first["type"] == "literal_error":
                message = "must be 'assistant' (our agent) or 'user' (the provider)"
            elif first["type"] == "model_type":
                message = "must be an object with 'role' and 'text'"
            raise InputError(f"{where}turn {index}: {field}: {message}") from None
    return turns


def _json_kind(document: object) -> str:
    if isinstance(document, dict):
        return "an object"
    if isinstance(document, str):
        return "a string"
    if isinstance(document, bool):
        return "true/false"
    if isinstance(document, int | float):
        return "a number"
    return "null" if document is None else type(document).__name__


def format_price(price: float | None) -> str:
    """A price as a plain number (`150`, `1200`, `89.5`), or `none`."""
    return amount(price)


def price_json(result: PriceResult) -> str:
    """One extraction as one line of JSON: numbers as JSON numbers or null."""
    document = {
        "agreed_price": result.agreed_price,
        "first_quote": result.first_quote,
        "conditions": result.conditions,
        "confidence": result.confidence.model_dump(),
        "source": result.source,
    }
    if result.fallback_reason:
        document["fallback_reason"] = result.fallback_reason
    return json.dumps(document)


def _log_fallbacks_to_stderr() -> None:
    """Show the Grok extractor's fallback warnings as `haggle: ...` lines on stderr."""
    logger = logging.getLogger("pricing")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("haggle: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


if __name__ == "__main__":
    raise SystemExit(main())
