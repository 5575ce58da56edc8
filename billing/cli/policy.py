"""Policy commands: publish, list, show, diff, validate and import, as `ratecards` has."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    emit_json,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.policies.document import KINDS, PolicyValidationError, PolicyVersion
from billing.policies.registry import (
    LEGACY_FILES,
    PublishRefused,
    PublishResult,
    UnknownPolicy,
    diff,
    get_version,
    import_legacy,
    listing,
    policy_dict,
    publish,
    validate,
)

policy_app = typer.Typer(help="Versioned policies: attribution rules, overhead pools, parties "
                         "and use cases, each in force for a period.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


def _resolve(engine, ref: str) -> PolicyVersion:  # noqa: ANN001
    kind, _, version = ref.partition("@")
    try:
        return get_version(engine, kind, version or None)
    except UnknownPolicy as exc:
        fail(str(exc), code=2)


def _read(file: Path) -> str:
    if not file.is_file():
        fail(f"{file}: no such file", code=2)
    return file.read_text(encoding="utf-8")


def _refused(file: Path, exc: Exception) -> None:
    fail(f"{file}: nothing published:\n{exc}", f"run `billing policy validate {file}`", code=1)


@policy_app.command("publish")
def publish_command(
    file: Path = typer.Argument(..., help="A policy YAML file (kind, version, effective_from)."),
    note: str = typer.Option("", "--note", "-m", help="Why this version (the change note)."),
    by: str = typer.Option(None, "--by", help="Who publishes (default: your login name)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish a policy version. Same file again: no-op. Other file, same version: refused."""
    text = _read(file)
    engine = ready_engine(settings())
    try:
        result = publish(engine, text, file.name, published_by=by, change_note=note)
    except (PolicyValidationError, PublishRefused) as exc:
        _refused(file, exc)
    _report([result], as_json)


def _report(results: list[PublishResult], as_json: bool) -> None:
    if as_json:
        emit_json([r.to_dict() for r in results] if len(results) != 1 else results[0].to_dict())
        return
    for result in results:
        ref = f"{result.kind}@{result.version}"
        if result.status == "unchanged":
            out.print(f"{user(ref)} is already published with this content: nothing to do.")
        else:
            until = f" to {result.effective_to}" if result.effective_to else ""
            out.print(f"Published {user(ref)}, in force from {result.effective_from}{until}, hash "
                      f"{result.content_hash[:12]}.", highlight=False)


@policy_app.command("list")
def list_command(as_json: bool = JSON_OPTION) -> None:
    """Published policy versions, with the months they are in force and their hash."""
    engine = ready_engine(settings())
    rows = listing(engine)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No policies published yet: `billing policy publish FILE -m why`, or "
                  "`billing policy import` for the old attribution.yaml, overhead.yaml and "
                  "registry.yaml.")
        return
    table = Table(title="Published policy versions", title_justify="left")
    for name in ("kind", "version", "from", "to", "hash", "published by", "note"):
        table.add_column(name)
    for row in rows:
        table.add_row(row["kind"], row["version"], row["effective_from"],
                      row["effective_to"] or "", row["content_hash"][:12], row["published_by"],
                      row["change_note"])
    print_table(table, wrap=("note",), optional=("published by",))


@policy_app.command("show")
def show_command(
    ref: str = typer.Argument(..., help=f"KIND or KIND@VERSION; kinds: {', '.join(KINDS)}."),
    as_json: bool = JSON_OPTION,
) -> None:
    """One policy version: its period, hash and the document as published."""
    document = _resolve(ready_engine(settings()), ref)
    if as_json:
        emit_json(policy_dict(document))
        return
    until = f" to {document.effective_to}" if document.effective_to else " (open-ended)"
    out.print(f"[bold]{user(document.ref)}[/], in force from "
              f"{document.effective_from}{until}, hash "
              f"{document.content_hash[:12]}, from {document.filename}")
    out.print(document.source, highlight=False, markup=False)


@policy_app.command("diff")
def diff_command(
    a: str = typer.Argument(..., help="KIND@VERSION, the old one."),
    b: str = typer.Argument(..., help="KIND@VERSION, the new one."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fields added, removed and changed between two versions."""
    engine = ready_engine(settings())
    rows = diff(_resolve(engine, a), _resolve(engine, b))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print(f"{user(a)} and {user(b)} say the same.")
        return
    table = Table(title=f"{a} -> {b}", title_justify="left")
    for name in ("change", "field", "old", "new"):
        table.add_column(name)
    for row in rows:
        table.add_row(row["kind"], row["field"], row["old"] or "", row["new"] or "")
    print_table(table, wrap=("field",))


@policy_app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="A policy YAML file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a policy file against what is published; every problem with file, line, field."""
    text = _read(file)
    try:
        engine = ready_engine(settings())
    except typer.Exit:
        engine = None
    problems = validate(engine, text, file.name)
    if as_json:
        emit_json({"file": str(file), "valid": not problems,
                   "problems": [{"file": p.file, "line": p.line, "field": p.field,
                                 "message": p.message} for p in problems]})
    elif problems:
        for problem in problems:
            out.print(str(problem), highlight=False, markup=False)
        out.print(f"{len(problems)} problem(s) in {user(file)}.")
    else:
        out.print(f"{user(file)}: valid.")
    if problems:
        raise typer.Exit(1)


@policy_app.command("import")
def import_command(
    directory: Path = typer.Option(Path("."), "--dir", help="Where the old files are."),
    effective_from: str = typer.Option("2000-01", "--from",
                                       help="First month the imported versions are in force."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish the old attribution.yaml, overhead.yaml, registry.yaml and use_cases.yaml once
    (the files the engine used to look up in the working directory); again: nothing to do."""
    engine = ready_engine(settings())
    paths = {kind: directory / name for kind, name in LEGACY_FILES.items()}
    try:
        results = import_legacy(engine, paths, effective_from=effective_from)
    except (PolicyValidationError, PublishRefused) as exc:
        fail(f"import stopped, that file not published:\n{exc}",
             "fix the file (see docs/POLICIES.md) and run `billing policy import` again", code=1)
    if not results and not as_json:
        out.print(f"No old policy files in {user(directory)}: nothing to import.")
        return
    if as_json:
        emit_json([r.to_dict() for r in results])
        return
    _report(results, as_json)
