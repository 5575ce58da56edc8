"""API key commands: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from billing.api_keys import ROLES, ApiKeyError, create_key, list_keys, revoke_key
from billing.cli.console import (
    JSON_OPTION,
    check_name,
    emit_json,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)

keys_app = typer.Typer(help="API keys: roles admin, finance, team, ingest, gateway.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create_command(
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}.",
                             show_default=False),
    team: str = typer.Option(None, "--team", help="The team a team key reads.",
                             callback=check_name),
    label: str = typer.Option("", "--label", help="What the key is for."),
    expires_in_days: int = typer.Option(None, "--expires-in-days", min=1,
                                        help="Expire the key after this many days."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a key. The key is printed once; only its hash is stored."""
    engine = ready_engine(settings())
    expires = (datetime.now(UTC) + timedelta(days=expires_in_days)) if expires_in_days else None
    try:
        key, stored = create_key(engine, role, team=team, label=label, expires_at=expires)
    except ApiKeyError as exc:
        fail(str(exc), "e.g. billing keys create --role team --team support", code=2)
    if as_json:
        emit_json({"key": key, **stored})
        return
    out.print(f"Key {stored['key_id']} ({role}{', team ' + user(team) if team else ''}) created. "
              "Copy it now; it is not shown again:")
    out.print(key, highlight=False, soft_wrap=True)


@keys_app.command("list")
def list_command(as_json: bool = JSON_OPTION) -> None:
    """Keys with role, team, expiry and revocation (never the secret)."""
    rows = list_keys(ready_engine(settings()))
    if as_json:
        emit_json(rows)
        return
    table = Table()
    for name in ("key id", "role", "team", "label", "created", "expires", "revoked"):
        table.add_column(name)
    for row in rows:
        table.add_row(row["key_id"], row["role"], row["team"] or "", row["label"],
                      f"{row['created_at']:%Y-%m-%d}",
                      f"{row['expires_at']:%Y-%m-%d}" if row["expires_at"] else "",
                      f"{row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "")
    print_table(table, wrap=("label",), optional=("created", "revoked"))


@keys_app.command("revoke")
def revoke_command(key_id: str = typer.Argument(..., help="The key id (see keys list)."),
                   as_json: bool = JSON_OPTION) -> None:
    """Revoke a key at once."""
    if not revoke_key(ready_engine(settings()), key_id):
        fail(f"no active key {key_id!r}", "see `billing keys list`", code=2)
    if as_json:
        emit_json({"key_id": key_id, "revoked": True})
    else:
        out.print(f"Key {key_id} revoked.")
