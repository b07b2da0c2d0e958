"""Cores of other machines, read on this one (issue 19): examples/mapstates built for
arm64, 32-bit arm and big-endian s390x with two Go releases per map layout, run
under qemu-user to READY and cored, then read by gdb-multiarch with gomap loaded,
by the gomap CLI and by the census; one live qemu target per machine through
gdb-multiarch's remote protocol.  The truth is the program's own (its offsets
come from mirror structs, right on every GOARCH)."""

import json
import subprocess
from collections import Counter

import pytest

from tests import fuzz_decoders as F
from tests import harness, toolchains
from tests.mapcheck import canon, compare, truth_entries
from tests.test_dump import GLOBALS, _dump_cmds, _fname
from tests.test_postmortem import CLI_MAPS

EXAMPLE = harness.REPO / "examples" / "mapstates"

# (GOARCH, Go release, GOEXPERIMENT, layout): two releases per layout per machine.
BUILDS = [
    ("arm64", "1.23.9", "", "classic"),
    ("arm64", "1.25.5", "noswissmap", "classic"),
    ("arm64", "1.26.6", "", "swiss"),
    ("arm64", "1.27.3", "mapsplitgroup", "swiss"),
    ("arm", "1.22.10", "", "classic"),
    ("arm", "1.24.11", "noswissmap", "classic"),
    ("arm", "1.25.5", "", "swiss"),
    ("arm", "1.27.3", "", "swiss"),
    ("s390x", "1.21.13", "", "classic"),
    ("s390x", "1.23.9", "", "classic"),
    ("s390x", "1.24.11", "", "swiss"),
    ("s390x", "1.26.6", "", "swiss"),
]
# What each machine proves: the words' size and order.
MACHINE = {"arm64": "ELF64 little-endian", "arm": "ELF32 little-endian",
           "s390x": "ELF64 big-endian"}
STACK_LOCALS = ("local", "localGrown", "localEmpty")


def _id(b):
    return "-".join(p for p in (b[0], "go" + b[1], b[2]) if p)


_cores = {}


def _core(build, tmp_path_factory):
    """(binary, core, truth) of one build, made once per test session."""
    goarch = build[0]
    problem = harness.qemu_problem(goarch)
    if problem:
        pytest.skip(problem)
    if build not in _cores:
        binary = toolchains.build_example(EXAMPLE, build[1], build[2], goarch=goarch)
        core, truth = harness.qemu_core(binary, goarch, tmp_path_factory.mktemp(_id(build)))
        assert truth["layout"] == build[3], "the build is not of the layout it should be"
        _cores[build] = binary, core, truth
    return _cores[build]


@pytest.fixture(params=BUILDS, ids=_id)
def arch_core(request, tmp_path_factory):
    return (request.param,) + _core(request.param, tmp_path_factory)


def _problems(truth, docs, names):
    out = []
    for name in names:
        if name not in docs:
            out.append(f"{name}: no snapshot")
            continue
        out += [f"{name}: {p}" for p in compare(truth["maps"][name], docs[name])]
    return out


def test_gdb_multiarch_reads_every_global_of_the_core(arch_core, tmp_path):
    build, binary, core, truth = arch_core
    texts = tmp_path / "text"
    texts.mkdir()
    # the text view too: it decodes entries through the scanner's column fast paths
    cmds = _dump_cmds([(g, g) for g in GLOBALS], tmp_path) + \
        [f"gomap-dump {g} -o {texts / _fname(g)}" for g in GLOBALS]
    r = harness.gdb_batch([binary, core], cmds, timeout=600, gdb="gdb-multiarch")
    missing = [g for g in GLOBALS if not (texts / _fname(g)).exists()]
    assert not missing, f"no text view of {missing}:\n{r.stderr[-3000:]}"
    docs = {g: json.loads((tmp_path / _fname(g)).read_text()) for g in GLOBALS
            if (tmp_path / _fname(g)).exists()}
    problems = _problems(truth, docs, GLOBALS)
    assert not problems, "\n".join(problems) + "\n" + r.stderr[-2000:]
    assert all(d["layout"] == build[3] and d["go_version"].startswith(f"go{build[1]}")
               for d in docs.values())


