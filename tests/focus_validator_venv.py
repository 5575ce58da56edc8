"""The FinOps Foundation's focus-validator, in a venv of its own (it needs Python 3.12+).

Built once under `.cache/focus-validator/` in the repository (gitignored, or
BILLING_FOCUS_VALIDATOR_CACHE) and reused. Building it takes most of a minute, so a test run
that will need it starts the build in the background as soon as its tests are collected
(`python tests/focus_validator_venv.py`), and the conformance test waits for it: the download and
install overlap other tests instead of holding up a worker. A file lock makes one build at a
time, however many xdist workers or background starts ask for it.

Its pin `numpy<2` clashes with the pyarrow it pulls in, so numpy>=2 is installed after it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "2.2.1"
REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("BILLING_FOCUS_VALIDATOR_CACHE", REPO / ".cache" / "focus-validator"))
VENV = CACHE / f"venv-{VERSION}"
LOG = CACHE / f"build-{VERSION}.log"


def python312() -> str | None:
    """A Python 3.12+ that runs (pyenv's shims exist for versions that are not selected)."""
    candidates: list[str | None] = []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(path / "bin" / "python") for path in sorted(pyenv.iterdir())
                       if re.match(r"3\.(1[2-9])\.", path.name)]
    candidates += [shutil.which(f"python3.{minor}") for minor in range(12, 16)]
    for candidate in candidates:
        if candidate and subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"],
                capture_output=True).returncode == 0:
            return candidate
    return None


def ready() -> bool:
    return (VENV / ".complete").exists()


def build(python: str) -> str | None:
    """Build the venv unless it is there (waiting for a build under way); None when it is
    ready, else what went wrong."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"venv-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready():
            return None
        shutil.rmtree(VENV, ignore_errors=True)  # a build stopped half-way is started again
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check"]
        # built where it stays: a venv's scripts name their own path, so it cannot be moved
        for step in ([python, "-m", "venv", str(VENV)], [*pip, f"focus-validator=={VERSION}"],
                     [*pip, "numpy>=2"]):
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                return (f"building the focus-validator venv failed at {step}:\n"
                        f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        (VENV / ".complete").touch()
        return None


def start_in_background() -> None:
    """Start the build in a process of its own, unless the venv is ready or cannot be built
    here; the test's own `build` call waits for it through the lock."""
    if ready() or python312() is None:
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(LOG, "w") as log:
        subprocess.Popen([sys.executable, __file__], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)


if __name__ == "__main__":
    found = python312()
    problem = build(found) if found else "no Python 3.12+ found"
    print(problem or f"focus-validator {VERSION} ready in {VENV}")
    sys.exit(1 if problem else 0)
