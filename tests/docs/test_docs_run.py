"""Every shell block of the README and of the docs runs as written, in order, on a fresh demo
database (the convention is in tests/docs_runner.py), so the docs cannot rot."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest
from docs_runner import blocks, prepare, run_page, scratch_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_EVENTS = "20000"
PAGES = [ROOT / "README.md"] + sorted(
    path for path in (ROOT / "docs").rglob("*.md") if "design" not in path.parts)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo per test run, shared by the xdist workers: a reader's folder after
    `make demo` (a smaller month, so the test stays fast)."""
    shared = tmp_path_factory.getbasetemp().parent / "docs-demo"
    with open(str(shared) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            shared.mkdir(exist_ok=True)
            result = subprocess.run(
                [str(BIN / "billing"), "demo", "--events", DEMO_EVENTS], cwd=shared,
                env=scratch_env(shared, BIN), capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            (shared / "done").write_text("ok")
    return shared


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_command_of_the_page_runs_as_written(page: Path, demo_folder: Path,
                                                   tmp_path: Path) -> None:
    page_blocks = blocks(page, _name(page))
    if not any(block.skip is None for block in page_blocks):
        pytest.skip(f"{_name(page)} has no command to run")
    folder = tmp_path / "reader"
    prepare(folder, demo_folder, ROOT)
    (folder / "done").unlink(missing_ok=True)
    outcomes = run_page(page_blocks, folder, scratch_env(folder, BIN))
    problems = [f"{o.block.where}: {o.problem()}\n--- output ---\n{o.output[-1500:]}"
                for o in outcomes if o.problem()]
    assert not problems, "\n\n".join(problems)


def test_skipped_blocks_say_why_and_stay_few() -> None:
    skipped = [block for page in PAGES for block in blocks(page, _name(page)) if block.skip]
    assert all(block.skip for block in skipped)
    assert len(skipped) <= 20, [block.where for block in skipped]
