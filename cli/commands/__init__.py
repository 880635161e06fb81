"""The `haggle` subcommands that operate the services, one module per task.

`serve` runs a service; `check` confirms Twilio and xAI work before the first call; `job`,
`providers`, `call`, `results`, `cancel`, `users` and `keys` drive the job API over HTTP
(`--api URL`, else `HAGGLE_API_URL`, else http://localhost:8000, with `HAGGLE_API_KEY` or
`--api-key`); `demo` (in `cli.demo`)
runs both services offline and haggles with the simulated providers.
"""

from __future__ import annotations

import argparse
from typing import Any

from cli.commands import access, calls, check, jobs, results, serve
from cli.commands.base import CommandError, CommandParser

__all__ = ["CommandError", "CommandParser", "add_parsers"]


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add every subcommand of this package to `haggle`'s subcommands."""
    serve.add_parsers(commands)
    jobs.add_parsers(commands)
    calls.add_parsers(commands)
    results.add_parsers(commands)
    check.add_parsers(commands)
    access.add_parsers(commands)
    from cli import demo  # the offline demo drives the commands above

    demo.add_parsers(commands)
