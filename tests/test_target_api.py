"""The example in gdb_gomap/target.py's docstring runs, on a real core of a real
program, and gives that program's map: the docstring shows real, working API."""

import pytest

from gdb_gomap import target as target_module
from tests import fuzz_cores as F


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
