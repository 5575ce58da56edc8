"""API keys and what each role may do.

A key reads `bk_<key id>_<secret>`. The key id is public (it is logged, never the key); only
a SHA-256 of the secret is stored, which is enough for 32 random bytes: nobody can guess it.
Roles: `admin` (everything), `finance` (reads every team and customer, sets budgets, exports),
`team` (reads its own team only), `ingest` (writes usage and outcomes), `gateway` (reads
budget status only). The key in BILLING_API_KEY, if set, is an admin key for bootstrapping.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from billing.models import ApiKey

keys = ApiKey.__table__
ROLES = ("admin", "finance", "team", "ingest", "gateway")
CONFIGURED_KEY_ID = "configured"


class ApiKeyError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id (for logs), its role and, for team keys, its team."""

    key_id: str
    role: str
    team: str | None = None

    def may_read_team(self, team: str) -> bool:
        return self.role in ("admin", "finance") or (self.role == "team" and self.team == team)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(engine: Engine, role: str, *, team: str | None = None, label: str = "",
               expires_at: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """A new key: (the full key, shown once; its stored description)."""
    if role not in ROLES:
        raise ApiKeyError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == "team" and not team:
        raise ApiKeyError("a team key needs --team")
    if role != "team" and team:
        raise ApiKeyError("--team only applies to team keys")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = {"key_id": key_id, "secret_hash": _hash(secret), "role": role, "team": team,
           "label": label, "created_at": datetime.now(UTC), "expires_at": expires_at}
    with engine.begin() as connection:
        connection.execute(insert(keys).values(**row))
    return f"bk_{key_id}_{secret}", describe(row)


def describe(row: Any) -> dict[str, Any]:
    values = row if isinstance(row, dict) else row._mapping
    return {name: values.get(name) for name in ("key_id", "role", "team", "label", "created_at",
                                                 "expires_at", "revoked_at")}


def list_keys(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [describe(row) for row in connection.execute(select(keys).order_by(keys.c.id))]


def revoke_key(engine: Engine, key_id: str) -> bool:
    with engine.begin() as connection:
        done = connection.execute(update(keys).where(keys.c.key_id == key_id,
                                                     keys.c.revoked_at.is_(None))
                                  .values(revoked_at=datetime.now(UTC)))
    return done.rowcount == 1


def authenticate(engine: Engine, token: str, configured: str | None,
                 now: datetime | None = None) -> Principal | None:
    """The principal of a presented key, or None for any key that is not valid now."""
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return Principal(CONFIGURED_KEY_ID, "admin")
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "bk" or not key_id or not secret:
        return None
    with engine.connect() as connection:
        row = connection.execute(select(keys).where(keys.c.key_id == key_id)).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    now = now or datetime.now(UTC)
    if row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        return None
    return Principal(row.key_id, row.role, row.team)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
