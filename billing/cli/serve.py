"""`billing serve`: the HTTP API (and, as it lands, the scheduler)."""

from __future__ import annotations

import typer

from billing.cli.console import out, ready_engine, settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    config = settings()
    ready_engine(config)
    if not config.api_key:
        out.print("[yellow]BILLING_API_KEY is not set: every API call will be refused (401).[/]")
    uvicorn.run("billing.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info")
