"""`make mutate`: mutation testing of the money core with mutmut, module by module.

A test suite that passes says little until a bug in the code makes it fail. mutmut makes many
small bugs (a `<` for a `<=`, a dropped argument, a changed constant) one at a time in a copy of
the project (`mutants/`) and runs the tests that reach the changed function: a mutant the tests
miss is a promise no test keeps. Each area below is run with its own fast tests (SQLite, no
PostgreSQL, no browser) so the whole run stays within minutes on two cores; code only
PostgreSQL reaches has its own small PostgreSQL tests, run when BILLING_TEST_POSTGRES_URL is set.

Prints the kill rate per area and file and every surviving mutant as a diff, and writes
bench/mutation.json. The README's "Mutation testing" section lists the survivors that are
equivalent (no test can tell them from the original) and why. MUTATE_ONLY=money,numbering runs
some areas only (bench/mutation.json is then not written).

This file must not import billing, ratecards or invoices: each area runs in a child process
that imports them from `mutants/`, never from the working tree.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "mutants" / "results"
OUTPUT = ROOT / "bench" / "mutation.json"
TARGET = 0.90
POSTGRES = "BILLING_MUTATE_POSTGRES"


@dataclass(frozen=True)
class Area:
    """One part of the money core: the files (or functions of a file) mutated, and the tests
    that must kill the mutants."""

    name: str
    files: dict[str, tuple[str, ...] | None]  # path -> mangled function names, None = all
    tests: tuple[str, ...]
    postgres: tuple[str, ...] = ()  # run too when BILLING_TEST_POSTGRES_URL is set


AREAS = (
    Area("money", {"billing/money.py": None, "billing/exact_sum.py": None},
         ("tests/rating/test_money_properties.py", "tests/test_money.py",
          "tests/test_exact_sum.py")),
    Area("pricing", {"ratecards/pricing.py": None, "ratecards/discounts.py": None,
                     "ratecards/versions.py": None, "billing/rating/quote.py": None},
         ("tests/cards/test_pricing.py", "tests/cards/test_quote_result.py",
          "tests/cards/test_pricing_real_sources.py",
          *(f"tests/cards/test_quote.py::{name}" for name in (
              "test_per_call_tokens_are_multiplied_by_the_requests",
              "test_at_is_a_date_or_an_rfc3339_timestamp",
              "test_at_written_otherwise_says_how_to_write_it",
              "test_an_explicit_offset_is_kept_and_a_naive_time_is_in_the_billing_zone")))),
    # rating's aggregation and pricing; rate() itself (locks, runs, high-water marks) is
    # proven by the kill and concurrency tests of the close, too slow to run per mutant
    Area("rating", {"billing/rating/rate.py": ("x__day_start", "x__aggregate", "x__merge",
                                               "x_price_line", "x_next_open_period",
                                               "x__unpriced_summary")},
         ("tests/rating/test_rate_lines.py", "tests/rating/test_rate_billing_fields.py")),
    Area("ingest", {"billing/ledger/usage_event.py": None,
                    "billing/ledger/plain_event.py": None,
                    "billing/ledger/metering.py": ("x__prepare", "x__prepare_lines",
                                                   "x__write_prepared", "x_compare_resend",
                                                   "x__stored", "x__land", "x__write_tuples")},
         ("tests/metering/test_usage_event.py", "tests/metering/test_metering.py",
          "tests/metering/test_usage_event_edges.py",
          "tests/metering/test_usage_event_billing.py", "tests/metering/test_ingest_buckets.py",
          "tests/metering/test_validate_common_path.py", "tests/metering/test_sqlite_params.py",
          "tests/metering/test_common_path_edges.py", "tests/metering/test_validation_bounds.py",
          "tests/metering/test_service_level_fields.py",
          "tests/metering/test_plain_event_decoder.py", "tests/metering/test_write_events.py"),
         # the PostgreSQL half of _land and _stored; its rows are not validated, so only the
         # mutants of metering.py pay for its database
         postgres=("tests/metering/test_land_postgres.py",)),
    Area("numbering", {"billing/close/numbering.py": None}, ("tests/close/test_numbering.py",)),
    # allocation; reading and writing pool files (policy authoring) is outside the money core
    Area("overhead", {"billing/rating/overhead.py": (
        "xǁPoolǁapplies_to", "x_missing_rate", "x_periods_without_rate", "x_allocate")},
         ("tests/rating/test_money_properties.py", "tests/rating/test_overhead_pools.py")),
    Area("stripe_amounts", {"invoices/stripe_amounts.py": None}, ("tests/stripe/test_amounts.py",)),
)

STATUS = {1: "killed", 3: "killed", 0: "survived", 33: "no_tests", 5: "no_tests",
          36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout"}


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _patterns(area: Area) -> list[str]:
    patterns = []
    for path, functions in area.files.items():
        if functions is None:
            patterns.append(f"{_module(path)}.*")
        else:
            patterns += [f"{_module(path)}.{name}__mutmut_*" for name in functions]
    return patterns


def _worker(name: str) -> None:
    """In the child: run mutmut on one area, then write its results to mutants/results/."""
    area = next(area for area in AREAS if area.name == name)
    import mutmut.configuration as configuration

    load = configuration._load_config

    def narrowed() -> configuration.Config:
        found = load()
        found.only_mutate = list(area.files)
        tests = area.tests + (area.postgres if os.environ.get(POSTGRES) == "1" else ())
        found.pytest_add_cli_args_test_selection = [t for t in tests
                                                     if Path(t.split("::")[0]).exists()]
        return found

    configuration._load_config = narrowed
    configuration.reset_config()
    from mutmut.__main__ import cli
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        cli(["run", "--max-children", str(os.cpu_count() or 2), *_patterns(area)])
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise
    patterns = _patterns(area)
    files = {}
    for path in area.files:
        data = SourceFileMutationData(path=path)
        data.load()
        counts = {"mutants": 0, "killed": 0, "survived": 0, "timeout": 0, "no_tests": 0,
                  "other": 0}
        survivors = []
        for key, code in sorted(data.exit_code_by_key.items()):
            if not any(fnmatch.fnmatch(key, pattern) for pattern in patterns):
                continue
            status = STATUS.get(code, "other")
            counts["mutants"] += 1
            counts[status] += 1
            if status in ("survived", "no_tests", "other"):
                survivors.append({"mutant": key, "status": status,
                                  "diff": get_diff_for_mutant(key, path=path)})
        files[path] = {**counts, "survivors": survivors}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(files, indent=2), encoding="utf-8")


def _rate(counts: dict) -> float:
    return (counts["killed"] + counts["timeout"]) / counts["mutants"] if counts["mutants"] else 1.0


def _fresh_copy() -> None:
    """mutmut regenerates a file only when its source is newer than the copy, and copies the
    files it does not mutate plainly; each area narrows what is mutated, so each starts from an
    empty copy (keeping the logs and results of the areas before)."""
    copy = ROOT / "mutants"
    if copy.exists():
        for item in copy.iterdir():
            if item.name not in ("logs", "results"):
                shutil.rmtree(item) if item.is_dir() else item.unlink()


def _run_area(area: Area, env: dict[str, str]) -> dict:
    _fresh_copy()
    log = ROOT / "mutants" / "logs" / f"{area.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "bench.mutation", "--worker", area.name],
                              cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                              check=False)
    if done.returncode != 0:
        sys.exit(f"mutmut failed on {area.name} (exit {done.returncode}); see {log}")
    files = json.loads((RESULTS / f"{area.name}.json").read_text(encoding="utf-8"))
    keys = ("mutants", "killed", "survived", "timeout", "no_tests", "other")
    totals = {key: sum(found[key] for found in files.values()) for key in keys}
    postgres = env.get(POSTGRES) == "1"
    return {**totals, "kill_rate": round(_rate(totals), 4),
            "seconds": round(time.monotonic() - started, 1),
            "tests": list(area.tests + (area.postgres if postgres else ())),
            "files": {path: {**{k: v for k, v in found.items() if k != "survivors"},
                             "kill_rate": round(_rate(found), 4),
                             "survivors": [s["mutant"] for s in found["survivors"]]}
                      for path, found in files.items()}}, files


def main() -> int:
    only = [name for name in os.environ.get("MUTATE_ONLY", "").split(",") if name]
    areas = [area for area in AREAS if not only or area.name in only]
    # the decoder's property test at a quarter of its examples per mutant: the walk over
    # every listed value (same file) still covers each field's edges
    env = {**os.environ, "BILLING_SKIP_POSTGRES": "1", "PYTHONHASHSEED": "0",
           "BILLING_DECODER_EXAMPLES": "150"}
    postgres = "BILLING_TEST_POSTGRES_URL" in os.environ
    env[POSTGRES] = "1" if postgres else "0"
    load_before = os.getloadavg()
    started = time.monotonic()
    report: dict[str, dict] = {}
    survivors: list[dict] = []
    for area in areas:
        print(f"mutating {area.name} ...", flush=True)
        report[area.name], files = _run_area(area, env)
        survivors += [s for found in files.values() for s in found["survivors"]]
    wall = time.monotonic() - started
    print()
    print(f"{'area / file':44} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} "
          f"{'kill rate':>9}")
    for name, found in report.items():
        print(f"{name:44} {found['mutants']:7} {found['killed']:6} {found['timeout']:7} "
              f"{found['survived'] + found['no_tests'] + found['other']:8} "
              f"{found['kill_rate']:9.1%}  ({found['seconds']:.0f} s)")
        for path, per_file in found["files"].items():
            print(f"  {path:42} {per_file['mutants']:7} {per_file['killed']:6} "
                  f"{per_file['timeout']:7} "
                  f"{per_file['survived'] + per_file['no_tests'] + per_file['other']:8} "
                  f"{per_file['kill_rate']:9.1%}")
    print(f"\nwall time {wall / 60:.1f} min; load average before {load_before[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f} (2 cores, shared)")
    if any(area.postgres for area in areas):
        print("PostgreSQL tests: " + ("run (BILLING_TEST_POSTGRES_URL)" if postgres else
                                      "not run; set BILLING_TEST_POSTGRES_URL to kill the "
                                      "PostgreSQL-only mutants"))
    if survivors:
        print(f"\n{len(survivors)} surviving mutants (killed by no test; the README lists the "
              "equivalent ones):")
        for survivor in survivors:
            print(f"\n# {survivor['mutant']} ({survivor['status']})\n{survivor['diff']}")
    short = [name for name, found in report.items() if found["kill_rate"] < TARGET]
    if not only:
        OUTPUT.write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "tool": "mutmut " + _mutmut_version(),
            "kill_rate": "(killed + timeout) / mutants; a mutant no test reaches counts as "
                         "survived",
            "target": TARGET,
            "wall_seconds": round(wall, 1),
            "cpu_count": os.cpu_count(),
            "load_average_before": round(load_before[0], 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            "postgres": postgres,
            "modules": report,
        }, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {OUTPUT.relative_to(ROOT)}")
    if short:
        print(f"below {TARGET:.0%}: {', '.join(short)}")
        return 1
    return 0


def _mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _worker(sys.argv[2])
    else:
        sys.exit(main())
