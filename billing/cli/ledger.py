"""Commands over the usage ledger: init, ingest, coverage and the quarantine."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import IO

import orjson
import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    emit_json,
    err,
    existing_file,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.cli.exit_codes import CANNOT_RUN, REJECTED
from billing.cli.paging import ALL_OPTION, LIMIT_OPTION, OFFSET_OPTION, Page, limit_of
from billing.db import engine_for, migrate
from billing.ledger.bulk_ingest import can_split, ingest_file_parallel
from billing.ledger.formats import AUTO, FORMATS, guess_format
from billing.ledger.formats.recognise import recognise
from billing.ledger.metering import IngestResult, ReplayResult, ingest_lines, replay_quarantine
from billing.ledger.quarantine import (
    STATUSES,
    QuarantineError,
    count_rows,
    discard_row,
    fix_row,
    list_rows,
)
from billing.rating.card_registry import PublishRefused, publish_shipped
from billing.rating.coverage import Coverage, SpendCoverage, coverage, spend_coverage
from ratecards import CardValidationError

PROGRESS_MIN_BYTES = 5 * 1024 * 1024


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ingest")(ingest)
    app.command("coverage")(coverage_command)
    quarantine = typer.Typer(help="Rejected rows kept for fixing and replay.",
                             no_args_is_help=True)
    quarantine.command("list")(quarantine_list)
    quarantine.command("fix")(quarantine_fix)
    quarantine.command("discard")(quarantine_discard)
    app.add_typer(quarantine, name="quarantine")


def init(as_json: bool = JSON_OPTION) -> None:
    """Create or migrate the database (Alembic) to the newest schema."""
    config = settings()
    try:
        revision = migrate(config.database_url)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot migrate {config.database_url}: {exc}",
             "check DATABASE_URL and that the database server is running", code=CANNOT_RUN)
    try:
        cards = publish_shipped(engine_for(config.database_url))
    except (PublishRefused, CardValidationError) as exc:
        fail(f"a shipped rate card cannot be published: {exc}",
             "fix the card file or publish it under a new version")
    if as_json:
        emit_json({"database_url": _safe_url(config.database_url), "revision": revision,
                   "rate_cards": [card.to_dict() for card in cards]})
        return
    out.print(f"Database {_safe_url(config.database_url)} is at schema revision {revision}.")
    for card in cards:
        state = "published" if card.status == "published" else "already published"
        out.print(f"Rate card {card.card}@{card.version} (effective {card.effective_from}): "
                  f"{state}.")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


class _CountingFile:
    """Lines of a text file, reporting bytes read so a progress bar can follow."""

    def __init__(self, handle: IO[str], on_bytes):  # noqa: ANN001
        self.handle = handle
        self.on_bytes = on_bytes

    def __iter__(self):  # noqa: ANN204
        for line in self.handle:
            self.on_bytes(len(line))
            yield line


def ingest(
    files: list[Path] = typer.Argument(None, help="Usage files to load.", show_default=False),
    fmt: str = typer.Option(None, "--format", "-f",
                            help=f"Input format: {', '.join(FORMATS)}, or {AUTO} (recognised from "
                                 "the first record). Default: by extension (.csv is csv, "
                                 "else native JSON lines)."),
    replay: bool = typer.Option(False, "--replay-quarantine",
                                help="Retry the quarantined rows (after fixing their cause)."),
    backfill: bool = typer.Option(False, "--allow-backfill",
                                  help="Accept events dated before 2000-01-01 or more than a day "
                                       "in the future (refused otherwise, as a likely bad clock)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Load usage events; idempotent on event_id. Rejected rows are quarantined, never lost."""
    config = settings()
    if not files and not replay:
        fail("no input: name one or more files, or pass --replay-quarantine",
             "see `billing ingest --help`", code=2)
    if fmt and fmt not in (*FORMATS, AUTO):
        fail(f"unknown format {fmt!r}", f"choose one of: {', '.join(FORMATS)}, {AUTO}",
             code=2)
    for path in files or []:
        existing_file(path)
    engine = ready_engine(config)
    results = []
    for path in files or []:
        chosen = _recognised(path) if fmt == AUTO else fmt or guess_format(path.name)
        _refuse_another_source(path, chosen)
        result = _ingest_file(engine, config.zone, path, chosen, show=not as_json,
                              backfill=backfill)
        if not result.rows:
            _nothing_read(path, chosen)
        results.append(result)
    replayed = replay_quarantine(engine, zone=config.zone, backfill=backfill) if replay else None
    if as_json:
        payload: dict = {"files": [r.to_dict() for r in results]}
        if replayed:
            payload["replay"] = replayed.to_dict()
        emit_json(payload)
    else:
        for result in results:
            _print_result(result)
        if replayed:
            print_replay(replayed)
        elif replay:
            out.print("Replay: no pending rows in the quarantine.")
    if any(result.rejected for result in results) or (replayed and replayed.still_rejected):
        raise typer.Exit(REJECTED)


