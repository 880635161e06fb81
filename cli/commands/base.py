"""What every `haggle` subcommand shares: one-line errors, the job API's address, tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from typing import NoReturn
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.money import dollars

DEFAULT_API_URL = "http://localhost:8000"


class CommandError(Exception):
    """A failure the user can act on; `main` prints the message as one line and exits."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the message held
        self.status = status


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, naming where help is."""

    def error(self, message: str) -> NoReturn:
        """Print the usage error as one line naming the subcommand, and exit 2."""
        name = self.prog.removeprefix("haggle").strip()
        where = f"{name}: " if name else ""
        self.exit(2, f"haggle: {where}{message} (see '{self.prog} --help')\n")


class CliSettings(BaseSettings):
    """What the command line reads from the environment: `HAGGLE_API_URL`, `HAGGLE_API_KEY`."""

    model_config = SettingsConfigDict(env_prefix="HAGGLE_", extra="ignore", env_ignore_empty=True)

    api_url: str = DEFAULT_API_URL
    api_key: SecretStr | None = None


def api_options() -> argparse.ArgumentParser:
    """The `--api URL` and `--api-key KEY` options, as a parent parser for the subcommands
    that use the job API."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--api",
        metavar="URL",
        help=f"the job API's base URL (default: $HAGGLE_API_URL, else {DEFAULT_API_URL})",
    )
    parent.add_argument(
        "--api-key",
        metavar="KEY",
        help="the API key to send (default: $HAGGLE_API_KEY); prefer the variable, since "
        "other users of this machine can read a command line",
    )
    return parent


def api_key(args: argparse.Namespace) -> str | None:
    """The API key to send: `--api-key`, else `HAGGLE_API_KEY`, else none."""
    given = getattr(args, "api_key", None)
    if given:
        return str(given)
    key = CliSettings().api_key
    return key.get_secret_value() if key is not None else None


def api_url(args: argparse.Namespace) -> str:
    """The job API's base URL: `--api`, else `HAGGLE_API_URL`, else the local default."""
    if args.api:
        url, source = args.api, "--api"
    else:
        url, source = CliSettings().api_url, "HAGGLE_API_URL"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise CommandError(f"{source} {url!r} is not an http(s):// URL", status=2)
    return url.rstrip("/")


def money(value: float | None) -> str:
    """`150` → `$150`, `89.5` → `$89.50`, `1200` → `$1,200`; `None` → `-`."""
    return dollars(value)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> list[str]:
    """Rows under headers in aligned columns (those in `right` right-aligned), as lines."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def print_lines(lines: Sequence[str]) -> None:
    """Print lines to stdout and flush, so a pipe sees them at once."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()
