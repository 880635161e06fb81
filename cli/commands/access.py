"""`haggle users`, `haggle keys`, `haggle cancel`: accounts, API keys and stopping a job.

    haggle users add NAME [--password-stdin]     create a dashboard user (operator key)
    haggle users list                            every user (operator key)
    haggle users password NAME [--password-stdin]  a new password; the user's sessions end
    haggle keys create NAME [--user USER]        a new API key, printed once
    haggle keys list                             your keys (the operator: everyone's)
    haggle keys revoke KEY_ID                    revoke a key at once
    haggle cancel JOB                            drop the queued calls, hang up live ones

They send `HAGGLE_API_KEY` (or `--api-key`). Without `--password-stdin`, a strong password is
generated and printed once.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from cli.commands.base import CommandError, api_key, api_options, api_url, print_lines, table
from cli.commands.client import JobApi


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `users`, `keys` and `cancel` to the `haggle` subcommands."""
    api = api_options()

    users = commands.add_parser(
        "users",
        help="dashboard users (operator)",
        description=(
            "Dashboard users, made and listed with the operator key (HAGGLE_API_KEY or "
            "--api-key). Without --password-stdin a strong password is generated and printed "
            "once."
        ),
    )
    users.set_defaults(handler=lambda _: _usage(users))
    user_commands = users.add_subparsers(title="commands", metavar="COMMAND")
    add = user_commands.add_parser("add", parents=[api], help="create a user")
    add.add_argument("username", metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=_add_user)
    listing = user_commands.add_parser("list", parents=[api], help="list the users")
    listing.set_defaults(handler=_list_users)
    password = user_commands.add_parser(
        "password", parents=[api], help="set a new password (ends the user's sessions)"
    )
    password.add_argument("username", metavar="NAME")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    password.set_defaults(handler=_set_password)

    keys = commands.add_parser(
        "keys",
        help="API keys",
        description=(
            "API keys, each printed once when created: your own, or any user's with the "
            "operator key (HAGGLE_API_KEY or --api-key)."
        ),
    )
    keys.set_defaults(handler=lambda _: _usage(keys))
    key_commands = keys.add_subparsers(title="commands", metavar="COMMAND")
    create = key_commands.add_parser(
        "create", parents=[api], help="create an API key and print it once"
    )
    create.add_argument("name", metavar="NAME", help="what the key is for ('laptop', 'ci')")
    create.add_argument("--user", help="the user the key is for (operator key only)")
    create.set_defaults(handler=_create_key)
    key_list = key_commands.add_parser("list", parents=[api], help="list API keys")
    key_list.set_defaults(handler=_list_keys)
    revoke = key_commands.add_parser("revoke", parents=[api], help="revoke an API key")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id, from 'haggle keys list'")
    revoke.set_defaults(handler=_revoke_key)

    cancel = commands.add_parser(
        "cancel",
        parents=[api],
        help="cancel a job's calls",
        description=(
            "Cancel a job: its queued calls are never dialled (they end 'failed', outcome "
            "'canceled') and its calls in progress are hung up."
        ),
    )
    cancel.add_argument("job_id", metavar="JOB", help="the job's id")
    cancel.set_defaults(handler=_cancel)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _client(args: argparse.Namespace) -> JobApi:
    return JobApi(api_url(args), api_key(args))


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set, and whether it was generated (then it is printed)."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CommandError("--password-stdin: stdin held no password", status=2)
        return line, False
    return secrets.token_urlsafe(18), True


def _add_user(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    with _client(args) as api:
        user = api.call("POST", "/api/users", {"username": args.username, "password": password})
    lines = [f"user {user['username']} created"]
    if generated:
        lines.append(f"password: {password}  (shown once; sign in at the dashboard)")
    print_lines(lines)
    return 0


def _list_users(args: argparse.Namespace) -> int:
    with _client(args) as api:
        users = api.call("GET", "/api/users")
    rows = [[user["username"], user["id"], user["created_at"][:19]] for user in users]
    print_lines(table(["USER", "ACCOUNT", "CREATED"], rows))
    return 0


def _set_password(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    with _client(args) as api:
        answer = api.call("POST", f"/api/users/{args.username}/password", {"password": password})
    lines = [f"password of {answer['username']} changed; {answer['sessions_ended']} sessions ended"]
    if generated:
        lines.append(f"password: {password}  (shown once)")
    print_lines(lines)
    return 0


def _create_key(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"name": args.name}
    if args.user:
        body["username"] = args.user
    with _client(args) as api:
        key = api.call("POST", "/api/keys", body)
    print_lines(
        [
            f"key {key['id']} ({key['name']}) for {key['username']}:",
            key["key"],
            "Shown once: store it now (HAGGLE_API_KEY for the haggle command).",
        ]
    )
    return 0


def _list_keys(args: argparse.Namespace) -> int:
    with _client(args) as api:
        keys = api.call("GET", "/api/keys")
    rows = [
        [
            key["id"],
            key["name"],
            key["created_at"][:19],
            "revoked" if key["revoked_at"] else "active",
        ]
        for key in keys
    ]
    print_lines(table(["KEY_ID", "NAME", "CREATED", "STATE"], rows))
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    with _client(args) as api:
        key = api.call("DELETE", f"/api/keys/{args.key_id}")
    print_lines([f"key {key['id']} ({key['name']}) revoked"])
    return 0


def _cancel(args: argparse.Namespace) -> int:
    with _client(args) as api:
        answer = api.cancel(args.job_id)
    hung_up = answer["hung_up"]
    live = (
        f"{answer['in_progress']} in progress, {hung_up} hung up"
        if hung_up is not None
        else f"{answer['in_progress']} in progress (the voice service could not be reached)"
    )
    print_lines([f"job {args.job_id} canceled: {answer['canceled']} queued calls dropped; {live}"])
    return 0
