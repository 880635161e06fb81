"""The dashboard: one hand-written page and its assets, served by the job API itself.

No build step and nothing from a CDN: `api/static/` holds the HTML, CSS and JavaScript
modules. A strict Content-Security-Policy keeps the page to this origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, RedirectResponse, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: Everything from this origin only; no inline script or style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

router = APIRouter()


@router.get("/", include_in_schema=False)
async def dashboard(request: Request) -> Response:
    """The single page; it routes itself by the URL's fragment (`#/jobs/{id}`). Signed out:
    the sign-in page."""
    from api.auth.guard import identify

    if await identify(request) is None:
        return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    return FileResponse(
        STATIC_DIR / "index.html",
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            # same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on
            # this page's own writes, and the cross-site check could not tell them apart.
            "Referrer-Policy": "same-origin",
        },
    )