def test_cli_reads_the_core(arch_core):
    build, binary, core, truth = arch_core
    docs = {}
    for name in CLI_MAPS:
        r = harness.gomap("dump", "--core", core, "--exe", binary, name, "--json", "--buckets")
        assert r.returncode == 0, r.stderr
        docs[name] = json.loads(r.stdout)
    problems = _problems(truth, docs, CLI_MAPS)
    assert not problems, "\n".join(problems)
    r = harness.gomap("list", "--core", core, "--exe", binary)
    assert r.returncode == 0, r.stderr
    rows = {line.split()[3]: int(line.split()[1].replace(",", ""))
            for line in r.stdout.splitlines() if line.split()[3:4] and
            line.split()[3].startswith("main.G")}
    for name in GLOBALS:
        assert rows.get(name) == truth["maps"][name]["len"], (name, r.stdout)


def test_census_finds_globals_and_stack_locals(arch_core):
    """The census unwinds the goroutines of a link-register machine: the three maps
    on main.stackMaps' stack are found with their entries, as are the globals."""
    build, binary, core, truth = arch_core
    r = harness.gomap("census", "--core", core, "--exe", binary, "--json", timeout=600)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["arch"] == build[0] and doc["layout"] == build[3], (doc["arch"], doc["layout"])
    groups = {g["pattern"]: g for g in doc["groups"]}
    problems = []
    for name in GLOBALS:
        t = truth["maps"][name]
        if t["nil"] or "[" in name:
            continue
        g = groups.get(name)
        if g is None or (g["maps"], g["entries"]) != (1, t["len"]):
            problems.append(f"{name}: census {g and (g['maps'], g['entries'])}, truth "
                            f"(1, {t['len']})")
    for local in STACK_LOCALS:
        g = groups.get(f"goroutine * main.stackMaps {local}")
        want = truth["maps"][f"local:{local}"]["len"]
        if g is None or (g["maps"], g["entries"]) != (1, want):
            problems.append(f"stack local {local}: census {g and (g['maps'], g['entries'])},"
                            f" truth (1, {want})")
    assert not problems, "\n".join(problems) + "\n" + json.dumps(doc["unread"])[:2000]
    assert doc["roots"]["goroutines_unwound"] == doc["roots"]["goroutines"]


def test_python_api_reads_the_core(arch_core):
    """gdb_gomap.api.open_core, the scripted post-mortem: every global's entries (the
    default decode, through the scanner's column fast paths: a 32-bit machine's
    buckets of int64s are 140 bytes, no whole number of 8-byte words) equal the truth."""
    from gdb_gomap.api import open_core
    build, binary, core, truth = arch_core
    problems = []
    with open_core(str(core), str(binary)) as prog:
        assert prog.target.arch.goarch == build[0]
        for name in GLOBALS:
            doc, t = prog.json(name), truth["maps"][name]
            want = Counter(canon(e) for e in t["entries"])
            got = Counter(canon(e) for e in truth_entries(doc))
            if (doc["count"], got) != (t["len"], want):
                problems.append(f"{name}: count {doc['count']} (truth {t['len']}), "
                                f"{sum((want - got).values())} entries missing, "
                                f"{sum((got - want).values())} unexpected")
    assert not problems, "\n".join(problems)


LIVE = [b for b in BUILDS if b in (("arm64", "1.26.6", "", "swiss"),
                                    ("arm", "1.24.11", "noswissmap", "classic"),
                                    ("s390x", "1.24.11", "", "swiss"))]


LIVE_TIMEOUT = 60   # seconds of one run under the stub (a good run takes about 3)


