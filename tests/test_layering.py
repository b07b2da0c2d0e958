"""The core never imports gdb: every module outside gdb_gomap/gdb imports with gdb absent."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import gdb_gomap

ROOT = Path(__file__).resolve().parent.parent


def core_modules():
    for info in pkgutil.walk_packages(gdb_gomap.__path__, "gdb_gomap."):
        if info.name.startswith("gdb_gomap.gdb") or info.name == "gdb_gomap.gdbinit":
            continue
        yield info.name


def test_core_imports_without_gdb():
    mods = sorted(core_modules())
    assert "gdb_gomap.classic" in mods and "gdb_gomap.swiss" in mods
    code = ("import sys; sys.modules['gdb'] = None\n"
            "import importlib\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "print('imported', len(sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "imported" in r.stdout


def test_gdb_front_end_needs_gdb():
    code = ("import sys; sys.modules['gdb'] = None\n"
            "import gdb_gomap.gdb.commands\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode != 0 and "gdb" in r.stderr
