"""What every `haggle` subcommand shares: one-line errors, the job API's address, tables, and
text safe to print.

Names, transcripts and conditions come from users and from providers' speech: whatever they
hold, `printable` keeps terminal control sequences (colours, cursor moves, window titles,
hyperlinks) and other control characters out of what `haggle` prints.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Collection, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.money import dollars
from shared.redact import mask_secrets

DEFAULT_API_URL = "http://localhost:8000"


# ESC-introduced sequences: CSI (`ESC [ … final`), OSC/DCS/APC/PM/SOS strings (up to BEL or
# `ESC \\`), and two-character escapes; the 8-bit CSI (U+009B) too.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str, *, keep_lines: bool = False) -> str:
    """`text` without terminal escape sequences or control characters. Tabs and line breaks
    become spaces, unless `keep_lines` keeps line breaks (a transcript's turns)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    kept = []
    for char in text:
        if char == "\n" and keep_lines:
            kept.append(char)
        elif char in "\t\n\r\v\f":
            kept.append(" ")
        elif unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS:
            kept.append(char)
    return "".join(kept)


def printable_document(document: Any) -> Any:
    """A decoded JSON document with every string (keys too) passed through `printable`,
    line breaks kept."""
    if isinstance(document, str):
        return printable(document, keep_lines=True)
    if isinstance(document, list):
        return [printable_document(item) for item in document]
    if isinstance(document, dict):
        return {printable_document(key): printable_document(item) for key, item in document.items()}
    return document


class CommandError(Exception):
    """A failure the user can act on; `main` prints the message as one line and exits."""

    def __init__(self, message: str, status: int = 1) -> None:
        # One line, whatever the message held; no escape codes; no URL's password.
        super().__init__(" ".join(mask_secrets(printable(message)).split()))
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
    rows = [[printable(cell) for cell in row] for row in rows]
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