def _looks_like(path: Path) -> str | None:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return recognise(handle, path.name)


def _recognised(path: Path) -> str:
    found = _looks_like(path)
    if found is None:
        fail(f"{path}: --format auto recognises none of {', '.join(FORMATS)} in its first "
             "record", "name the format with --format, or check that this is a usage export",
             code=CANNOT_RUN)
    return found


PROVIDER_FORMATS = ("openai", "anthropic", "litellm", "bedrock", "otel")


def _refuse_another_source(path: Path, chosen: str) -> None:
    """A provider's file read as another provider's would quarantine every row: refused
    before anything is read, naming the format it is."""
    if chosen not in PROVIDER_FORMATS:
        return
    found = _looks_like(path)
    if found in PROVIDER_FORMATS and found != chosen:
        fail(f"{path} looks like {found} usage, not {chosen}; nothing was read",
             f"ingest it with --format {found} (or --format auto)", code=CANNOT_RUN)


def _nothing_read(path: Path, chosen: str) -> None:
    """A file the chosen format reads nothing from is almost always the wrong format: said,
    and exit 1, rather than a quiet success that loaded nothing."""
    if not path.stat().st_size or not path.read_bytes().strip():
        return
    found = _looks_like(path)
    hint = (f"it looks like {found}: ingest it with --format {found}" if found and found != chosen
            else "check that this is a usage export, or try --format auto")
    fail(f"{path}: --format {chosen} found no usage records in this file", hint)


def print_replay(replayed: ReplayResult) -> None:
    out.print(
        f"Replay: {replayed.examined:,} quarantined rows examined, {replayed.replayed:,} now "
        f"accepted, {replayed.duplicates:,} already in the ledger (duplicates), "
        f"{replayed.superseded:,} superseded, {replayed.still_rejected:,} still rejected.",
        highlight=False,
    )
    for error in replayed.errors[:10]:
        event = f" event {error.event_id}" if error.event_id else ""
        out.print(f"  quarantine {error.quarantine_id}: {os.path.basename(error.source or '?')} "
                  f"row {error.row:,}{event} [{error.field or 'record'}]: {error.message}",
                  highlight=False, markup=False)
    if replayed.still_rejected > 10:
        out.print(f"  ... and {replayed.still_rejected - 10:,} more; see "
                  "`billing quarantine list`", highlight=False)
    if replayed.still_rejected:
        out.print("  Correct a row with `billing quarantine fix ID --set FIELD=VALUE`, or drop "
                  "it with `billing quarantine discard ID`.", highlight=False)


def _ingest_file(engine, zone, path: Path, fmt: str, *, show: bool,  # noqa: ANN001
                 backfill: bool = False) -> IngestResult:
    size = path.stat().st_size
    if fmt == "native" and can_split(path):
        return _ingest_parallel(engine, zone, path, show=show, backfill=backfill)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        if not show or size < PROGRESS_MIN_BYTES:
            return ingest_lines(engine, handle, zone=zone, fmt=fmt, source=str(path),
                                backfill=backfill)
        columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[events]:,} events"), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task(f"ingesting {user(path.name)}", total=size, events=0)
            lines = _CountingFile(handle, lambda n: progress.advance(task, n))
            return ingest_lines(
                engine, lines, zone=zone, fmt=fmt, source=str(path),
                on_chunk=lambda r: progress.update(task, events=r.rows), backfill=backfill,
            )


def _ingest_parallel(engine, zone, path: Path, *, show: bool,  # noqa: ANN001
                     backfill: bool = False) -> IngestResult:
    url = engine.url.render_as_string(hide_password=False)
    if not show:
        return ingest_file_parallel(url, path, zone=zone, backfill=backfill)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"ingesting {user(path.name)} on all cores",
                                 total=path.stat().st_size)
        return ingest_file_parallel(
            url, path, zone=zone, on_bytes=lambda done: progress.update(task, completed=done),
            backfill=backfill)


