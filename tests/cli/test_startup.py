"""Every `billing` command is a new process, for a user at a prompt and for each command of
the docs: the CLI starts without the heavy libraries only some commands use (PDFs, Parquet,
pandas, Stripe, HTTP, migrations, the API server, Spark); each loads in the command that needs
it."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "reportlab", "stripe", "httpx", "alembic", "fastapi",
         "starlette", "uvicorn", "pyspark")
PROBE = """
import json, sys
from typer.testing import CliRunner
from billing.cli import app
result = CliRunner().invoke(app, ARGS)
assert result.exit_code == 0, result.output
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))))
"""


def _loaded(args: list[str]) -> list[str]:
    code = PROBE.replace("ARGS", repr(args)).replace("HEAVY", repr(HEAVY))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_help_loads_none_of_the_heavy_libraries():
    assert _loaded(["--help"]) == []


def test_a_command_help_loads_none_of_them_either():
    assert _loaded(["close", "--help"]) == []
