"""`pip install .` (not editable) gives a package that works from any directory: the built
profiles ship inside it as package data, and a broken terminology folder is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel and installed (without its dependencies, which the
    test's own environment provides) into a folder of its own."""
    work = tmp_path_factory.mktemp("package")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(work / "wheel"), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [wheel] = (work / "wheel").glob("oms_cds-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
         str(work / "site"), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return work


def run(installed: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """`oms-cds ARGS` from an unrelated folder, importing the installed copy only."""
    environment = {**os.environ, "PYTHONPATH": str(installed / "site"), **env}
    if "OMS_PROFILES_DIR" not in env:
        environment.pop("OMS_PROFILES_DIR", None)
    return subprocess.run(
        [sys.executable, "-c", "import sys, service.cli; sys.exit(service.cli.main())", *args],
        cwd=installed,
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_the_installed_package_assesses_from_any_directory(installed: Path) -> None:
    done = run(installed, "assess", str(ROOT / "examples" / "high.json"))
    assert done.returncode == 0, done.stderr.decode()[-500:]
    bundle = orjson.loads(done.stdout)
    assert (
        bundle["entry"][0]["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0]["code"]
        == "high"
    )
    located = subprocess.run(
        [sys.executable, "-c", "import service; print(service.__file__)"],
        cwd=installed,
        env={**os.environ, "PYTHONPATH": str(installed / "site")},
        capture_output=True,
        check=True,
    )
    assert located.stdout.decode().startswith(str(installed / "site"))
    shipped = installed / "site" / "service" / "profiles"
    assert not shipped.is_symlink()
    assert len(list(shipped.glob("*.json"))) == len(
        list((ROOT / "profiles" / "fsh-generated" / "resources").glob("*.json"))
    )


@pytest.mark.parametrize("folder", ["/nonexistent/profiles", str(ROOT / "examples")])
def test_a_missing_or_broken_terminology_folder_is_one_line_and_exit_2(
    installed: Path, folder: str
) -> None:
    done = run(installed, "assess", "-", OMS_PROFILES_DIR=folder)
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oms-cds: ")
    assert "Traceback" not in done.stderr.decode()
