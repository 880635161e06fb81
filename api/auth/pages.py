"""The dashboard's sign-in page: plain HTML, a form posting to `/login`, no script at all.

Nothing the visitor sends is written back into the page; the one message it may show is
chosen from a fixed list.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from api.routes.dashboard import CSP

MESSAGES = {
    "failed": "That user name and password do not match.",
    "signed_out": "You are signed out.",
    "busy": "Too many attempts. Wait a minute, then try again.",
    "refused": "That request did not come from this page. Try again.",
}

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Sign in · Haggle</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/static/app.css" />
  </head>
  <body>
    <header class="top"><div class="top-inner"><span class="brand">Haggle</span></div></header>
    <main id="view">
      <section class="card">
        <h1>Sign in</h1>
        {message}
        <form method="post" action="/login">
          <div class="field">
            <label for="username">User name</label>
            <input id="username" name="username" autocomplete="username" required />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password"
                   autocomplete="current-password" required />
          </div>
          <button type="submit" class="primary">Sign in</button>
        </form>
        <p>An operator creates accounts with <code>haggle users add NAME</code>.</p>
      </section>
    </main>
  </body>
</html>
"""


def login_page(message: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The sign-in page, with one of `MESSAGES` when `message` names one."""
    text = MESSAGES.get(message or "")
    block = f'<p class="notice notice-error" role="alert">{text}</p>' if text else ""
    return HTMLResponse(
        _PAGE.replace("{message}", block),
        status_code=status_code,
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on
            # this page's own writes, and the cross-site check could not tell them apart.
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        },
    )
