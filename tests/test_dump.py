"""gomap-dump against the truth of examples/mapstates, on every build of the matrix.

For each build (Go release x GOEXPERIMENT x optimisation) the example is run
two ways: under gdb to a breakpoint at main.checkpoint, and attached with
``gdb -p`` once it printed READY.  One gdb session dumps every map with
``--json --buckets``; each test then compares one map with the program's own
truth (entries as a multiset, header fields, buckets and tophash chains or
tables and control words).
"""

import json
import re

import pytest

from tests import harness, toolchains
from tests.mapcheck import compare

EXAMPLE = harness.REPO / "examples" / "mapstates"

GLOBALS = ["main.GInt", "main.GStr", "main.GBigKey", "main.GBigElem", "main.GKey128",
           "main.GStructKey", "main.GSet", "main.GEmptyStruct", "main.GEmptyMade", "main.GNil",
           "main.GLarge", "main.GTomb", "main.GSmall", "main.GCleared", "main.GRanged",
           "main.GGrowing", "main.GSameSize", "main.GDir", "main.GHuge", "main.GAny",
           "main.GNested", "main.GFloat", "main.GVals", "main.GNamed", "main.GSrv.cache",
           "main.GSrv.shards[0]", "main.GSrv.shards[1]", "main.GSrv.shards[2]"]
LOCALS = {"local:local": "local", "local:localGrown": "localGrown",
          "local:localEmpty": "localEmpty"}
MODES = ("break", "attach")

_runs = {}
_ADDR_SCRIPT = harness.REPO / "tests" / "gdb_dump_locals_by_addr.py"


def _fname(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".json"


def _dump_cmds(names, outdir):
    return [f"gomap-dump {expr} --json --buckets -o {outdir / _fname(key)}"
            for key, expr in names]


def run_build(build, mode, tmp_root):
    """Run the example for ``build`` in ``mode``; return (truth, {map: snapshot}, gdb output)."""
    key = (build, mode)
    if key in _runs:
        return _runs[key]
    binary = toolchains.build_for(EXAMPLE, build)
    out = tmp_root / f"{build.id}-{mode}"
    out.mkdir(parents=True, exist_ok=True)
    truth_path = out / "truth.json"
    globals_ = [(g, g) for g in GLOBALS]
    if mode == "break":
        cmds = ["set startup-with-shell on", "break main.checkpoint",
                f"run {truth_path} > /dev/null", *_dump_cmds(globals_, out),
                "frame function main.stackMaps",
                *_dump_cmds(list(LOCALS.items()), out)]
        # Optimised builds may not say where a local lives at the checkpoint; the
        # same stack map is then dumped by its header address, which the program
        # reports, to check the decode of a map in a frame all the same.
        cmds += [f"python exec(open({str(_ADDR_SCRIPT)!r}).read())", "kill"]
        res = harness.gdb_batch([str(binary)], cmds, timeout=300,
                                env={"GOMAP_TEST_TRUTH": str(truth_path),
                                     "GOMAP_TEST_OUT": str(out)})
        truth = json.loads(truth_path.read_text())
    else:
        with harness.start_example(binary, truth_path) as ex:
            res = harness.gdb_batch(["-p", str(ex.pid)], _dump_cmds(globals_, out), timeout=300)
            truth = ex.truth
    snaps = {}
    for name in GLOBALS + list(LOCALS) + [f"{n}@addr" for n in LOCALS]:
        p = out / _fname(name)
        if p.exists():
            snaps[name] = json.loads(p.read_text())
    _runs[key] = (truth, snaps, res.stdout + res.stderr)
    return _runs[key]


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dumps")


def _cases():
    for b in toolchains.MATRIX:
        for mode in MODES:
            names = GLOBALS + (list(LOCALS) if mode == "break" else [])
            for name in names:
                yield pytest.param(b, mode, name, id=f"{b.id}-{mode}-{name}")


@pytest.mark.parametrize("build,mode,name", list(_cases()))
def test_map_matches_truth(build, mode, name, runs_dir, gdb_path):
    truth, snaps, output = run_build(build, mode, runs_dir)
    assert truth["layout"] == build.layout, "the build does not have the layout under test"
    assert name in truth["maps"], f"the example wrote no truth for {name}"
    snap = snaps.get(name)
    if snap is None and name in LOCALS and not build.noopt:
        # Optimised DWARF may not describe the local at the checkpoint ("optimized
        # out", "No symbol"): the same stack map, dumped by its address, stands in.
        snap = snaps.get(f"{name}@addr")
    if snap is None:
        tail = "\n".join(output.splitlines()[-15:])
        pytest.fail(f"gomap-dump wrote nothing for {name}; gdb said:\n{tail}")
    assert snap["layout"] == build.layout
    assert truth["go_version"].startswith(snap["go_version"])
    problems = compare(truth["maps"][name], snap)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("build", toolchains.MATRIX, ids=lambda b: b.id)
def test_layout_guard(build, runs_dir, gdb_path):
    """The build really has the layout and state the cases rely on."""
    truth, snaps, _ = run_build(build, "break", runs_dir)
    assert truth["layout"] == build.layout
    if build.layout == "classic":
        grow = snaps["main.GGrowing"]
        assert grow["growth"] and grow["growth"]["kind"] == "doubling", grow.get("growth")
        assert grow["growth"]["evacuated"] < grow["growth"]["old_buckets"]
        assert any(c["evacuated"] for c in grow["old_buckets_detail"]) or \
            grow["growth"]["evacuated"] == 0
        ints = snaps["main.GInt"]
        assert ints["stats"]["cells"]["emptyOne"] > 0, "deletes left no emptyOne cells"
        assert "iterator" in snaps["main.GRanged"]["flag_names"]
    else:
        d = snaps["main.GDir"]
        assert any(len(t["directory_slots"]) > 1 for t in d["tables"]), \
            "GDir has no table filling two directory slots"
        assert snaps["main.GTomb"]["stats"]["tombstones"] > 0 or \
            truth["maps"]["main.GTomb"]["len"] == 0
        assert snaps["main.GSmall"]["dirLen"] == 0
        assert snaps["main.GEmptyMade"]["group"] is None
        empty = snaps.get("local:localEmpty") or snaps["local:localEmpty@addr"]
        assert empty["group"] is not None, \
            "a stack map's group should be allocated in the frame even while empty"
        assert snaps["main.GDir"]["split_groups"] == (build.experiment == "mapsplitgroup")
