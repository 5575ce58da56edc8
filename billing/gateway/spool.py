"""The gateway's spool: usage events written to disk before they are sent, so an engine that is
down (or a gateway that restarts) loses nothing.

Events are appended to `pending.ndjson`; a flush moves that file aside (`sending-*.ndjson`)
and sends it in batches, rewriting the file with what is left after each batch the engine
took. A batch that fails stays on disk and is sent again later; the engine is idempotent on
`event_id`, so a batch sent twice (the engine took it but the answer was lost) adds nothing.
The spool itself is the retry state, which is why this is a plain loop over files rather than
an in-memory retry library: it survives the process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson

Send = Callable[[list[bytes]], bool]


class Spool:
    def __init__(self, folder: str | os.PathLike[str], batch_size: int = 500) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._flushing = threading.Lock()

    @property
    def pending(self) -> Path:
        return self.folder / "pending.ndjson"

    def append(self, events: list[dict]) -> None:
        """Durable before the call returns: written and flushed to the file."""
        data = b"".join(orjson.dumps(event) + b"\n" for event in events)
        with self._lock, open(self.pending, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def waiting(self) -> int:
        """Events on disk not yet taken by the engine."""
        with self._lock:
            return sum(_count(path) for path in self._files(include_pending=True))

    def _files(self, include_pending: bool = False) -> list[Path]:
        files = sorted(self.folder.glob("sending-*.ndjson"))
        if include_pending and self.pending.exists():
            files.append(self.pending)
        return files

    def flush(self, send: Send) -> bool:
        """Send everything on disk; False when the engine refused or could not be reached
        (what is left stays for the next flush)."""
        with self._flushing:
            with self._lock:
                if self.pending.exists() and self.pending.stat().st_size:
                    self.pending.rename(self.folder / f"sending-{time.time_ns()}.ndjson")
                files = self._files()
            for path in files:
                lines = [line for line in path.read_bytes().splitlines() if line.strip()]
                while lines:
                    if not send(lines[:self.batch_size]):
                        return False
                    lines = lines[self.batch_size:]
                    _rewrite(path, lines)
                path.unlink(missing_ok=True)
            return True


def _count(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def _rewrite(path: Path, lines: list[bytes]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(b"".join(line + b"\n" for line in lines))
    os.replace(temporary, path)
