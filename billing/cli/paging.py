"""A page of a long listing: the rows shown, of how many, and the option that shows the next
ones, so a listing never silently stops at its limit."""

from __future__ import annotations

from dataclasses import dataclass

import typer

DEFAULT_LIMIT = 50

LIMIT_OPTION = typer.Option(DEFAULT_LIMIT, "--limit", min=1,
                            help="At most this many rows (see --offset and --all).")
OFFSET_OPTION = typer.Option(0, "--offset", min=0, help="Skip this many rows first.")
ALL_OPTION = typer.Option(False, "--all", help="Every row (no --limit).")


@dataclass(frozen=True)
class Page:
    """Rows `offset` to `offset + shown` of `total`; `limit` None when --all."""

    total: int
    shown: int
    limit: int | None
    offset: int = 0

    @property
    def more(self) -> bool:
        return self.offset + self.shown < self.total

    def footer(self) -> str | None:
        """'showing 50 of 175; --offset 50 for more (or --all)'; None when every row shows."""
        if self.shown == self.total:
            return None
        where = f" (rows {self.offset + 1:,} to {self.offset + self.shown:,})" if self.offset \
            and self.shown else ""
        said = f"showing {self.shown:,} of {self.total:,}{where}"
        if self.more:
            said += f"; --offset {self.offset + self.shown} for more (or --all)"
        return said

    def to_dict(self) -> dict[str, int | None]:
        return {"total": self.total, "limit": self.limit, "offset": self.offset}


def limit_of(limit: int, every: bool) -> int | None:
    return None if every else limit
