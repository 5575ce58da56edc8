"""The invoices package stands alone: no imports of billing, and a sample run for the demo."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import invoices
from invoices.json_twin import from_json
from invoices.sample import main, time_rendering

PACKAGE = Path(invoices.__file__).parent


def test_invoices_imports_nothing_of_billing():
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] == "billing" for name in names), module.name


def test_sample_writes_each_document_with_its_json_twin(tmp_path, capsys):
    main([str(tmp_path)])
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF-")
        twin = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        assert from_json(twin)
    assert str(pdfs[0]) in capsys.readouterr().out


def test_time_rendering_reports_what_it_rendered(tmp_path):
    timing = time_rendering(2, tmp_path, lines=5)
    assert timing.documents == 2 and timing.seconds > 0 and timing.per_document_ms > 0
    assert len(list(tmp_path.glob("bench-*.pdf"))) == 2
