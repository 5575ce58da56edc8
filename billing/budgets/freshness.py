"""Freshness of the live budget state: a counter that moves whenever usage lands, a rating run
finishes or a budget changes, so statuses held in memory are read anew after it moves."""

from __future__ import annotations

import threading

_generation = 0
_lock = threading.Lock()


def invalidate() -> None:
    """Something a budget status depends on changed in this process."""
    global _generation
    with _lock:
        _generation += 1


def generation() -> int:
    return _generation
