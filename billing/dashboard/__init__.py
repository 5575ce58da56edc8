"""The dashboard: one static page at `/` that reads the JSON API with the viewer's own key.

It holds no data and no secret of its own: the page asks for an API key, keeps it in the
tab's sessionStorage and sends it as the API's bearer header, so the API's authorization is
the only gate. A strict Content-Security-Policy keeps the page to its own origin and files.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def install(app: FastAPI) -> None:
    """Serve the page at `/` and its script and styles under `/dashboard/`."""

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=HEADERS)

    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")
