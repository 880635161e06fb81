"""Start-up checks of the job API that end the process with one line."""

from __future__ import annotations

import os
import sys

from api.auth.guard import is_loopback
from shared.settings import Settings


def bind_host(argv: list[str]) -> str | None:
    """The `--host` uvicorn was started with (`UVICORN_HOST` otherwise), if any."""
    for index, argument in enumerate(argv):
        if argument == "--host" and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith("--host="):
            return argument.split("=", 1)[1]
    return os.environ.get("UVICORN_HOST")


def exposure_problem(settings: Settings, host: str | None) -> str | None:
    """Why anonymous local access must not run on this bind, or `None`."""
    if not settings.local_anonymous_access or host is None:
        return None
    if host == "localhost" or is_loopback(host):
        return None
    return (
        f"LOCAL_ANONYMOUS_ACCESS is on, but the API would listen on {host}: anonymous access "
        "is for a developer's machine only; bind 127.0.0.1 or turn it off"
    )


def exit_if_exposed(settings: Settings, argv: list[str] | None = None) -> None:
    """End the process (status 2) when anonymous access would be reachable from elsewhere."""
    problem = exposure_problem(settings, bind_host(sys.argv if argv is None else argv))
    if problem:
        print(f"haggle: {problem}", file=sys.stderr)
        raise SystemExit(2)
