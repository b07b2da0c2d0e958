"""The census's cell counts against the program's own: for every global map of
examples/mapstates (small, grown, mid-grow, with a directory, with tombstones,
emptied), the census's ``slots`` (cells the storage has room for) and
``tombstones`` (deleted cells) equal what the program reads from the runtime's
own structures: control words of every table (swiss) or tophash arrays of
every bucket chain, old buckets included (classic).  These feed the dead share
the report page colours by."""

import json

import pytest

from tests import harness, toolchains
from tests.test_dump import EXAMPLE, GLOBALS

BUILDS = [b for b in toolchains.MATRIX if b.id in
          ("go1.22.10-opt", "go1.25.5-noswissmap-noopt", "go1.24.11-opt", "go1.27.3-noopt",
           "go1.27.3-mapsplitgroup-opt")]

CTRL_DELETED = 0xFE
EMPTY_ONE = 1


def truth_cells(t):
    """(slots, tombstones) from one map's truth, or None when the program did not
    list its cells (a classic map of more than 4,096 buckets)."""
    if t["nil"]:
        return 0, 0
    if "tables" in t:                                   # swiss
        words = [int(w) for tab in t["tables"] for w in tab["ctrl"]]
        if not t["tables"] and t.get("group_ctrl") is not None:
            words = [int(t["group_ctrl"])]
        tags = [(w >> (8 * i)) & 0xFF for w in words for i in range(8)]
        return len(tags), tags.count(CTRL_DELETED)
    if "buckets_detail" not in t:
        return None
    chains = [b["chain"] for b in t["buckets_detail"]] + \
             [b["chain"] for b in t.get("old_buckets", [])]
    tops = [th for chain in chains for bucket in chain for th in bucket["tophash"]]
    return len(tops), tops.count(EMPTY_ONE)


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_census_cells_equal_the_truth(build):
    binary = toolchains.build_for(EXAMPLE, build)
    with harness.start_example(binary) as ex:
        r = harness.gomap("census", "--pid", ex.pid, "--json", "--expand", "main.G*",
                          timeout=600)
        truth = ex.truth
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    members = {m["path"]: m for g in doc["groups"] for m in g.get("members", ())}
    problems, checked, tombs = [], 0, 0
    for name in GLOBALS:
        t = truth["maps"][name]
        want = truth_cells(t)
        if want is None or t["nil"]:
            continue
        m = members.get(name)
        if m is None:
            problems.append(f"{name}: not in the census")
            continue
        if (m["slots"], m["tombstones"]) != want:
            problems.append(f"{name}: census slots/tombstones {(m['slots'], m['tombstones'])}"
                            f", truth {want}")
        checked += 1
        tombs += want[1]
    assert not problems, "\n".join(problems)
    # a group's cells are its members'
    for g in doc["groups"]:
        if "members" in g:
            assert g["slots"] == sum(m["slots"] for m in g["members"]), g["pattern"]
            assert g["tombstones"] == sum(m["tombstones"] for m in g["members"]), g["pattern"]
    assert checked >= 10 and tombs > 0, (checked, tombs)     # some maps do hold tombstones
    # the groups' exclusive bytes share out the maps' retained bytes exactly
    assert sum(g["exclusive"] for g in doc["groups"]) == doc["walk"]["maps_retained"]
    assert all(0 <= g["exclusive"] <= g["retained"] for g in doc["groups"])
