"""Session-wide checks for the end-to-end tests: gdb is there, and no process outlives the run."""

import pytest

from tests import harness


def pytest_configure(config):
    harness.become_subreaper()  # orphans of a killed gdb come back to us, to be found at the end


@pytest.fixture(scope="session")
def gdb_path():
    """Path of gdb; the test is skipped (with the reason) when gdb is not installed."""
    path = harness.require_gdb()
    if path is None:
        pytest.skip("gdb is not installed: run ./install.sh")
    return path


@pytest.fixture(scope="session")
def dlv():
    """The pinned dlv (installed into $GOMAP_CACHE/bin if missing); skip if impossible."""
    from delve_bridge import install
    from gdb_gomap.errors import GomapError
    try:
        return install.ensure_dlv()
    except GomapError as exc:
        pytest.skip(f"Delve {install.DELVE_VERSION} is not installed and cannot be: {exc}")


def pytest_sessionfinish(session, exitstatus):
    leaked = harness.kill_all()
    if leaked:
        msg = ("harness: processes the tests started were still alive at the end "
               "(now killed): " + ", ".join(leaked))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write("\n")
            reporter.write_line(msg, red=True)
        else:
            print(msg)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
