"""The typed public API type-checks: mypy over the modules pyproject.toml's
[tool.mypy] lists (Target, the Memory protocol and its wrappers, the backends,
the errors, the value model, the string reader, the value decoder, the JSON form,
the CLI entry points).  Fails with mypy's own report."""

import subprocess
import sys

import pytest

from tests import harness


def test_mypy_on_the_typed_modules():
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is not installed: it is in the test extras "
                    "(./install.sh --dev, or pip install '.[test]')")
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary",
                        "--config-file", "pyproject.toml"],
                       cwd=harness.REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"mypy found problems:\n{r.stdout}{r.stderr}"
