"""Small text clean-ups for what users and search results hand us."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`|~~)")
_LIST_MARKER = re.compile(r"^\s*(?:[-+•]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#+\s*")
_SPACES = re.compile(r"\s+")


def clean_name(raw: str) -> str:
    """A provider's name without markdown: `**Ace Plumbing**` → `Ace Plumbing`.

    Search results arrive as markdown; the original stored the stars and then spoke them.
    """
    text = _LINK.sub(r"\1", raw)
    text = _HEADING.sub("", text)
    text = _LIST_MARKER.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip(" \t\r\n:|-*_")
