"""Post-mortem (issue 4): the same map from gdb-live, gdb-core, gomap --core and
gomap --pid, equal to each other and to the program's truth; gomap list/report;
kernel cores; and bad input answered with one line."""

import json
import os
import subprocess

import pytest

from tests import harness, toolchains
from tests.mapcheck import compare
from tests.test_dump import GLOBALS, _dump_cmds, _fname

EXAMPLE = harness.REPO / "examples" / "mapstates"
# The CLI is a separate process per call: a representative subset of the maps.
CLI_MAPS = ["main.GInt", "main.GStr", "main.GBigKey", "main.GGrowing", "main.GDir",
            "main.GVals", "main.GSrv.shards[1]", "main.GNil"]


def gomap(*args, timeout=300):
    return harness.gomap(*args, timeout=timeout)


def _load_dir(d, names):
    return {n: json.loads((d / _fname(n)).read_text()) for n in names
            if (d / _fname(n)).exists()}


@pytest.mark.parametrize("build", toolchains.MATRIX, ids=lambda b: b.id)
def test_same_json_from_every_source(build, tmp_path, gdb_path):
    binary = toolchains.build_for(EXAMPLE, build)
    live_dir, core_dir = tmp_path / "live", tmp_path / "core"
    live_dir.mkdir()
    core_dir.mkdir()
    core = tmp_path / "example.core"
    globals_ = [(g, g) for g in GLOBALS]
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        harness.gdb_batch(["-p", str(ex.pid)],
                          _dump_cmds(globals_, live_dir) + [f"gcore {core}"], timeout=300)
        pid_json = {}
        for name in CLI_MAPS:
            r = gomap("dump", "--pid", ex.pid, name, "--json", "--buckets")
            assert r.returncode == 0, r.stderr
            pid_json[name] = json.loads(r.stdout)
        assert ex.alive(), "the example did not survive gomap --pid"
        truth = ex.truth
    try:
        assert core.exists(), "gdb wrote no core"
        harness.gdb_batch([str(binary), str(core)], _dump_cmds(globals_, core_dir), timeout=300)
        live = _load_dir(live_dir, GLOBALS)
        from_core = _load_dir(core_dir, GLOBALS)
        assert sorted(live) == sorted(GLOBALS), "gdb-live missed maps"
        for name in GLOBALS:
            assert from_core.get(name) == live[name], f"gdb-core differs from live for {name}"
            problems = compare(truth["maps"][name], from_core[name])
            assert not problems, f"{name}: " + "\n".join(problems)
        for name in CLI_MAPS:
            r = gomap("dump", "--core", core, "--exe", binary, name, "--json", "--buckets")
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout) == live[name], f"gomap --core differs for {name}"
            assert pid_json[name] == live[name], f"gomap --pid differs for {name}"
        r = gomap("report", "--globals", "--core", core, "--exe", binary, "--json")
        assert r.returncode == 0, r.stderr
        rep = json.loads(r.stdout)
        assert rep["go_version"] == live["main.GInt"]["go_version"]
        assert rep["layout"] == build.layout
        rows = {row["expr"]: row for row in rep["maps"]}
        for name in GLOBALS:
            assert rows[name]["count"] == truth["maps"][name]["len"], name
        r = gomap("report", "--globals", "--core", core, "--exe", binary)
        assert r.returncode == 0 and "| `main.GHuge` |" in r.stdout, r.stderr
    finally:
        core.unlink(missing_ok=True)


KERNEL_BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
                 and b.version in ("1.23.9", "1.26.6")]


@pytest.mark.parametrize("build", KERNEL_BUILDS, ids=lambda b: b.id)
def test_kernel_core(build, tmp_path, gdb_path):
    binary = toolchains.build_for(EXAMPLE, build)
    core, truth = harness.kernel_core_or_skip(binary, tmp_path, "the example")
    try:
        for name in CLI_MAPS:
            r = gomap("dump", "--core", core, "--exe", binary, name, "--json")
            assert r.returncode == 0, r.stderr
            problems = _compare_entries(truth["maps"][name], json.loads(r.stdout))
            assert not problems, f"{name}: " + "\n".join(problems)
    finally:
        core.unlink()


