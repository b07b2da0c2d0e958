"""install.sh on a home of its own: a second run changes nothing, --uninstall
leaves ~/.gdbinit byte for byte as it was, and nothing sets auto-load safe-path;
gomap and gomap-dlv are linked into ~/.local/bin (never over a file that is
not ours) and --uninstall removes exactly those links; --purge-cache removes
the cache gomap writes its DWARF index to, wherever XDG_CACHE_HOME puts it."""

import os
import subprocess
import sys

from gdb_gomap import __version__
from tests import harness, toolchains

ORIGINAL = b"set history save on\n# the user's own line, no newline at the end"


def _run(home, *args, path=None):
    env = dict(os.environ, HOME=str(home), GOMAP_HOME=str(home / "gomap-home"))
    env.pop("GOMAP_BIN", None)
    if path is not None:
        env["PATH"] = path
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
    out = _run(home)
    first = gdbinit.read_bytes()
    bin_dir = home / ".local" / "bin"
    venv_bin = home / "gomap-home" / "venv" / "bin"
    for tool in ("gomap", "gomap-dlv"):
        link = bin_dir / tool
        assert link.is_symlink() and os.readlink(link) == str(venv_bin / tool), tool
        r = subprocess.run([str(link), "--version"], capture_output=True, text=True,
                           timeout=60)
        assert r.stdout.strip() == f"gomap {__version__}", r.stdout + r.stderr
    # where they are is said at the end, with a warning: the fake ~/.local/bin is not on PATH
    last = out.strip().splitlines()[-2:]
    assert last[0] == f"gomap: commands: {bin_dir / 'gomap'} {bin_dir / 'gomap-dlv'}", out
    assert last[1].startswith(f"gomap: warning: {bin_dir} is not on your PATH"), out
    # pyproject's version is read from gdb_gomap.__version__
    r = subprocess.run([str(venv_bin / "python"), "-c",
                        "import importlib.metadata as m; print(m.version('gomap'))"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == __version__, r.stdout + r.stderr
    assert first.startswith(ORIGINAL) and first.count(b"# gomap") == 1
    assert b"safe-path" not in first
    out = _run(home)
    assert gdbinit.read_bytes() == first, "the second install changed ~/.gdbinit"
    assert "already loads gomap" in out
    # The installed gomap loads in a gdb that reads this ~/.gdbinit.
    r = subprocess.run(["gdb", "-batch", "-ex", "help gomap-dump"], capture_output=True,
                       text=True, env=dict(os.environ, HOME=str(home)), timeout=60)
    assert "Usage: gomap-dump EXPR" in r.stdout, r.stdout + r.stderr
    assert (bin_dir / "gomap").is_symlink()
    _run(home, "--uninstall")
    assert gdbinit.read_bytes() == ORIGINAL
    assert not (home / "gomap-home").exists()
    assert not os.path.lexists(bin_dir / "gomap") and not os.path.lexists(bin_dir / "gomap-dlv")


def test_uninstall_removes_a_gdbinit_it_created(tmp_path, gdb_path):
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    theirs = bin_dir / "gomap-dlv"           # someone else's gomap-dlv: never replaced
    theirs.write_text("#!/bin/sh\necho theirs\n")
    on_path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    out = _run(home, path=on_path)
    assert (home / ".gdbinit").exists()
    assert theirs.read_text() == "#!/bin/sh\necho theirs\n" and not theirs.is_symlink()
    assert f"left {theirs} alone" in out
    assert (bin_dir / "gomap").is_symlink()
    assert out.strip().splitlines()[-1] == f"gomap: commands: {bin_dir / 'gomap'}", out
    assert "not on your PATH" not in out
    _run(home, "--uninstall", path=on_path)
    assert not (home / ".gdbinit").exists()
    assert not os.path.lexists(bin_dir / "gomap")
    assert theirs.read_text() == "#!/bin/sh\necho theirs\n"


def test_purge_cache_removes_the_dwarf_index_under_xdg_cache_home(tmp_path):
    """With XDG_CACHE_HOME set and GOMAP_CACHE unset, gomap's DWARF index and
    install.sh's --purge-cache agree on one directory: $XDG_CACHE_HOME/gomap."""
    home = tmp_path / "home"
    home.mkdir()
    xdg = tmp_path / "xdg"
    env = dict(os.environ, HOME=str(home), GOMAP_HOME=str(home / "gomap-home"),
               XDG_CACHE_HOME=str(xdg))
    for name in ("GOMAP_CACHE", "GOMAP_BIN", "GOMAP_NO_CACHE"):
        env.pop(name, None)
    build = next(b for b in toolchains.MATRIX if b.opt == "opt")
    exe = toolchains.build_for(harness.REPO / "examples" / "mapstates", build)
    code = ("import sys\n"
            "from gdb_gomap.binary import GoBinary\n"
            "from gdb_gomap.dwarf.index import DwarfIndex\n"
            "b = GoBinary(sys.argv[1])\n"
            "i = DwarfIndex.load(b, b.dwarf_info())\n"
            "print(i._path)\n")
    r = subprocess.run([sys.executable, "-c", code, str(exe)], cwd=harness.REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    index_file = r.stdout.strip().splitlines()[-1]
    assert index_file.startswith(str(xdg / "gomap" / "dwarf") + os.sep), index_file
    assert os.path.isfile(index_file)
    assert not (home / ".cache").exists(), "the index went to ~/.cache despite XDG_CACHE_HOME"
    r = subprocess.run(["bash", str(harness.REPO / "install.sh"), "--uninstall", "--purge-cache"],
                       env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"removed {xdg / 'gomap'}" in r.stdout, r.stdout
    assert not os.path.exists(index_file)
    assert not (xdg / "gomap").exists() and xdg.is_dir()
