"""Voice-service processes sharing one Postgres behind a load balancer: their environment."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_rest import FakeTwilio
from tests.support.servers import free_port

TOKEN = "scale-out-token"


def voice_env(
    instance: str,
    *,
    public: str,
    postgres_url: str,
    twilio: FakeTwilio,
    grok: FakeGrok,
    data_dir: Path,
    calls_per_second: float,
    max_concurrent_calls: int,
) -> dict[str, str]:
    """One instance's environment: Twilio and Grok fakes, a short lease, a quick poll,
    calling hours round the clock."""
    return {
        "DATABASE_URL": postgres_url,
        "TELEPHONY": "twilio",
        "AGENT": "grok",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": public,
        "XAI_API_KEY": grok.api_key,
        "GROK_REALTIME_URL": grok.url,
        "XAI_API_HOST": f"127.0.0.1:{free_port()}",
        "VOICE_BACKEND_TOKEN": TOKEN,
        "INSTANCE_ID": instance,
        "LEASE_SECONDS": "3",
        "DISPATCH_POLL_SECONDS": "0.2",
        "MAX_CONCURRENT_CALLS": str(max_concurrent_calls),
        "CALLS_PER_SECOND": str(calls_per_second),
        "SILENCE_LIMIT_SECONDS": "60",
        "DATA_DIR": str(data_dir / instance),
        "LOG_LEVEL": "warning",
        # The calls go to San Francisco numbers whatever the hour the test runs at.
        "CALLING_HOURS": "00:00-24:00",
    }
