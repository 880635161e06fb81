"""What `make demo` needs to sign in, made on the spot: an operator key for the services it
starts, and a `demo` user with a fresh password and API key (its jobs are the demo's)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cli.commands.client import ApiError, JobApi

DEMO_USER = "demo"


@dataclass(frozen=True)
class DemoAccess:
    """The demo user's name, password and API key."""

    username: str
    password: str
    key: str

    def lines(self, dashboard_url: str) -> list[str]:
        """How to open the dashboard signed in, and to use the `haggle` command."""
        return [
            f"Dashboard: {dashboard_url}  sign in as '{self.username}', "
            f"password '{self.password}'.",
            f"Command line: export HAGGLE_API_KEY={self.key}",
        ]


def new_operator_key() -> str:
    """A fresh operator key for the services the demo starts."""
    return "hgl_" + secrets.token_urlsafe(32)


def demo_access(api_url: str, operator_key: str) -> DemoAccess:
    """Create the demo user (or give the existing one a new password) and a new API key."""
    password = secrets.token_urlsafe(12)
    with JobApi(api_url, operator_key) as operator:
        try:
            operator.call("POST", "/api/users", {"username": DEMO_USER, "password": password})
        except ApiError as error:
            if error.status_code != 409:
                raise
            operator.call("POST", f"/api/users/{DEMO_USER}/password", {"password": password})
        key = operator.call("POST", "/api/keys", {"name": "make demo", "username": DEMO_USER})
    return DemoAccess(DEMO_USER, password, str(key["key"]))
