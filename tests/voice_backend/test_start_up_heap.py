"""The voice service takes its start-up heap out of the garbage collector's reach while it
serves (`gc.freeze`: a full collection then walks only what the calls built), and gives it
back when it stops."""

from __future__ import annotations

import gc
from pathlib import Path

from shared.settings import load_settings
from voice_backend.app import create_app


async def test_the_start_up_heap_is_frozen_while_serving_and_released_at_stop(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        voice_backend_token="t0ken-abcdef",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="twilio-auth-token-123",
        twilio_phone_number="+14155550199",
        public_base_url="https://voice.example",
        xai_api_key="xai-test-key",
        grok_realtime_url="ws://127.0.0.1:9/v1/realtime",
        data_dir=str(tmp_path / "data"),
    )
    app = create_app(settings)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        # The modules, the app and its store, all alive: far more than a few objects.
        assert frozen > 10_000
    assert gc.get_freeze_count() == 0