def _print_result(result: IngestResult) -> None:
    out.print(
        f"[bold]{user(os.path.basename(result.source))}[/] ({result.format}): "
        f"{result.accepted:,} accepted, {result.duplicates:,} duplicates, "
        f"{result.rejected:,} rejected", highlight=False,
    )
    if result.restated:
        out.print(f"  {result.restated:,} usage buckets restated (the provider's numbers "
                  "changed): the difference is new usage, each change recorded", highlight=False)
    if result.rejected:
        reasons = ", ".join(f"{field}: {count:,}" for field, count in result.reasons.most_common())
        out.print(f"  rejected by field: {reasons}", highlight=False)
        for error in result.errors[:10]:
            event = f" event {error.event_id}" if error.event_id else ""
            out.print(f"  row {error.row}{event} [{error.field or 'record'}]: {error.message}",
                      highlight=False, markup=False)
        if result.rejected > 10:
            out.print(f"  ... and {result.rejected - 10:,} more; see `billing quarantine list`")
        out.print("  Rejected rows wait in quarantine: fix the cause, then run\n"
                  "  `billing ingest --replay-quarantine`.")


def coverage_command(
    period: str = PERIOD_OPTION,
    top: int = typer.Option(10, help="How many unattributed sources to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Attribution coverage: the share of a period's usage with a team and a use case."""
    engine = ready_engine(settings())
    report = coverage(engine, period, top=top)
    spend = spend_coverage(engine, period)
    if as_json:
        emit_json(report.to_dict() | {"spend": spend.to_dict() if spend else None})
        return
    print_coverage(report, spend)


UNATTRIBUTED = Text.from_markup("[italic](unattributed)[/]")


def _millions(tokens: int) -> str:
    return f"{tokens / 1_000_000:,.2f}"  # display only, never money


def print_coverage(report: Coverage, spend: SpendCoverage | None = None) -> None:
    if report.events == 0:
        out.print(f"No usage recorded for {report.period}.")
        return
    table = Table(title=f"Usage by team and use case, {report.period} (tokens in millions)",
                  title_justify="left")
    for name in ("team", "use case", "requests", "input", "output", "cached", "tokens", "share"):
        table.add_column(name, justify="left" if name in ("team", "use case") else "right")
    for line in report.lines:
        table.add_row(
            line.team or UNATTRIBUTED, line.use_case or UNATTRIBUTED,
            f"{line.requests:,}", _millions(line.input_tokens), _millions(line.output_tokens),
            _millions(line.cached_input_tokens), _millions(line.tokens),
            f"{Coverage._share(line.tokens, report.tokens):.1%}",
        )
    table.add_section()
    table.add_row("total", "", f"{report.requests:,}", "", "", "", _millions(report.tokens),
                  "100%", style="bold")
    print_table(table, optional=("cached", "input", "output"))
    out.print(
        f"Attribution coverage {report.period}: team on [bold]{report.team_token_share:.2%}[/] "
        f"of tokens, {report.team_request_share:.2%} of requests;\n"
        f"team and use case on {report.use_case_token_share:.2%} of tokens.", highlight=False,
    )
    if spend is not None:
        out.print(
            f"Rated spend {spend.spend.quantize(Decimal('0.01')):,} {spend.currency}: team and "
            f"use case on [bold]{spend.share(spend.team_before_rules):.2%}[/] from the events,\n"
            f"[bold]{spend.share(spend.team_after_rules):.2%}[/] after attribution rules.",
            highlight=False,
        )
    else:
        out.print("Spend coverage appears after `billing rate`.")
    if report.top_unattributed:
        sources = Table(title="Largest unattributed sources (write attribution rules for these)",
                        title_justify="left")
        for name in ("provider", "project", "model", "tokens", "requests"):
            sources.add_column(name, justify="right" if name in ("tokens", "requests")
                               else "left")
        for source in report.top_unattributed:
            sources.add_row(source["provider"] or "?", source["provider_project"] or "",
                            source["model"], f"{source['tokens']:,}",
                            f"{source['requests']:,}")
        print_table(sources, optional=("project",))


def quarantine_list(
    status: str = typer.Option("pending", help=f"{', '.join(STATUSES[:-1])} or "
                               f"{STATUSES[-1]}."),
    limit: int = LIMIT_OPTION,
    offset: int = OFFSET_OPTION,
    every: bool = ALL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List quarantined rows with the row, field and reason they were rejected."""
    engine = ready_engine(settings())
    try:
        rows = list_rows(engine, status=status, limit=limit_of(limit, every), offset=offset)
        page = Page(count_rows(engine, status=status), len(rows), limit_of(limit, every),
                    offset)
    except QuarantineError as exc:
        fail(str(exc), f"choose --status {' or '.join(STATUSES)}", code=CANNOT_RUN)
    if as_json:
        emit_json({"rows": rows, **page.to_dict()})
        return
    if not rows:
        out.print(f"No {status} rows in quarantine" + (f" from row {offset + 1}" if offset
                                                       and page.total else "") + ".")
        return
    table = Table(title=f"Quarantine ({status})", title_justify="left")
    for name in ("id", "source", "row", "event_id", "field", "reason", "seen"):
        table.add_column(name, justify="right" if name in ("id", "row", "seen") else "left")
    for row in rows:
        table.add_row(str(row["id"]), source_name(row["source"]), f"{row['row']:,}",
                      row["event_id"] or "", row["field"] or "record", row["message"],
                      f"{row['seen_count']:,}")
    print_table(table, wrap=("reason",), optional=("seen", "field"))
    if page.footer():
        out.print(page.footer(), highlight=False)


def source_name(source: str) -> str:
    """A quarantined row's file, without its folder; a part of a file split for parallel
    ingest goes on a second line."""
    name, _, part = os.path.basename(source).partition(" (")
    return f"{name}\n({part}" if part else name


def _parse_change(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        fail(f"--set {text!r} is not FIELD=VALUE", "e.g. --set occurred_at=2026-10-19T08:50:03Z",
             code=2)
    if value == "":
        return name, None
    try:
        return name, orjson.loads(value)
    except orjson.JSONDecodeError:
        return name, value


def quarantine_fix(
    row_id: int = typer.Argument(..., help="The quarantined row's id (see `quarantine list`)."),
    changes: list[str] = typer.Option(..., "--set", help="FIELD=VALUE; repeat. FIELD= removes."),
    backfill: bool = typer.Option(False, "--allow-backfill",
                                  help="Accept a date before 2000-01-01 or more than a day ahead."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Correct fields of a quarantined JSON row, then replay it into the ledger."""
    config = settings()
    engine = ready_engine(config)
    try:
        raw = fix_row(engine, row_id, dict(_parse_change(change) for change in changes))
    except QuarantineError as exc:
        fail(str(exc), code=2)
    result = replay_quarantine(engine, zone=config.zone, row_ids=[row_id], backfill=backfill)
    outcome = ("accepted" if result.replayed else "duplicate" if result.duplicates
               else "superseded" if result.superseded else "rejected")
    if as_json:
        emit_json({"row": row_id, "outcome": outcome, "raw": raw, "replay": result.to_dict()})
    elif outcome == "accepted":
        out.print(f"Row {row_id} fixed and accepted into the ledger.")
    elif outcome == "duplicate":
        out.print(f"Row {row_id} fixed, but it is now identical to an event already in the "
                  "ledger: a duplicate, not added again. It is resolved (status superseded).",
                  highlight=False)
    elif outcome == "superseded":
        out.print(f"Row {row_id} is still rejected, but its event_id is already in the ledger "
                  "from another copy; it is resolved (status superseded).", highlight=False)
    if outcome != "rejected":
        return
    error = result.errors[0] if result.errors else None
    reason = f"[{error.field or 'record'}] {error.message}" if error else "see the list"
    if as_json:
        raise typer.Exit(1)
    fail(f"row {row_id} fixed but still rejected: {reason}",
         f"correct it again with `billing quarantine fix {row_id} --set FIELD=VALUE`, or drop it "
         f"with `billing quarantine discard {row_id}`")


def quarantine_discard(
    row_id: int = typer.Argument(..., help="The quarantined row's id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Mark a quarantined row as dropped on purpose (it stays on record)."""
    try:
        discard_row(ready_engine(settings()), row_id)
    except QuarantineError as exc:
        fail(str(exc), code=2)
    if as_json:
        emit_json({"row": row_id, "status": "discarded"})
        return
    out.print(f"Row {row_id} discarded; it stays in the quarantine with status discarded.")