def _live_run(goarch, binary, names, tmp_path):
    """Run ``binary`` under qemu-user's gdb stub, stop it at main.checkpoint from
    gdb-multiarch and dump ``names``; (gdb's output, {name: snapshot}, truth)."""
    port = harness.free_port()
    truth_path = tmp_path / "truth.json"
    qemu = subprocess.Popen([harness.QEMU[goarch], "-g", str(port), str(binary), str(truth_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        cmds = ["set auto-load safe-path /nonexistent", f"target remote 127.0.0.1:{port}",
                "break main.checkpoint", "continue",
                *_dump_cmds([(n, n) for n in names], tmp_path)]
        try:
            r = harness.gdb_batch([binary], cmds, timeout=LIVE_TIMEOUT, gdb="gdb-multiarch")
            out = r.stdout + r.stderr
        except subprocess.TimeoutExpired as exc:
            out = f"gdb-multiarch timed out: {exc.output}{exc.stderr}"
    finally:
        harness.kill_tree(qemu.pid)
        qemu.kill()
        qemu.wait()
    docs = {n: json.loads((tmp_path / _fname(n)).read_text()) for n in names
            if (tmp_path / _fname(n)).exists()}
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
    return out, docs, truth


@pytest.mark.parametrize("build", LIVE, ids=_id)
def test_gdb_multiarch_on_a_live_qemu_target(build, tmp_path):
    """qemu-user's gdb stub, stopped at main.checkpoint: the maps gomap-dump reads
    are the program's.  Now and then gdb's ``continue`` on the stub returns before
    the stop (gdb then says the target is running), or the stub never reports it
    (gdb waits on it until the timeout); such a run is made again, three runs in all."""
    goarch = build[0]
    problem = harness.qemu_problem(goarch)
    if problem:
        pytest.skip(problem)
    binary = toolchains.build_example(EXAMPLE, build[1], build[2], goarch=goarch)
    names = ["main.GInt", "main.GStr", "main.GVals", "main.GSrv.shards[1]"]
    for attempt in (1, 2, 3):
        run_dir = tmp_path / f"run{attempt}"
        run_dir.mkdir()
        out, docs, truth = _live_run(goarch, binary, names, run_dir)
        if docs and truth is not None:
            break
    assert truth is not None and docs, f"three runs under the gdb stub dumped nothing:\n{out[-3000:]}"
    problems = _problems(truth, docs, names)
    assert not problems, "\n".join(problems) + "\n" + out[-3000:]


def test_machine_gomap_does_not_know_is_one_line(tmp_path):
    """riscv64 is a machine Go runs on but gomap's table lacks: one line, no traceback."""
    binary = toolchains.build_example(EXAMPLE, "1.26.6", goarch="riscv64")
    r = harness.gomap("dump", "--core", binary, "--exe", binary, "main.GInt")
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "which gomap does not know" in lines[0] and "arm64" in lines[0], lines[0]


@pytest.mark.parametrize("goarch", sorted(MACHINE))
def test_core_and_executable_of_different_machines_is_one_line(goarch, tmp_path_factory):
    """An arm64 core with its s390x twin, etc.: the machine mismatch is named."""
    other = {"arm64": "s390x", "arm": "arm64", "s390x": "arm"}[goarch]
    build = next(b for b in BUILDS if b[0] == goarch)
    _, core, _ = _core(build, tmp_path_factory)
    exe = toolchains.build_example(EXAMPLE, "1.26.6", goarch=other)
    r = harness.gomap("dump", "--core", core, "--exe", exe, "main.GInt")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and MACHINE[goarch] in line, line


FUZZ = [("arm", "1.22.10", "", "classic"), ("arm", "1.27.3", "", "swiss"),
        ("s390x", "1.23.9", "", "classic"), ("s390x", "1.26.6", "", "swiss")]
FUZZ_CASES = 150   # per build; tests/fuzz_decoders.py's strategies, in the target's words


@pytest.mark.parametrize("build", FUZZ, ids=_id)
def test_corrupt_memory_of_other_machines_ends_in_a_snapshot_or_our_error(build,
                                                                         tmp_path_factory):
    """The 32-bit and big-endian read paths under the decoders' fuzzer: every map of
    the core recorded, then pointers, counts, tags and garbage arenas written in the
    machine's own words; each case must end in a bounded snapshot or a GomapError."""
    binary, core, truth = _core(build, tmp_path_factory)
    path = F.capture_core(binary, core, truth, _id(build), build[3],
                          tmp_path_factory.mktemp("fuzz"))
    fx = F.Fixture(path)
    assert len(fx.maps) >= 25 and not fx.replay_mismatches, fx.replay_mismatches
    run, failures, _, _ = F.fuzz(fx, FUZZ_CASES)
    assert run == FUZZ_CASES
    assert not failures, "\n".join(f"{o.kind}: {c.describe()}\n{o.detail}"
                                    for c, o in failures[:3])
