"""The SQL schema's history as Alembic revisions (`versions/`), applied by `SQLStore.open()`.

See `README.md` beside this file for how a revision is added.
"""
