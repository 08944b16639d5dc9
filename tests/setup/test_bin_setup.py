"""bin/setup on a clean copy of the tree with only Debian's own Python on PATH (PEP 668).

The copy gets its own .venv/; the machine's Python keeps no project packages (nothing is
installed into a system site-packages), and a second run changes nothing.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEBIAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/python3").exists(),
                                reason="needs Debian's python3 at /usr/bin")


def _clean_copy(dest: Path) -> None:
    """The files a clean clone of the working tree would have (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        src = REPO / raw.decode()
        if src.is_file():
            target = dest / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _debian_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHON", "VIRTUAL_ENV", "PYTHONPATH", "PYENV_VERSION"}}
    env["PATH"] = DEBIAN_PATH
    return env


def _system_has_django() -> bool:
    return subprocess.run(["/usr/bin/python3", "-c", "import django"],
                          capture_output=True).returncode == 0


def test_setup_makes_a_venv_from_debian_python(tmp_path):
    system_had_django = _system_has_django()
    _clean_copy(tmp_path)

    first = subprocess.run(["bin/setup"], cwd=tmp_path, env=_debian_env(),
                           capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "externally-managed" not in first.stderr
    assert "creating the virtual environment .venv from /usr/bin/python3" in first.stdout

    venv_python = tmp_path / ".venv" / "bin" / "python"
    imported = subprocess.run(
        [str(venv_python), "-c",
         "import sys, django, SpiffWorkflow, weasyprint; print(sys.prefix, sys.base_prefix)"],
        cwd=tmp_path, env=_debian_env(), capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stderr
    prefix, base_prefix = imported.stdout.split()
    assert Path(prefix) == tmp_path / ".venv" and base_prefix == "/usr"
    # The DMN editor's production bundle (frontend/build.mjs).
    assert (tmp_path / "frontend" / "build" / "dmn-js" / "dmn-modeler.production.min.js").exists()
    # Nothing landed in the system interpreter.
    assert _system_has_django() == system_had_django

    again = subprocess.run(["bin/setup"], cwd=tmp_path, env=_debian_env(),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "installing" not in again.stdout and "creating" not in again.stdout
