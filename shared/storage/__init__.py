"""Storage: one interface (`Store`), three backends (SQLite, Postgres, Supabase)."""

from __future__ import annotations

from shared.settings import Settings
from shared.storage.base import Store, StoreError

__all__ = ["Store", "StoreError", "make_store", "store_setting"]


def make_store(settings: Settings) -> Store:
    """The store the settings choose: Supabase when its URL and key are set, else SQL."""
    if settings.uses_supabase:
        from shared.storage.supabase import SupabaseStore

        assert settings.supabase_url is not None
        return SupabaseStore(settings.supabase_url, Settings.secret(settings.supabase_key) or "")
    from shared.storage.sql import SQLStore

    return SQLStore(settings.database_url)


def store_setting(settings: Settings) -> str:
    """The setting that names the store `make_store` opens, with its value (for error lines;
    mask its secrets before showing it)."""
    if settings.uses_supabase:
        return f"SUPABASE_URL {settings.supabase_url}"
    return f"DATABASE_URL {settings.database_url}"
