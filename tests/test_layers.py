"""The layers hold: `lint-imports` checks the contracts in pyproject.toml (the core imports no
runtime, commands or audio; intents and audio_models import no voice_coach and not each other;
commands > runtime > core). `make test` runs it too; this keeps a plain `pytest` honest."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> str:
    """The lint-imports of this interpreter's environment (the dev extra installs it)."""
    beside = Path(sys.executable).parent / "lint-imports"
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing; install the dev extra (`pip install -e '.[dev]'`)"
    return found


def test_import_contracts_are_kept():
    # From the repository root, which lint-imports puts first on the path: the files checked
    # are these, not an installed copy.
    done = subprocess.run(
        [lint_imports(), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