def _compare_entries(truth, snap):
    """Entries, count and header (the kernel core was not dumped with --buckets)."""
    t = dict(truth)
    t.pop("buckets_detail", None)
    t.pop("old_buckets", None)
    if snap.get("layout") == "swiss":
        t = {k: v for k, v in t.items() if k not in ("group_ctrl",)}
        t["tables"] = [{k: v for k, v in tt.items() if k != "ctrl"} for tt in t.get("tables", [])]
    return compare(t, snap)


# --- bad input -------------------------------------------------------------------

SWISS = next(b for b in toolchains.MATRIX if b.version == "1.26.6" and b.opt == "opt")
CLASSIC = next(b for b in toolchains.MATRIX if b.version == "1.23.9" and b.opt == "opt")


def _one_line(r):
    err = r.stderr.strip()
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def swiss_core(tmp_path_factory, gdb_path):
    d = tmp_path_factory.mktemp("badinput")
    binary = toolchains.build_for(EXAMPLE, SWISS)
    core = d / "swiss.core"
    with harness.start_example(binary, d / "truth.json") as ex:
        harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {core}"], timeout=300)
    yield binary, core
    core.unlink(missing_ok=True)


def test_core_of_another_binary_warns(swiss_core):
    _, core = swiss_core
    other = toolchains.build_for(EXAMPLE, CLASSIC)
    r = gomap("dump", "--core", core, "--exe", other, "main.GInt")
    assert "build IDs differ" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_truncated_core(swiss_core, tmp_path):
    binary, core = swiss_core
    cut = tmp_path / "cut.core"
    with open(core, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(os.path.getsize(core) // 8))
    r = gomap("dump", "--core", cut, "--exe", binary, "main.GHuge")
    assert "Traceback" not in r.stderr
    assert "truncated" in r.stdout + r.stderr


def test_not_a_core(swiss_core):
    binary, _ = swiss_core
    line = _one_line(gomap("dump", "--core", binary, "--exe", binary, "main.GInt"))
    assert "not a core file" in line


def test_expression_names_nothing(swiss_core):
    binary, core = swiss_core
    line = _one_line(gomap("dump", "--core", core, "--exe", binary, "main.NoSuch"))
    assert "main.NoSuch" in line
    line = _one_line(gomap("dump", "--core", core, "--exe", binary, "main.GSrv.nofield"))
    assert "nofield" in line
    line = _one_line(gomap("dump", "--core", core, "--exe", binary, "main.GSrv"))
    assert "not a Go map" in line


def test_executable_without_dwarf(tmp_path, swiss_core):
    _, core = swiss_core
    go = toolchains.go_binary(SWISS.version)
    out = tmp_path / "nodwarf"
    subprocess.run([str(go), "build", "-ldflags=-w", "-o", str(out), "."], cwd=EXAMPLE,
                   env=toolchains.go_env(SWISS.version), check=True, capture_output=True)
    line = _one_line(gomap("dump", "--core", core, "--exe", out, "main.GInt"))
    assert "no DWARF" in line
    line = _one_line(gomap("dump", "--core", core, "--exe", "/bin/true", "main.GInt"))
    assert "not a Go program" in line


def test_pid_gone(tmp_path):
    p = subprocess.Popen(["true"])
    p.wait()
    line = _one_line(gomap("dump", "--pid", p.pid, "main.GInt"))
    assert f"process {p.pid} is gone" in line


def test_ptrace_refused(tmp_path, gdb_path):
    binary = toolchains.build_for(EXAMPLE, SWISS)
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        with harness.gdb_session(ex.pid):       # gdb holds the process: ptrace says no
            line = _one_line(gomap("dump", "--pid", ex.pid, "main.GInt"))
        assert "not permitted to attach" in line and "gdb" in line and "detach it" in line
        assert ex.alive()
