"""The census's heap walk (gdb_gomap/census/heap.py, walk.py) from package globals,
on a kernel core and on a live process stopped with ptrace, against the truth of
tests/progs/heapwalk: per hiding place (a slice of 1,000 maps, maps as map
values, six pointers deep, two interfaces, a channel ring), the number of maps
and their entries as the program counted them; and heap.object_at against the
byte slices whose size classes the program learnt from append.  Go 1.23.9
(classic) and 1.26.6 (swiss).  Also: a spent budget says what it left out, a
corrupt pointer is skipped and counted, an impossible span count is one error.
"""

import re
import struct
from collections import Counter

import pytest

from tests import corepatch, harness, toolchains
from gdb_gomap.backends.core_file import CoreFile
from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.binary import GoBinary
from gdb_gomap.census import heap as heap_mod
from gdb_gomap.census import walk as walk_mod
from gdb_gomap.census.run import CensusBudget
from gdb_gomap.census.walk import OUT_OTHER, global_roots, walk
from gdb_gomap.resolve import resolve_map
from gdb_gomap.target import Target

PROG = harness.REPO / "tests" / "progs" / "heapwalk"
BUILDS = [b for b in toolchains.MATRIX
          if b.experiment == "" and b.version in ("1.23.9", "1.26.6") and b.opt == "opt"]
# --pid on every release and experiment of the matrix (Go 1.21 to 1.27, both layouts)
ALL = [b for b in toolchains.MATRIX if b.opt == "opt"]
CLOSURE = r"^main\.counter\.seen$"
NO_CLOSURE_DWARF = "closures whose captured variables DWARF does not describe"


def _has_closure_offsets(target):
    """DW_AT_go_closure_offset appeared in Go 1.23."""
    major, minor = (int(x) for x in target.go_version.lstrip("go").split(".")[:2])
    return (major, minor) >= (1, 23)


def _core(build, tmp_path):
    binary = toolchains.build_for(PROG, build)
    core, truth = harness.kernel_core_or_skip(binary, tmp_path, "the heapwalk program")
    return binary, core, truth


def _core_target(binary, core):
    b = GoBinary(str(binary))
    t = Target(b, None)
    t.memory = CoreFile(str(core), b)
    return t


