"""The one error every storage backend raises: the store could not be reached or refused."""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(Exception):
    """The store could not be reached or refused an operation."""
