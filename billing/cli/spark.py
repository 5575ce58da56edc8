"""`billing spark reduce`: raw usage in a data lake reduced on Apache Spark, then ingested."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    PERIOD_OPTION,
    emit_json,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.cli.exit_codes import CANNOT_RUN, OK, REJECTED
from billing.ledger.lake_rows import FORMATS

SHOWN_ERRORS = 20


def register(app: typer.Typer) -> None:
    spark = typer.Typer(help="Reduce raw usage on Apache Spark (optional extra: "
                        "pip install -e '.[spark]').", no_args_is_help=True)
    spark.command("reduce")(reduce_command)
    app.add_typer(spark, name="spark")


def _default_out(source: str, period: str) -> str:
    if any(mark in source for mark in "*?["):
        fail(f"--input {source} is a pattern, so there is no folder beside it to write to",
             "name the output folder with --out", code=2)
    return f"{source.rstrip('/')}.reduced-{period}"


def reduce_command(
    source: str = typer.Option(..., "--input", "-i", show_default=False,
                               help="Raw usage: a file, a folder or a glob Spark can read "
                                    "(local, hdfs://, s3a://)."),
    fmt: str = typer.Option(..., "--format", "-f", show_default=False,
                            help=f"Input format: {', '.join(FORMATS)} (json: JSON lines; csv: "
                                 "a header row, one record per line)."),
    period: str = PERIOD_OPTION,
    master: str = typer.Option(None, "--master", help="Spark master URL (spark://host:7077, "
                               "yarn, local[4]); default: local on all cores."),
    out_dir: str = typer.Option(None, "--out", help="Where the reduced groups and the "
                                 "rejected rows are written (OUT/reduced and OUT/rejected, "
                                 "replaced). Default: beside the input, INPUT.reduced-PERIOD."),
    partitions: int = typer.Option(None, "--partitions", min=1, help="Shuffle partitions "
                                   "(default 200; Spark's adaptive execution merges them to "
                                   "~64 MB each, so raise it only past ~10 GB of input)."),
    backfill: bool = typer.Option(False, "--allow-backfill",
                                  help="Accept events dated before 2000-01-01 or more than a day "
                                       "in the future, as `billing ingest` does."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate, dedupe and reduce a period's raw usage on Spark, then ingest it as aggregate
    usage events; running it again for the same period restates, never doubles."""
    from billing.ledger.spark_reduce import SparkUnavailable, reduce_and_ingest, session

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}", f"choose one of: {', '.join(FORMATS)}", code=2)
    if "://" not in source and not any(mark in source for mark in "*?[") \
            and not Path(source).exists():
        fail(f"{source}: no such file or folder", "check the --input path", code=2)
    target = out_dir or _default_out(source, period)
    config = settings()
    engine = ready_engine(config)
    try:
        spark = session(master, partitions=partitions)
    except SparkUnavailable as exc:
        fail(str(exc), code=2)
    try:
        result = reduce_and_ingest(engine, spark, source, fmt=fmt, period=period,
                                   zone=config.zone, out=target,
                                   backfill=backfill)
    except Exception as exc:  # noqa: BLE001 - Spark reports unreadable input as many types
        fail(f"Spark could not read {source} as {fmt}: {str(exc).splitlines()[0]}",
             "check the path and --format; the ledger was not changed", code=CANNOT_RUN)
    if as_json:
        emit_json(result.to_dict())
        raise typer.Exit(REJECTED if result.rejected else OK)
    ingest = result.ingest
    out.print(f"{user(result.input)} ({result.format}, {result.period}): {result.rows:,} rows, "
              f"{result.accepted:,} events, {result.duplicates:,} duplicates, "
              f"{result.rejected:,} rejected, {result.outside_period:,} outside the period; "
              f"{result.groups:,} groups in {result.seconds:.1f} s", highlight=False)
    out.print(f"Ledger: {ingest['accepted']:,} new, {ingest['restated']:,} restated, "
              f"{ingest['duplicates']:,} unchanged aggregate events", highlight=False)
    out.print(f"Reduced groups in {user(result.out)}/reduced; rejected rows with reasons in "
              f"{user(result.out)}/rejected", highlight=False)
    stages = Table("stage", "seconds", "CPU seconds", title="Stage timings")
    for stage in result.stages.to_list():
        stages.add_row(stage["stage"], f"{stage['seconds']:.1f}", f"{stage['cpu_seconds']:.1f}")
    print_table(stages)
    if result.errors:
        table = Table("row", "event_id", "field", "reason")
        for error in result.errors[:SHOWN_ERRORS]:
            table.add_row(str(error["row"]), user(error["event_id"] or ""),
                          user(error["field"] or ""), user(error["message"] or ""))
        print_table(table, wrap=("reason",))
    if result.rejected:
        raise typer.Exit(REJECTED)
