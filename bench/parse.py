"""Reading cost of the native format's duplicate-key check, on 50,000 events.

orjson keeps the last of two equal keys silently, so the native reader checks for duplicates
(billing/ledger/formats/native.py). This times the reader with and without that check, as
NDJSON and as one JSON array (the API batch form), compact and spaced (Python's json.dumps
separators, which miss the compact fast path), best of several runs:

    python -m bench.parse [--events N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from contextlib import contextmanager

import orjson

from billing.demo_data import generate
from billing.ledger.formats import native
from billing.ledger.formats.base import SourceRow


def events(count: int) -> list[dict]:
    """Parseable demo events only: the demo data carries deliberately broken lines."""
    found: list[dict] = []
    for line in generate("2026-10", count + count // 5 + 100, 7):
        try:
            found.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
        if len(found) == count:
            break
    return found


@contextmanager
def _without_check():
    checked, loads = native._checked, native.json.loads
    native._checked = lambda row, data, raw: SourceRow(row, data, raw)
    native.json.loads = lambda *args, **kwargs: None
    try:
        yield
    finally:
        native._checked, native.json.loads = checked, loads


def _best(run: Callable[[], int], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(count: int = 50_000, repeat: int = 5) -> list[dict]:
    rows = events(count)
    shapes = {
        "ndjson compact": [orjson.dumps(row).decode() for row in rows],
        "ndjson spaced": [json.dumps(row) for row in rows],
        "array compact": [orjson.dumps(rows).decode()],
        "array spaced": [json.dumps(rows)],
    }
    results = []
    for shape, lines in shapes.items():
        def run(lines: list[str] = lines) -> int:
            return sum(1 for _ in native.read(lines))
        checked = _best(run, repeat)
        with _without_check():
            plain = _best(run, repeat)
        results.append({"shape": shape, "events": len(rows), "checked_s": round(checked, 4),
                        "unchecked_s": round(plain, 4),
                        "overhead_pct": round((checked / plain - 1) * 100, 1)})
    return results


def print_table(results: list[dict]) -> None:
    print(f"\nDuplicate-key check, native reader, {results[0]['events']:,} events (best of runs)")
    print(f"{'shape':<16} {'checked s':>10} {'unchecked s':>12} {'overhead':>9}")
    for row in results:
        print(f"{row['shape']:<16} {row['checked_s']:>10.3f} {row['unchecked_s']:>12.3f} "
              f"{row['overhead_pct']:>8.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_table(measure(args.events, args.repeat))


if __name__ == "__main__":
    main()
