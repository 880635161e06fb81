"""A write whose caller is cancelled (a call's live-transcript writer when the call ends) runs
to its commit: nothing half-done, no connection left holding SQLite's write lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.models import CallStatus, CallUpdate, JobCreate, ProviderCreate, TranscriptTurn
from shared.storage.sql import SQLStore


async def test_a_cancelled_write_still_commits_and_leaves_the_lock_free(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/haggle.db"
    voice, other = SQLStore(url), SQLStore(url)
    await voice.open()
    await other.open()
    try:
        job = await voice.create_job(JobCreate(problem="a leak", zip_code="94110"))
        (ace,) = await voice.add_providers(
            job, [ProviderCreate(service_provider="Ace", phone_number="+14155550100")]
        )
        await voice.update_call(ace.id, CallUpdate(call_status=CallStatus.IN_PROGRESS))
        turns = [TranscriptTurn(role="assistant", text="Hi, is this Ace?")]
        async with other.engine.connect() as connection:
            # Another process holds the write lock: the live write waits for it in its thread.
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
            writer = asyncio.create_task(voice.save_live_transcript(ace.id, turns, 200.0))
            await asyncio.sleep(0.3)
            writer.cancel()  # the call ended meanwhile
            await asyncio.gather(writer, return_exceptions=True)
            assert writer.cancelled()
            await connection.exec_driver_sql("COMMIT")
        # The write still lands, and the next writer is not kept waiting by it.
        async with asyncio.timeout(5):
            while (await other.get_provider(ace.id)).call_transcript is None:  # type: ignore[union-attr]
                await asyncio.sleep(0.05)
            await other.update_call(ace.id, CallUpdate(call_sid="CA" + "1" * 32))
        row = await other.get_provider(ace.id)
        assert row is not None and row.minimum_quote == 200
        assert row.call_transcript == "1. [ASSISTANT]: Hi, is this Ace?\n"
    finally:
        await voice.close()
        await other.close()
