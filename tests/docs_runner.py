"""The docs runner: the shell blocks of a Markdown page, run in order as a reader would.

A page's ```bash, ```sh and ```console blocks run one after another in one shell (a variable
one block sets is there for the next), in a scratch folder holding a copy of a fresh demo
database, with `examples/` beside it and DATABASE_URL and BILLING_DOCUMENTS_DIR pointing into
the folder, never at the working directory. A block passes when every command in it exits 0.

An HTML comment right above a block (invisible on the rendered page) changes that:

    <!-- docs-run: skip: REASON -->     not run; the reason is required
    <!-- docs-run: exit=1 -->           one command of the block exits 1 (or 2), the rest 0
    <!-- docs-run: expect: TEXT -->     some line of the block's output contains TEXT

Several can share a comment, separated by ` ; `. Port 8000 in a block (`--port 8000`,
`localhost:8000`) is replaced by a free port, so a page can start `billing serve` in the
background; whatever a page started is stopped when it ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = {"bash", "sh", "console"}
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
MARK = re.compile(r"<!--\s*docs-run:(?P<body>.*?)-->")
PORT = "8000"


@dataclass
class Block:
    page: str
    line: int
    code: str
    exit: int = 0
    expect: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def _marks(text: str, block: Block) -> None:
    for match in MARK.finditer(text):
        for part in match.group("body").split(" ; "):
            part = part.strip()
            if part.startswith("skip:"):
                block.skip = part.removeprefix("skip:").strip()
                if not block.skip:
                    raise ValueError(f"{block.where}: `skip:` needs a reason")
            elif part.startswith("exit="):
                block.exit = int(part.removeprefix("exit="))
            elif part.startswith("expect:"):
                block.expect.append(part.removeprefix("expect:").strip())
            elif part:
                raise ValueError(f"{block.where}: unknown docs-run mark {part!r} "
                                 "(skip: REASON, exit=N, expect: TEXT)")


def blocks(path: Path, name: str | None = None) -> list[Block]:
    """The page's shell blocks in order, with the marks of the comments right above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening or not opening.group("lang") and not _closing_follows(lines, index):
            index += 1
            continue
        indent, lang = opening.group("indent"), opening.group("lang")
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if lang in LANGUAGES:
            code = "\n".join(line.removeprefix(indent) for line in lines[index + 1:end])
            block = Block(name or path.name, index + 1, code)
            above = index - 1
            comments = []
            while above >= 0 and lines[above].strip().startswith("<!--"):
                comments.append(lines[above])
                above -= 1
            _marks("\n".join(comments), block)
            found.append(block)
        index = end + 1
    return found


def _closing_follows(lines: list[str], index: int) -> bool:
    return any(line.strip() == "```" for line in lines[index + 1:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_env(folder: Path, bin_dir: Path) -> dict[str, str]:
    """The environment a page runs in: the engine's settings point into the scratch folder;
    none of the caller's billing, Stripe or database settings leak in."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("BILLING_", "STRIPE_", "DATABASE_URL", "OTEL_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", COLUMNS="200",
               DATABASE_URL=f"sqlite:///{folder / 'billing.db'}",
               BILLING_DOCUMENTS_DIR=str(folder / "documents"), HOME=str(folder),
               PYTHONWARNINGS="ignore")
    return env


SHIPPED = ("examples", "tests/stripe_server.py")
"""What the docs use from the repository, by the same paths as in a clone."""


def prepare(folder: Path, demo: Path, root: Path) -> None:
    """A reader's folder after `make demo`: its database, documents and demo files, with the
    repository's files the docs use beside them."""
    shutil.copytree(demo, folder, dirs_exist_ok=True)
    for name in SHIPPED:
        source, target = root / name, folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


@dataclass
class Outcome:
    block: Block
    failures: list[tuple[int, str]]
    output: str
    ran: bool
    timed_out: float | None = None

    def problem(self) -> str | None:
        """What is wrong with this block's run, in words, or None."""
        if not self.ran:
            return (f"did not finish: the page timed out after {self.timed_out:.0f} s"
                    if self.timed_out else "did not run (an earlier command ended the page's "
                    "shell)")
        codes = [code for code, _ in self.failures]
        if self.block.exit == 0 and self.failures:
            return "; ".join(f"`{command}` exited {code}" for code, command in self.failures)
        if self.block.exit and codes != [self.block.exit]:
            return (f"expected one command to exit {self.block.exit}, got "
                    + (", ".join(f"`{c}` {n}" for n, c in self.failures) or "all 0"))
        missing = [text for text in self.block.expect if text not in self.output]
        if missing:
            return "output lacks " + ", ".join(repr(text) for text in missing)
        return None


def run_page(page_blocks: list[Block], folder: Path, env: dict[str, str],
             timeout: float = 900) -> list[Outcome]:
    """Run the page's blocks in one bash, in order; each command that exits non-zero is
    recorded with its block by an ERR trap, so shell state carries from block to block."""
    port = str(free_port())
    runnable = [block for block in page_blocks if block.skip is None]
    script = ["trap 'rc=$?; printf \"%s\\t%s\\t%s\\n\" \"$DOCS_BLOCK\" \"$rc\" "
              "\"${BASH_COMMAND//$'\\n'/ }\" >> .docs-run/failures' ERR",
              "cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; }", "trap cleanup EXIT"]
    runs = folder / ".docs-run"
    runs.mkdir()
    for number, block in enumerate(runnable):
        code = block.code.replace(f":{PORT}", f":{port}").replace(f"--port {PORT}",
                                                                    f"--port {port}")
        (runs / f"{number}.sh").write_text(code + "\n", encoding="utf-8")
        script += [f"DOCS_BLOCK={number}",
                   f"source .docs-run/{number}.sh > .docs-run/{number}.out 2>&1 < /dev/null",
                   f"echo {number} >> .docs-run/done"]
    (runs / "page.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    process = subprocess.Popen(["bash", str(runs / "page.sh")], cwd=folder, env=env,
                               start_new_session=True)
    timed_out = None
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = timeout
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    done = set((runs / "done").read_text().split()) if (runs / "done").exists() else set()
    failures: dict[int, list[tuple[int, str]]] = {}
    if (runs / "failures").exists():
        for line in (runs / "failures").read_text(encoding="utf-8").splitlines():
            number, code, command = line.split("\t", 2)
            if command.startswith("source .docs-run/"):
                continue  # the block's own failure, already recorded from inside it
            failures.setdefault(int(number), []).append((int(code), command))
    outcomes = []
    for number, block in enumerate(runnable):
        output_file = runs / f"{number}.out"
        output = output_file.read_text(encoding="utf-8", errors="replace") \
            if output_file.exists() else ""
        outcomes.append(Outcome(block, failures.get(number, []), output, str(number) in done,
                                timed_out))
    return outcomes
