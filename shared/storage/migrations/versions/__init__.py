"""One Alembic revision per file, oldest first (Alembic itself skips this file)."""
