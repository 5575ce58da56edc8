"""A large JSON-lines file is cut into parts at line ends and each part read a block at a time:
every line comes back whole and in order, with its row number, whatever the block size, also
when a block ends inside a multi-byte character or between a carriage return and its newline."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.ledger import bulk_ingest

LINES = ['{"event_id":"é-1","team":"søk"}', "", '{"event_id":"日本-2"}\r', "  ",
         '{"event_id":"😀-3","tags":{"k":"v"}}', "last line without a newline"]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_every_line_comes_back_whole_with_its_row_number(tmp_path: Path, monkeypatch, block: int,
                                                         parts: int):
    path = tmp_path / "usage.jsonl"
    path.write_bytes("\n".join(LINES).encode())
    monkeypatch.setattr(bulk_ingest, "BLOCK_BYTES", block)
    read = []
    for start, end, first_row in bulk_ingest.split(path, parts):
        lines = list(bulk_ingest._lines(path, start, end))
        read += list(enumerate(lines, start=first_row))
    assert read == list(enumerate(LINES, start=1))


def test_a_broken_character_is_replaced_not_fatal(tmp_path: Path, monkeypatch):
    path = tmp_path / "usage.jsonl"
    path.write_bytes(b'{"a":"\xff"}\n{"b":1}\n')
    monkeypatch.setattr(bulk_ingest, "BLOCK_BYTES", 4)
    assert list(bulk_ingest._lines(path, 0, path.stat().st_size)) == ['{"a":"\ufffd"}', '{"b":1}']
