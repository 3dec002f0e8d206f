"""storage/ imports no use case and no route: the import-linter contract holds (`make lint`
runs every contract; this runs the storage one on its own, so a break names it)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_contract_forbids_storage_to_import_cds_and_api() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c.get("id") == "storage-independent"
    ]
    assert contract["type"] == "forbidden"
    assert contract["source_modules"] == ["service.storage"]
    assert {"service.cds", "service.api"} <= set(contract["forbidden_modules"])
    assert not contract.get("allow_indirect_imports", False)


def test_storage_keeps_the_contract() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--contract", "storage-independent", "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout
