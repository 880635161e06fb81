"""Storage: one interface (`Store`), three backends (SQLite, Postgres, Supabase)."""

from __future__ import annotations

from shared.settings import Settings
from shared.storage.base import Store, StoreError

__all__ = ["Store", "StoreError", "make_store"]


def make_store(settings: Settings) -> Store:
    """The store the settings choose: Supabase when its URL and key are set, else SQL."""
    if settings.uses_supabase:
        from shared.storage.supabase import SupabaseStore

        assert settings.supabase_url is not None
        return SupabaseStore(settings.supabase_url, Settings.secret(settings.supabase_key) or "")
    from shared.storage.sql import SQLStore

    return SQLStore(settings.database_url)
