"""Logging set-up shared by both services."""

from __future__ import annotations

import logging

from shared.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Log at the configured level to stderr (uvicorn keeps its own handlers)."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
