"""The text view of a swiss map with more tables than it lists (issue 17): by
default a fill histogram, the fullest and the emptiest table and the tombstones;
``--tables`` lists every table.  Against tests/progs/manytables, which reads its
own map's directory with unsafe and writes each table's used and capacity."""

import re

import pytest

from gdb_gomap.render.text import FILL_BINS, TABLE_LINES
from tests import harness, toolchains

PROG = harness.REPO / "tests" / "progs" / "manytables"
SWISS = [b for b in toolchains.MATRIX if b.layout == "swiss" and b.opt == "opt"]
N = 120_000     # about 200 tables: more than TABLE_LINES
TABLE = re.compile(r"^  (?:table|fullest|emptiest)\s+(?:table )?(\d+)\s+(0x[0-9a-f]+) .* used (\d+) "
                   r"capacity (\d+) growthLeft (\d+)", re.M)


def _ok(r):
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stdout, r.stdout
    return r.stdout


@pytest.mark.parametrize("build", SWISS, ids=lambda b: b.id)
def test_many_tables_summarized_and_listed(build, gdb_path):
    binary = toolchains.build_for(PROG, build)
    with harness.start_example(binary, args=[N]) as ex:
        truth = ex.truth["tables"]
        assert len(truth) > TABLE_LINES, "the program made too few tables for the test"
        fills = [t["used"] / t["capacity"] for t in truth]

        out = _ok(harness.gomap("dump", "--pid", ex.pid, "main.Many"))
        assert f"  tables     {len(truth):,} (more than {TABLE_LINES}" in out, out
        assert not re.search(r"^  table \d", out, re.M), "table lines without --tables"
        bins = [0] * FILL_BINS
        for f in fills:
            bins[min(int(f * FILL_BINS), FILL_BINS - 1)] += 1
        shown = [int(n.replace(",", "")) for n in
                 re.findall(r"^ +\d+-\d+ *% +([\d,]+)", out, re.M)]
        assert shown == bins, (shown, bins)
        rows = {m.group(0).split()[0]: m.groups() for m in TABLE.finditer(out)}
        for name, want in (("fullest", fills.index(max(fills))),
                           ("emptiest", fills.index(min(fills)))):
            i, addr, used, cap, left = rows[name]
            t = truth[want]
            assert (int(i), addr, int(used), int(cap), int(left)) == \
                (want, t["address"], t["used"], t["capacity"], t["growthLeft"]), name
        tomb = sum(t["capacity"] * 7 // 8 - t["used"] - t["growthLeft"] for t in truth)
        assert re.search(rf"^  tombstones {tomb:,} in ", out, re.M), out

        def listed(out):
            return [(int(i), a, int(u), int(c), int(g)) for i, a, u, c, g in TABLE.findall(out)]

        want = [(i, t["address"], t["used"], t["capacity"], t["growthLeft"])
                for i, t in enumerate(truth)]
        assert listed(_ok(harness.gomap("dump", "--pid", ex.pid, "main.Many", "--tables"))) \
            == want
        # the same option in gdb
        r = harness.gdb_batch(["-p", ex.pid], ["gomap dump main.Many --tables",
                                               "gomap dump main.Many"])
        assert r.returncode == 0, r.stderr
        both = r.stdout.split("map[int64]int64 at ")
        assert listed(both[1]) == want
        assert f"  tables     {len(truth):,} (more than" in both[2]
        assert ex.alive()
