"""`billing serve`: the HTTP API and the scheduler of the monthly close."""

from __future__ import annotations

import typer

from billing import json_logging
from billing.api_keys import list_keys
from billing.cli.console import out, ready_engine, settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="Run the monthly close on BILLING_CLOSE_CRON."),
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs), the dashboard at / and the scheduler."""
    import uvicorn

    from billing.scheduler import JOB_ID, start_scheduler

    config = settings()
    engine = ready_engine(config)
    json_logging.configure()
    if scheduler:
        running = start_scheduler(config)
        job = running.get_job(JOB_ID)
        out.print(f"Monthly close scheduled ({config.close_cron}, {config.timezone}); next run "
                  f"{job.next_run_time:%Y-%m-%d %H:%M %Z}.")
    active = [key for key in list_keys(engine) if key["revoked_at"] is None]
    if not config.api_key and not active:
        out.print("[yellow]No API key yet: every API call will be refused (401). Create one with "
                  "`billing keys create --role finance`.[/]")
    out.print(f"Dashboard at http://{host}:{port}/ (sign in with an API key); API docs at /docs.")
    uvicorn.run("billing.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", log_config=None, access_log=False)
