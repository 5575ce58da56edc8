"""docs/commands.md is the CLI's own --help, regenerated: a command or option added, renamed
or reworded without regenerating the page fails here."""

from __future__ import annotations

from pathlib import Path

from billing.cli import app
from billing.cli.reference import reference

PAGE = Path(__file__).resolve().parents[2] / "docs" / "commands.md"


def test_the_command_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference(app), (
        "docs/commands.md is out of date: run `python -m billing.cli.reference > "
        "docs/commands.md`")


def test_every_command_has_its_section() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for name in ("billing ingest", "billing close", "billing quarantine fix",
                 "billing export focus", "billing keys create", "billing serve"):
        assert f"## {name}\n" in page
