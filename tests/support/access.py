"""The credential test job APIs run with: an operator key, and the header that sends it; and
new users with a key of their own."""

from __future__ import annotations

import httpx

OPERATOR_KEY = "hgl_test-operator-key-0123456789"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
PASSWORD = "a long enough password"


async def new_user(operator: httpx.AsyncClient, name: str) -> httpx.AsyncClient:
    """A new user of the job API `operator` speaks to, and a client sending a key of theirs."""
    created = await operator.post("/api/users", json={"username": name, "password": PASSWORD})
    assert created.status_code == 201, created.text
    key = await operator.post("/api/keys", json={"name": "t", "username": name})
    assert key.status_code == 201, key.text
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    return httpx.AsyncClient(base_url=str(operator.base_url), headers=headers, timeout=10)
