"""install.sh on a home of its own: a second run changes nothing, --uninstall
leaves ~/.gdbinit byte for byte as it was, and nothing sets auto-load safe-path."""

import os
import subprocess

from tests import harness

ORIGINAL = b"set history save on\n# the user's own line, no newline at the end"


def _run(home, *args):
    env = dict(os.environ, HOME=str(home), GOMAP_HOME=str(home / "gomap-home"))
    env.pop("GOMAP_CACHE", None)
    env["GOMAP_CACHE"] = str(home / "cache")
    r = subprocess.run(["bash", str(harness.REPO / "install.sh"), *args], env=env,
                       capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_install_twice_then_uninstall(tmp_path, gdb_path):
    home = tmp_path / "home"
    home.mkdir()
    gdbinit = home / ".gdbinit"
    gdbinit.write_bytes(ORIGINAL)
    _run(home)
    first = gdbinit.read_bytes()
    assert first.startswith(ORIGINAL) and first.count(b"# gomap") == 1
    assert b"safe-path" not in first
    out = _run(home)
    assert gdbinit.read_bytes() == first, "the second install changed ~/.gdbinit"
    assert "already loads gomap" in out
    # The installed gomap loads in a gdb that reads this ~/.gdbinit.
    r = subprocess.run(["gdb", "-batch", "-ex", "help gomap-dump"], capture_output=True,
                       text=True, env=dict(os.environ, HOME=str(home)), timeout=60)
    assert "Usage: gomap-dump EXPR" in r.stdout, r.stdout + r.stderr
    _run(home, "--uninstall")
    assert gdbinit.read_bytes() == ORIGINAL
    assert not (home / "gomap-home").exists()


def test_uninstall_removes_a_gdbinit_it_created(tmp_path, gdb_path):
    home = tmp_path / "home"
    home.mkdir()
    _run(home)
    assert (home / ".gdbinit").exists()
    _run(home, "--uninstall")
    assert not (home / ".gdbinit").exists()
