"""Reading cost per source format: each publisher's own example file (tests/fixtures/usage),
repeated to about N events, read by its importer and checked by the usage-event contract,
in memory (the database's share is the ingest benchmark's). Prints events/s per format:

    python -m bench.formats [--events N] [--repeat N]

JSON sources are repeated as concatenated documents, which every JSON reader takes; JSON lines
by their rows. Native and CSV read the demo's valid events instead (their fixtures are mostly
deliberate bad rows).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from billing.demo_data import generate
from billing.ledger.formats import reader_for
from billing.ledger.usage_event import validate

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "usage"
FILES = {
    "native": "native.jsonl", "csv": "usage.csv", "litellm": "litellm_spend_logs_payload.json",
    "openai": "openai_usage_completions_example.json",
    "anthropic": "anthropic_usage_messages_example.json",
    "bedrock": "bedrock_invocation_logs.jsonl", "otel": "otel_openai_v2_spans.json",
}
UTC = ZoneInfo("UTC")


def _read(fmt: str, lines: list[str]) -> tuple[int, int]:
    read = reader_for(fmt)
    events = rejected = 0
    for row in read(lines):
        if row.data is None:
            rejected += 1
            continue
        try:
            validate(row.data, UTC)
            events += 1
        except ValueError:
            rejected += 1
    return events, rejected


def _demo(count: int) -> list[dict]:
    found = []
    for line in generate("2026-10", count * 2, 3):
        try:
            data = json.loads(line)
            validate(data, UTC)
        except ValueError:
            continue
        found.append(data)
        if len(found) == count:
            break
    return found


def _csv(events: list[dict]) -> list[str]:
    header = (FIXTURES / FILES["csv"]).read_text(encoding="utf-8").splitlines()[0].split(",")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for event in events:
        writer.writerow([event.get(name, "") for name in header])
    return out.getvalue().splitlines(keepends=True)


def _lines(fmt: str, copies: int) -> list[str]:
    if fmt in ("native", "csv"):
        events = _demo(copies)
        return _csv(events) if fmt == "csv" else [json.dumps(e) + "\n" for e in events]
    text = (FIXTURES / FILES[fmt]).read_text(encoding="utf-8")
    return text.splitlines(keepends=True) * copies


def measure(events: int = 20_000, repeat: int = 3) -> list[dict]:
    results = []
    for fmt in FILES:
        per_copy = 1 if fmt in ("native", "csv") else max(_read(fmt, _lines(fmt, 1))[0], 1)
        lines = _lines(fmt, max(events // per_copy, 1))
        best, counts = float("inf"), (0, 0)
        for _ in range(repeat):
            start = time.perf_counter()
            counts = _read(fmt, lines)
            best = min(best, time.perf_counter() - start)
        source = "(demo events)" if fmt in ("native", "csv") else FILES[fmt]
        results.append({"format": fmt, "file": source, "events": counts[0],
                        "rejected": counts[1], "seconds": round(best, 4),
                        "events_per_second": round(counts[0] / best) if best else 0})
    return results


def print_table(results: list[dict]) -> None:
    print("\nRead and check per source format, in memory (best of runs)")
    print(f"{'format':<10} {'events':>8} {'rejected':>9} {'seconds':>8} {'events/s':>10}  file")
    for row in results:
        print(f"{row['format']:<10} {row['events']:>8,} {row['rejected']:>9,} "
              f"{row['seconds']:>8.3f} {row['events_per_second']:>10,}  {row['file']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print_table(measure(args.events, args.repeat))


if __name__ == "__main__":
    main()
