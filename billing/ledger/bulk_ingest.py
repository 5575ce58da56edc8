"""Bulk ingest of a large native file on several cores.

Parsing and validating JSON is most of ingest's cost and Python runs it on one core, so a big
JSON-lines file is cut at line boundaries into one part per core, and each part is ingested
by its own process with its own connection: the same chunked, idempotent write path as any
ingest, so a kill still loses nothing and a re-run still adds nothing. Each part records its
own ingest batch. Row numbers stay those of the whole file.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from pathlib import Path
from zoneinfo import ZoneInfo

from billing.db import make_engine
from billing.ledger.metering import IngestResult, ingest_lines

MIN_PARALLEL_BYTES = 16 * 1024 * 1024
BLOCK_BYTES = 1 << 20
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.2
_progress = None
_parent: int | None = None


def _init(counter, parent: int) -> None:  # noqa: ANN001
    """Worker set-up, before any work: die with the parent, so a killed ingest stops writing
    at once and a re-run resumes it; then share the progress counter."""
    global _progress, _parent
    _parent = parent
    _die_with_parent(parent)
    _progress = counter


class _WriterTurn:
    """SQLite has one writer at a time: the parts of one file take turns by a lock on that
    file (flock, dropped by the kernel if the process dies), handed over at once where
    SQLite's busy handler would sleep and poll."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")

    def __enter__(self) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self._handle.close()


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux); the parent may have
    died before the request, so check it is still there; and watch its pid where the kernel
    cannot help (other systems, or a request that failed)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _exit_if_orphaned()
    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()


def _exit_if_orphaned() -> None:
    if _parent is not None and os.getppid() != _parent:
        os._exit(1)  # the ingest that started us is gone: write nothing more


def _watch_parent() -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        _exit_if_orphaned()


def split(path: Path, parts: int) -> list[tuple[int, int, int]]:
    """(start byte, end byte, first row number) of `parts` pieces cut at line ends."""
    size = path.stat().st_size
    bounds = [0]
    with path.open("rb") as handle:
        for part in range(1, parts):
            handle.seek(max(bounds[-1], size * part // parts))
            handle.readline()
            bounds.append(min(handle.tell(), size))
    bounds.append(size)
    pieces, row = [], 1
    with path.open("rb") as handle:
        for start, end in zip(bounds, bounds[1:], strict=False):
            if end > start:
                pieces.append((start, end, row))
            handle.seek(start)
            row += handle.read(end - start).count(b"\n")
    return pieces


def _lines(path: Path, start: int, end: int) -> Iterator[str]:
    """The lines of a byte range, read a block at a time (a `readline` per line cost as much
    as decoding it); each line is decoded alone, so a block cut inside a character does not
    garble it."""
    with path.open("rb") as handle:
        handle.seek(start)
        left, tail = end - start, b""
        while left > 0:
            block = handle.read(min(BLOCK_BYTES, left))
            if not block:
                break
            left -= len(block)
            lines = (tail + block).split(b"\n")
            tail = lines.pop()
            for line in lines:
                yield line.decode("utf-8", errors="replace")
            if _progress is not None:
                with _progress.get_lock():
                    _progress.value += len(block)
        if tail:
            yield tail.decode("utf-8", errors="replace")


def _ingest_part(url: str, path: str, start: int, end: int, first_row: int, zone: str,
                 source: str, backfill: bool = False) -> IngestResult:
    _exit_if_orphaned()
    engine = make_engine(url)
    turn = _WriterTurn(Path(path)) if url.startswith("sqlite") else None
    try:
        return ingest_lines(engine, _lines(Path(path), start, end), zone=ZoneInfo(zone),
                            fmt="native", source=source, backfill=backfill,
                            first_row=first_row, write_lock=turn)
    finally:
        if turn is not None:
            turn.close()
        engine.dispose()


def can_split(path: Path) -> bool:
    """Only JSON lines can be cut anywhere between lines; a JSON array cannot."""
    if path.stat().st_size < MIN_PARALLEL_BYTES:
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return not head.startswith(b"[")


def ingest_file_parallel(
    url: str, path: Path, *, zone: ZoneInfo, workers: int | None = None,
    on_bytes: Callable[[int], None] | None = None, backfill: bool = False,
) -> IngestResult:
    workers = workers or min(os.cpu_count() or 1, 4)
    pieces = split(path, workers)
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    total = IngestResult(source=str(path), format="native")
    with ProcessPoolExecutor(len(pieces), mp_context=context, initializer=_init,
                             initargs=(counter, os.getpid())) as pool:
        futures = [
            pool.submit(_ingest_part, url, str(path), start, end, row, str(zone),
                        f"{path} (part {n} of {len(pieces)})", backfill)
            for n, (start, end, row) in enumerate(pieces, start=1)
        ]
        while on_bytes and not all(f.done() for f in futures):
            wait(futures, timeout=0.2, return_when=FIRST_EXCEPTION)
            on_bytes(counter.value)
        for future in futures:
            part = future.result()
            total.rows += part.rows
            total.accepted += part.accepted
            total.duplicates += part.duplicates
            total.rejected += part.rejected
            total.reasons.update(part.reasons)
            total.errors.extend(part.errors)
    total.errors.sort(key=lambda error: error.row)
    return total
