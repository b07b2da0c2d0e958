"""The library's examples run on a real core of a real program and give that
program's map: the README's "As a library" block (read from README.md) and
gdb_gomap/target.py's docstring show real, working API.  gdb_gomap.attach reads a
live process and leaves it running."""

import os
import subprocess
import sys

import pytest

import gdb_gomap
from gdb_gomap import target as target_module
from gdb_gomap.binary import GoBinary
from tests import fuzz_cores as F
from tests import harness


@pytest.fixture(scope="module")
def gcore(request, gdb_path):
    """bigmap's gcore (main.Big: 1000 entries i*7919 -> "value-i"), shared with
    test_hostile_cores."""
    return F.make_bases(request.config.cache.mkdir("gomap-cores"), kernel=False)[0]


def test_docstring_example_runs(gcore):
    """The module docstring's example, with the core and the map of a real program."""
    code = target_module.__doc__.split("::", 1)[1].split("\n\n", 1)[1]
    code = code.split("\nFront ends", 1)[0]
    code = "\n".join(line[4:] for line in code.splitlines())
    code = code.replace('"./server"', repr(str(gcore.binary))) \
        .replace('"./core"', repr(str(gcore.core))).replace('"main.cache"', '"main.Big"')
    code = code.replace("print(", "shown = (")
    scope = {}
    exec(compile(code, "target.py docstring", "exec"), scope)
    snap = scope["snap"]
    assert snap.count == F.ENTRIES and not snap.warnings, snap.warnings
    assert dict(snap.entries) == {i * 7919: f"value-{i}" for i in range(F.ENTRIES)}
    assert scope["shown"][0] == F.ENTRIES


def readme_library_example():
    """The first python block of the README's "As a library" section, as written."""
    text = (harness.REPO / "README.md").read_text()
    section = text.split("\n## As a library\n", 1)[1]
    return section.split("```python\n", 1)[1].split("\n```", 1)[0]


def test_readme_library_example_runs(gcore, capsys):
    """The README's library example, on a real core, with main.Big for main.cache."""
    code = readme_library_example()
    code = code.replace('"./server"', repr(str(gcore.binary))) \
        .replace('"core.1234"', repr(str(gcore.core))).replace('"main.cache"', '"main.Big"')
    scope = {}
    exec(compile(code, "README.md (As a library)", "exec"), scope)
    snap, doc = scope["snap"], scope["doc"]
    want = {i * 7919: f"value-{i}" for i in range(F.ENTRIES)}
    assert snap.count == F.ENTRIES and not snap.warnings, snap.warnings
    assert dict(snap.entries) == want
    assert doc["schema"] == "gomap-snapshot/2" and doc["count"] == F.ENTRIES
    assert {e["key"]: e["value"] for e in doc["entries"]} == want
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] == GoBinary(str(gcore.binary)).go_version
    assert f"main.Big map[int64]string {F.ENTRIES}" in out


def test_attach_reads_and_leaves_the_process_running(gcore):
    with harness.start_example(gcore.binary, args=[F.ENTRIES]) as ex:
        with gdb_gomap.attach(ex.pid) as prog:
            snap = prog.dump("main.Big", sort=True)
            assert harness.tracer_pid(ex.pid) == 0, "stopped between calls"
            with prog.stopped():
                assert harness.tracer_pid(ex.pid) == os.getpid()
                found = {m.expr: m.snapshot.count for m in prog.maps() if m.snapshot}
            assert prog.info == {"executable": os.path.realpath(gcore.binary), "pid": ex.pid}
        assert [k for k, _ in snap.entries] == sorted(i * 7919 for i in range(F.ENTRIES))
        assert found["main.Big"] == F.ENTRIES
        assert ex.alive() and harness.tracer_pid(ex.pid) == 0


def test_import_is_cheap():
    """``import gdb_gomap`` loads neither gdb, pyelftools nor the decoders; the entry
    points load on first use."""
    code = ("import sys, gdb_gomap; before = set(sys.modules); gdb_gomap.open_core; "
            "print(sorted(m for m in ('gdb', 'elftools', 'gdb_gomap.api') if m in before), "
            "'gdb_gomap.api' in sys.modules, 'gdb' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=harness.REPO, timeout=60)
    assert r.stdout.split() == ["[]", "True", "False"], (r.stdout, r.stderr)
