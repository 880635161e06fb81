"""`haggle serve api|voice`: run one of the two services under uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

#: Each service's ASGI app and its port in the outside interface.
SERVICES = {
    "api": ("api.main:app", 8000),
    "voice": ("voice_backend.app:app", 6000),
}
#: Each service's WebSocket implementation: the voice service's media streams run on its own
#: (compiled framing, see `voice_backend.websocket_protocol`); the job API has none.
WEBSOCKETS = {"api": "auto", "voice": "voice_backend.websocket_protocol:PicowsProtocol"}


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `serve` to the `haggle` subcommands."""
    serve = commands.add_parser(
        "serve",
        help="run the job API or the voice service",
        description=(
            "Run a service under uvicorn: 'api' is the job API (api.main:app, port 8000), "
            "'voice' the voice service (voice_backend.app:app, port 6000). Both read the "
            "environment and a .env file in the working directory."
        ),
    )
    serve.add_argument("service", choices=sorted(SERVICES), help="which service to run")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
    )
    serve.add_argument(
        "--port", type=_port, help="the port to listen on (default: 8000 api, 6000 voice)"
    )
    serve.set_defaults(handler=_serve)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # only this command needs it

    target, default_port = SERVICES[args.service]
    port = default_port if args.port is None else args.port
    # A malformed setting ends the import of the app with one line and exit 2; a port in use
    # ends uvicorn with exit 1. Both leave through SystemExit, as uvicorn's own command does.
    # uvloop and httptools (uvicorn's standard extras) explicitly; no per-message deflate on
    # the media stream: base64 audio barely compresses and deflate would cost every frame.
    uvicorn.run(
        target,
        host=args.host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws=WEBSOCKETS[args.service],
        ws_per_message_deflate=False,
    )
    return 0
