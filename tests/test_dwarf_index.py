"""The fast DWARF scanner finds exactly what the pyelftools walk finds, on every
build of the matrix (DWARF 4 and 5, compressed sections)."""

import pytest

from gdb_gomap.binary import GoBinary
from gdb_gomap.dwarf import scan
from gdb_gomap.dwarf.index import DwarfIndex
from gdb_gomap.layout import detect
from gdb_gomap.dwarf.types import TypeTable
from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "mapstates"


@pytest.mark.parametrize("build", [b for b in toolchains.MATRIX if b.opt == "opt"],
                         ids=lambda b: b.id)
def test_fast_scan_equals_pyelftools(build):
    binary = GoBinary(toolchains.build_for(EXAMPLE, build))
    d = binary.dwarf_info()
    slow = DwarfIndex.build_slow(d)
    info = d.debug_info_sec.stream.getvalue()
    abbrev = d.debug_abbrev_sec.stream.getvalue()
    types, variables, rtypes = scan.scan(info, abbrev)
    assert variables == slow.variables
    assert types == slow.types
    assert rtypes == slow.runtime_types
    assert "main.GInt" in variables
    # Every map type in the binary has a layout gomap knows (the check of the members gdb_gomap/fields.py requires).
    table = TypeTable(d, DwarfIndex(types, variables, rtypes))
    layouts = set()
    for name, offs in types.items():
        t = table.get(offs[0])
        if t.kind == "map" and t.target is not None:
            layouts.add(detect(t).kind)
    assert layouts == {build.layout}
