"""API keys and what each role may do.

A key reads `bk_<key id>_<secret>`. The key id is public (it is logged, never the key); only
a SHA-256 of the secret is stored, which is enough for 32 random bytes: nobody can guess it.
Roles: `admin` (everything), `finance` (reads every team and customer, sets budgets, exports),
`team` (reads its own team only), `ingest` (writes usage and outcomes), `gateway` (reads
budget status only). The key in BILLING_API_KEY, if set, is an admin key for bootstrapping.

A key found valid is remembered in memory, keyed by the SHA-256 of the whole key, so a busy
caller (the gateway asking for budget status) costs one hash, not a query, per request. A
revocation in this process forgets every remembered key at once; one made by another process
(`billing keys revoke` beside a running server) is seen within `VERIFIED_FOR` seconds, when
the remembered key is checked against the database again. Expiry is checked on every use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from billing.models import ApiKey

keys = ApiKey.__table__
VERIFIED_FOR = 5.0
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
    forget_verified()
    return done.rowcount == 1


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    expires_at: datetime | None
    checked_at: float


_verified: weakref.WeakKeyDictionary[Engine, dict[str, _Verified]] = weakref.WeakKeyDictionary()
_verified_lock = threading.Lock()


def forget_verified() -> None:
    """Forget every remembered key (of every database): the next use of each is checked anew."""
    with _verified_lock:
        _verified.clear()


def known_key(engine: Engine, token: str, configured: str | None,
              now: datetime | None = None) -> Principal | None:
    """The principal of the configured key or of a key verified lately against this database,
    from memory; None when it must be checked (never seen, checked too long ago, or expired
    since)."""
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return Principal(CONFIGURED_KEY_ID, "admin")
    found = _verified.get(engine, {}).get(hashlib.sha256(token.encode()).hexdigest())
    if found is None or time.monotonic() - found.checked_at >= VERIFIED_FOR:
        return None
    if found.expires_at is not None and found.expires_at <= (now or datetime.now(UTC)):
        return None
    return found.principal


def authenticate(engine: Engine, token: str, configured: str | None,
                 now: datetime | None = None) -> Principal | None:
    """The principal of a presented key, or None for any key that is not valid now."""
    known = known_key(engine, token, configured, now)
    if known is not None:
        return known
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
    expires_at = _aware(row.expires_at) if row.expires_at is not None else None
    if expires_at is not None and expires_at <= now:
        return None
    principal = Principal(row.key_id, row.role, row.team)
    with _verified_lock:
        _verified.setdefault(engine, {})[hashlib.sha256(token.encode()).hexdigest()] = \
            _Verified(principal, expires_at, time.monotonic())
    return principal


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