def _check(target, truth):
    """The walk's maps under main.* equal the program's truth, group by group."""
    hp = heap_mod.heap_of(target)
    for o in truth["objects"]:
        base, size = o["addr"], o["size"]
        assert hp.object_at(base) == (base, size), o
        assert hp.object_at(base + size // 2) == (base, size), o
        assert hp.object_at(base + size - 1) == (base, size), o
    if target.map_kind == "classic":     # the grow is really caught midway
        snap = target.dump(*resolve_map(target, "main.growing"))
        assert snap.growth is not None and snap.stats["old_buckets"] == 32, snap.growth
    roots, unread = global_roots(target)
    assert not [u for u in unread if u.what.startswith("main.")], unread
    result = walk(target, roots)
    assert result.stats["budget_hit"] is None and result.stats["left_out"] == 0
    mine = [m for m in result.maps if m.path.startswith("main.")]
    claimed = set()
    for g in truth["groups"]:
        if g["match"] == CLOSURE and not _has_closure_offsets(target):
            # before Go 1.23 DWARF does not place captured variables: counted, said
            assert not [m for m in mine if re.search(CLOSURE, m.pattern)]
            assert result.stats["skipped"][NO_CLOSURE_DWARF] >= 1
            continue
        rx = re.compile(g["match"])
        members = [m for m in mine if rx.search(m.pattern)]
        assert (len(members), sum(m.entries for m in members)) == (g["maps"], g["entries"]), \
            (g, Counter(m.pattern for m in mine))
        claimed.update(id(m) for m in members)
    assert [m.path for m in mine if id(m) not in claimed] == []
    # readable paths: a map value by its key, a slice element by its index
    paths = {m.path for m in mine}
    assert 'main.mapOfMaps["key7"]' in paths
    assert "main.sliceOfMaps[999]" in paths
    # one node per map, the graph well formed, every node reachable from the roots
    g = result.graph
    assert len({m.node for m in result.maps}) == len(result.maps)
    assert len(g.offsets) == g.n + 1 and g.offsets[-1] == len(g.targets)
    assert all(0 <= d < g.n for d in g.targets)
    for m in mine:
        assert g.sizes[m.node] >= m.own_bytes > 0     # at least the header's size class
    return result


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_walk_core(build, tmp_path):
    binary, core, truth = _core(build, tmp_path)
    try:
        target = _core_target(binary, core)
        _check(target, truth)
        target.memory.close()
    finally:
        core.unlink()


@pytest.mark.parametrize("build", ALL, ids=lambda b: b.id)
def test_walk_pid(build):
    binary = toolchains.build_for(PROG, build)
    with harness.start_example(binary) as ex:
        proc = StoppedProcess(ex.pid)
        target = Target(GoBinary(str(binary)), proc)
        with proc:
            _check(target, ex.truth)
        assert ex.alive()


def _walked(result):
    """Everything a walk found, in the order found (its seconds left out)."""
    g = result.graph
    parent, src, dst = g.split
    return ([(m.path, m.pattern, m.type_name, m.header, m.own_bytes, m.entries, m.node,
              m.slots, m.tombstones) for m in result.maps],
            [(n.path, n.pattern, n.type_name) for n in result.nil_maps],
            list(g.sizes), list(g.attached), list(g.types), list(parent), list(src),
            list(dst), {k: v for k, v in result.stats.items() if k != "seconds"})


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_compiled_plans_walk_as_the_plans_read(build, tmp_path, monkeypatch):
    """A type's scan plan made into a function (walk._plan_source) finds what the
    same plan read entry by entry finds: the same maps, paths, nodes, edges and
    counts, in the same order, on the heapwalk core (interfaces, slices, strings,
    map fields, a channel, closures)."""
    binary, core, _ = _core(build, tmp_path)
    made = []
    source = walk_mod._plan_source

    def counted(*args):
        out = source(*args)
        made.append(out is not None)
        return out
    try:
        monkeypatch.setattr(walk_mod, "_plan_source", counted)
        target = _core_target(binary, core)
        compiled = _walked(walk(target, global_roots(target)[0]))
        target.memory.close()
        assert sum(made) > 10, made                 # most plans were compiled
        monkeypatch.setattr(walk_mod, "COMPILED_MAX", -1)   # none is
        made.clear()
        target = _core_target(binary, core)
        read = _walked(walk(target, global_roots(target)[0]))
        target.memory.close()
        assert made and not any(made)
        assert len(compiled[0]) > 1000 and compiled == read
    finally:
        core.unlink()


@pytest.mark.parametrize("build", BUILDS[:1], ids=lambda b: b.id)
def test_walk_budget_and_corruption(build, tmp_path):
    binary, core, truth = _core(build, tmp_path)
    try:
        target = _core_target(binary, core)
        roots, _ = global_roots(target)
        # a spent budget stops the walk and says what it left out
        r = walk(target, roots, budget=CensusBudget(seconds=0))
        assert r.stats["budget_hit"] and r.stats["left_out"] > 0
        assert any("not walked" in u.reason for u in r.unread)
        full = walk(target, roots)
        # a corrupt pointer in the slice's first element: skipped and counted
        addr, _ = target.variable("main.sliceOfMaps")
        data = struct.unpack("<Q", target.memory.read(addr, 8))[0]
        target.memory.close()
        skip = OUT_OTHER
        with corepatch.patched(str(core), {data: struct.pack("<Q", 0xdead0000beef)}):
            t2 = _core_target(binary, core)
            r2 = walk(t2, global_roots(t2)[0])
            t2.memory.close()
        assert len(r2.maps) == len(full.maps) - 1
        assert r2.stats["skipped"][skip] == full.stats["skipped"].get(skip, 0) + 1
        # an impossible span count: one line, no hang
        t3 = _core_target(binary, core)
        mh, mh_t = t3.variable("runtime.mheap_")
        off = mh_t.field("allspans").offset
        t3.memory.close()
        with corepatch.patched(str(core), {mh + off + 8: struct.pack("<Q", 1 << 60)}):
            t4 = _core_target(binary, core)
            with pytest.raises(heap_mod.BadHeap, match="allspans holds"):
                walk(t4, global_roots(t4)[0])
            t4.memory.close()
    finally:
        core.unlink()


class _SpentAt:
    """A time budget that is spent from its ``n``th check on: which check it is
    depends only on where the walk looks at its budget, not on the machine's speed."""

    mb = None

    def __init__(self, n):
        self.n, self.checks = n, 0

    @property
    def seconds(self):
        self.checks += 1
        return 0 if self.checks >= self.n else None


BIG = 100_000


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_budget_inside_one_huge_map(build):
    """The budget is checked inside one map (every 512 reads of its decode, every
    4,096 of its cells), not only between objects: spent at its second check, the
    walk stops inside main.Big, and the output names the map and what was left
    out.  Checked only between objects, the whole map would be walked first."""
    binary = toolchains.build_for(harness.REPO / "tests" / "progs" / "bigmap", build)
    with harness.start_example(binary, args=[BIG]) as ex:
        with StoppedProcess(ex.pid) as mem:
            target = Target(GoBinary(str(binary)), mem)
            roots = [r for r in global_roots(target)[0] if r.label == "main.Big"]
            budget = _SpentAt(2)
            result = walk(target, roots, budget=budget)
    assert ex.truth["len"] == BIG
    assert budget.checks == 2, budget.checks
    assert result.stats["budget_hit"] == "time budget of 0 s spent", result.stats
    big = [u for u in result.unread if u.what == "main.Big"]
    assert len(big) == 1 and "left out (time budget of 0 s spent" in big[0].reason, \
        result.unread
    assert re.search(r"(a map of 100,000 entries|of its 100,000 cells followed)",
                     big[0].reason), big[0].reason
    # the map itself is counted, with its entries from its header
    assert [(m.path, m.entries) for m in result.maps] == [("main.Big", BIG)]
    assert result.stats["objects"] < BIG // 10        # its 100,000 strings were not walked
    assert [u for u in result.unread if u.what == "heap"], result.unread
