"""`GET /sim/directory`: who the simulated telephony can call (404 with real telephony).

`make demo` reads it once the voice service is ready, so the demo knows the simulated
providers without importing the simulator.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Header, HTTPException, status

from voice_backend.deps import ServicesDep, SettingsDep, require_bearer

router = APIRouter()


@router.get("/sim/directory")
async def sim_directory(
    services: ServicesDep,
    settings: SettingsDep,
    authorization: str | None = Header(default=None),
    trade: str | None = None,
) -> list[dict[str, str | None]]:
    """Every simulated provider: key, business name, number, kind, description and trade;
    with `?trade=`, only those offered for that trade (the intake's task, any case)."""
    require_bearer(authorization, settings)
    entries = services.telephony.directory_entries()
    if entries is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no directory: telephony is not simulated")
    if trade:
        wanted = trade.strip().lower()
        entries = [entry for entry in entries if (entry.trade or "").lower() == wanted]
    return [asdict(entry) for entry in entries]
