"""The census's fast paths give what the full decoder gives, on real maps.

census/smallmap.py against ``Target.dump`` on every map of tests/progs/smallmaps
(live, stopped with ptrace): maps of one bucket or group empty, full, with
deleted cells, with string keys and values, with pointer values, with keys or
elems stored indirectly, made with a size hint; the same count (and the
program's own len), the same bytes held and the same live cells in the same
order; and no fast path for a map past one bucket or group, nor for a classic
map caught mid-grow.  Classic (1.23.9), swiss (1.26.6) and swiss with split
groups (1.27.3 GOEXPERIMENT=mapsplitgroup).

Then the whole census of tests/progs/census (100,000 maps in a slice, maps in
maps, interfaces, channels, closures, 1,000 goroutines) with every fast path
(small maps, string columns, the span page table, marks in an array) and with
none: the same ``gomap-census/1`` JSON, byte for byte.
"""

import json

import pytest

from tests import harness, toolchains
from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.binary import GoBinary
from gdb_gomap.census import heap as heap_mod
from gdb_gomap.census import run as census_run
from gdb_gomap.census import smallmap
from gdb_gomap.census import walk as walk_mod
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.render import census as census_view
from gdb_gomap.slab import Scanner
from gdb_gomap.target import Target

PROG = harness.REPO / "tests" / "progs" / "smallmaps"
CENSUS = harness.REPO / "tests" / "progs" / "census"
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and (b.version, b.experiment) in
          (("1.23.9", ""), ("1.26.6", ""), ("1.27.3", "mapsplitgroup"))]
NOT_SMALL = ("main.Grown", "main.Growing")


def _maps(target, truth):
    """(name, map GoType, header address, len from the truth) of every map of the program."""
    mem = target.memory
    for name, n in truth["maps"].items():
        addr, t = target.variable(name)
        yield name, t, int.from_bytes(mem.read(addr, 8), "little"), n
    for name, lens in truth["slices"].items():
        addr, t = target.variable(name)
        hdr = mem.read(addr, 24)
        data, n = int.from_bytes(hdr[:8], "little"), int.from_bytes(hdr[8:16], "little")
        assert n == len(lens)
        ptrs = mem.read(data, 8 * n)
        for i in range(n):
            yield f"{name}[{i}]", t.elem, int.from_bytes(ptrs[8 * i:8 * i + 8], "little"), \
                lens[i]


def _raw(col, which):
    """A Collected column as the fast path gives it: a 'str' column's (pointer,
    length) pairs as the 16 bytes of each string header."""
    cells = col.keys if which == "k" else col.vals
    if (col.kkind if which == "k" else col.vkind) != "str":
        return list(cells)
    lens = col.klens if which == "k" else col.vlens
    return [p.to_bytes(8, "little") + n.to_bytes(8, "little") for p, n in zip(cells, lens)]


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_small_maps_equal_the_full_decoder(build):
    exe = toolchains.build_for(PROG, build)
    with harness.start_example(exe) as ex:
        with StoppedProcess(ex.pid) as mem:
            target = Target(GoBinary(str(exe)), mem)
            assert target.map_kind == build.layout
            fast = smallmap.SmallMaps(mem, target.limits)
            taken = declined = 0
            for name, t, h, n in _maps(target, ex.truth):
                if not h:
                    assert n == 0, name
                    continue
                lay = target.layout(t)
                snap = target.dump(t, h, DumpOptions(cells=True, sort=False))
                assert snap.count == n, name
                got = fast.decode(lay, h, True)
                if name in NOT_SMALL:
                    assert got is None, name
                    if name == "main.Growing" and build.layout == "classic":
                        assert snap.growth is not None     # caught mid-grow
                    declined += 1
                    continue
                assert got is not None, name
                count, own, col, slots, tombstones = got
                assert (count, own) == (snap.count, snap.stats["bytes"]["total"]), name
                assert (slots, tombstones) == walk_mod.cell_counts(snap.stats), name
                assert col.count == snap.cells.count == n, name
                assert col.keys == _raw(snap.cells, "k"), name
                assert col.vals == _raw(snap.cells, "v"), name
                # without cells wanted: the same count and bytes, no cells
                assert fast.decode(lay, h, False) == (count, own, None, slots, tombstones), name
                taken += 1
    assert declined == len(NOT_SMALL)
    assert taken == 2 + sum(len(v) for v in ex.truth["slices"].values())


def _census_json(target, threads):
    c = census_run.run(target, threads=threads)
    info = {"executable": "x", "core": None, "pid": 1, "go_version": target.go_version,
            "layout": target.map_kind}
    return json.dumps(census_view.census_json(c, info, expand="*"))


@pytest.mark.parametrize("build", [b for b in BUILDS if b.experiment == ""],
                         ids=lambda b: b.id)
def test_census_json_is_the_same_without_fast_paths(build, monkeypatch):
    exe = toolchains.build_for(CENSUS, build)
    with harness.start_example(exe) as ex:
        with StoppedProcess(ex.pid) as mem:
            fast = _census_json(Target(GoBinary(str(exe)), mem), mem.thread_registers())
            monkeypatch.setattr(smallmap.SmallMaps, "decode", lambda *a: None)
            monkeypatch.setattr(Scanner, "cell_kinds", lambda self: ("raw", "raw"))
            monkeypatch.setattr(heap_mod, "MAX_PAGE_TABLE", 0)     # bisection
            monkeypatch.setattr(walk_mod, "MAX_ARRAY_MARKS", 0)    # marks in a dict
            monkeypatch.setattr(walk_mod, "COMPILED_MAX", -1)      # plans read entry by entry
            slow_target = Target(GoBinary(str(exe)), mem)
            slow = _census_json(slow_target, mem.thread_registers())
            assert heap_mod.heap_of(slow_target).pages is None
    doc = json.loads(fast)
    assert doc["walk"]["maps"] >= 100_000
    assert fast == slow
