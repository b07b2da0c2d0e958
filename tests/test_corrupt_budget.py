"""Forged maps in real cores cost bounded time and memory (issue 12, item 3).

``tests/progs/corrupt`` holds a real map (main.M) and 96 MiB of zeroed heap.
Each case takes a gcore of it and forges, in place, a header, a swiss
directory with its tables, or a classic bucket array over that heap; then it
runs the ``gomap`` CLI on the core and checks that the answer is a snapshot
with warnings that name the forgery, that the child's peak memory stays under
300 MB, and that the real map, unforged, still decodes whole and equal to the
program's own entries.  Time is not asserted (only a hang guard): the
benchmark prints it.
"""

import json
import subprocess
import sys
import time

import pytest

from gdb_gomap.binary import GoBinary
from gdb_gomap.target import Target
from tests import harness, toolchains
from tests.corepatch import patched, pointers, struct_bytes

PROG = harness.REPO / "tests" / "progs" / "corrupt"
PEAK_MB = 300

class Forge:
    """A core of the corrupt program with what a case needs to forge it."""

    def __init__(self, exe, core, truth):
        self.exe, self.core, self.truth = exe, core, truth
        target = Target(GoBinary(exe), None)
        self.L = target.layout(target.map_type("map[int64]int64"))
        self.header, self.scratch = truth["header"], truth["scratch"]

    def gomap(self, *args, writes=None):
        """(returncode, stdout, stderr lines, peak MB, seconds) of ``gomap dump`` on
        the core with ``writes`` forged into it."""
        argv = harness.peak_argv([sys.executable, "-m", "gdb_gomap.cli.main", "dump",
                                  "--core", self.core, "--exe", self.exe, "main.M", *args])
        with patched(self.core, writes or {}):
            t = time.perf_counter()
            r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                               cwd=harness.REPO, stdin=subprocess.DEVNULL)
            secs = time.perf_counter() - t
        err, peak_kb = harness.split_peak(r.stderr)
        return r.returncode, r.stdout, [e for e in err.splitlines() if e], peak_kb // 1024, secs

    def snapshot(self, *args, writes=None):
        rc, out, err, peak, _ = self.gomap("--json", *args, writes=writes)
        assert rc == 0 and not err, err
        assert peak <= PEAK_MB, f"peak {peak} MB"
        return json.loads(out)

    def swiss(self, ntables, ngroups, share=False, used=20000, table_used=1024):
        """A directory of ``ntables`` distinct tables of ``ngroups`` groups each, over
        the zeroed heap (whose control bytes read as full), in the scratch memory."""
        L = self.L
        depth = ntables.bit_length() - 1
        tables = self.scratch + 8 * ntables
        groups = (tables + L.table.size * ntables + 4095) // 4096 * 4096
        goff = L.table.fields["groups"][0]
        forged = bytearray()
        for i in range(ntables):
            t = bytearray(struct_bytes(L.table, {
                "used": table_used, "capacity": min(8 * ngroups, 0xFFFF),
                "localDepth": depth, "index": i}))
            ref = struct_bytes(L.groupref, {
                "data": groups if share else groups + i * ngroups * L.group_size,
                "lengthMask": ngroups - 1})
            t[goff:goff + len(ref)] = ref
            forged += t
        return {self.header: struct_bytes(L.header, {
                    "used": used, "dirPtr": self.scratch, "dirLen": ntables,
                    "globalDepth": depth, "globalShift": 64 - depth}),
                self.scratch: pointers([tables + L.table.size * i for i in range(ntables)]),
                tables: bytes(forged)}

    def classic(self, B, count):
        """2^B buckets over the scratch memory, every tophash live."""
        L = self.L
        n = min(1 << B, self.truth["scratch_len"] // L.bucket_size)
        buckets = bytearray(n * L.bucket_size)
        for i in range(n):
            o = i * L.bucket_size + L.tophash_off
            buckets[o:o + 8] = b"\x07" * 8
        return {self.header: struct_bytes(L.header, {"count": count, "B": B,
                                                     "buckets": self.scratch}),
                self.scratch: bytes(buckets)}


def make_forge(d, version):
    """A Forge over a gcore, written into the folder ``d``, of the corrupt program
    built with Go ``version``."""
    binary = toolchains.build_example(PROG, version)
    core = d / "corrupt.core"
    with harness.start_example(binary, d / "truth.json") as ex:
        harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {core}"], timeout=300)
        truth = ex.truth
    return Forge(binary, core, truth)


def _forge_fixture(tmp_path_factory, version, kind):
    f = make_forge(tmp_path_factory.mktemp(f"corrupt-{kind}"), version)
    assert f.L.kind == kind
    yield f
    f.core.unlink()


@pytest.fixture(scope="module")
def swiss(tmp_path_factory, gdb_path):
    yield from _forge_fixture(tmp_path_factory, "1.26.6", "swiss")


@pytest.fixture(scope="module")
def classic(tmp_path_factory, gdb_path):
    yield from _forge_fixture(tmp_path_factory, "1.23.9", "classic")


def _entries(snap):
    return sorted((e["key"], e["value"]) for e in snap["entries"])


@pytest.mark.parametrize("layout", ["swiss", "classic"])
def test_real_map_is_whole(layout, request):
    """Unforged, the same core decodes main.M whole: the budget never cuts a map
    that looks consistent."""
    f = request.getfixturevalue(layout)
    snap = f.snapshot("--budget-seconds", "0.001", "--budget-mb", "1")
    assert snap["warnings"] == []
    assert snap["count"] == f.truth["len"] and snap["entries_complete"]
    assert _entries(snap) == sorted(map(tuple, f.truth["entries"]))


def test_tables_larger_than_the_runtime_makes(swiss):
    """The reviewer's forgery: 160 tables of 8,192 groups over zeroed memory."""
    snap = swiss.snapshot(writes=swiss.swiss(160, 8192))
    w = snap["warnings"]
    assert any("capacity 65535 is not a power of two from 8 to 1024 (corrupt?); "
               "not walked" in x for x in w), w
    assert any(x.startswith("... and 157 more: implausible tables not walked") for x in w), w
    assert snap["entries"] == [] and snap["tables"] == []


def test_a_million_tables_stop_at_the_budget(swiss):
    """2^20 forged tables (as many as --max-tables allows): the walk stops when the
    budget is spent and says where; a larger budget gets further."""
    writes = swiss.swiss(1 << 20, 8192)
    rc, out, err, peak, _ = swiss.gomap("--budget-seconds", "0.5", writes=writes)
    assert rc == 0 and not err and peak <= PEAK_MB, (rc, err, peak)
    stop = [x for x in out.splitlines() if "decode stopped after" in x]
    assert len(stop) == 1 and "(--budget-seconds 0.5) at table " in stop[0], out[-2000:]
    assert "the map looks corrupt (implausible tables not walked)" in stop[0]
    snap = swiss.snapshot(writes=writes)   # the defaults also answer within bounds
    assert any("decode stopped after" in x for x in snap["warnings"]) or \
        any("... and 1048573 more: implausible tables not walked" == x for x in snap["warnings"])


def test_plausible_tables_over_zeroed_memory(swiss):
    """4,096 tables of 1,024 slots that look like the runtime's, over zeroed memory
    that reads as full slots: entries kept stay near the header's used."""
    snap = swiss.snapshot(writes=swiss.swiss(4096, 128, used=20000, table_used=1024))
    w = snap["warnings"]
    assert len(snap["entries"]) <= 20000 + 64 + 20000 // 64
    assert not snap["entries_complete"]
    assert any("full slots are kept (no more than used allows" in x for x in w), w
    assert any(x.startswith("MISMATCH: tables' used add up to") for x in w), w


def test_tables_sharing_their_groups(swiss):
    """65,536 tables whose groups are one array: it is walked once."""
    snap = swiss.snapshot(writes=swiss.swiss(1 << 16, 128, share=True))
    w = snap["warnings"]
    assert any("overlap another table's (corrupt?); not walked" in x for x in w), w
    assert len(snap["tables"]) == 1 << 16
    assert sum(t["full"] for t in snap["tables"]) == 1024


@pytest.mark.parametrize("view", [[], ["--buckets"]])
def test_classic_buckets_all_live(classic, view):
    """2^19 forged buckets whose cells all read live, with count 10: the cells kept
    stay near count, and the --buckets detail stops growing once the map looks
    corrupt."""
    snap = classic.snapshot(*view, writes=classic.classic(19, 10))
    w = snap["warnings"]
    assert len(snap["entries"]) <= 10 + 64
    assert any("live cells are kept (no more than count allows" in x for x in w), w
    if view:
        assert any("more buckets was not kept: the map looks corrupt" in x for x in w), w
        kept = sum(len(c["chain"]) for c in snap["buckets_detail"])
        assert kept <= 4096 + 1024 + 1, kept


def test_in_gdb(swiss, gdb_path):
    """gdb on a forged core answers with the warning and returns to its prompt."""
    with patched(swiss.core, swiss.swiss(1 << 20, 8192)):
        r = harness.gdb_batch([str(swiss.exe), str(swiss.core)],
                              ["gomap-dump main.M --budget-seconds 0.5", "print 6*7"],
                              timeout=120)
    text = r.stdout + r.stderr
    assert "decode stopped after" in text and "(--budget-seconds 0.5)" in text, text[-2000:]
    assert "$1 = 42" in text
