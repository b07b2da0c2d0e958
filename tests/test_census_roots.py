"""Census stack roots: goroutines from runtime.allgs, unwound with the pclntab,
their map locals read from DWARF, on real binaries from a live pid and a kernel
core.  Truth (goids, map lengths) comes from tests/progs/goroots itself."""

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from gdb_gomap.backends.core_file import CoreFile
from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.binary import GoBinary
from gdb_gomap.census.goroutines import core_thread_registers, goroutine_list, read_goroutines
from gdb_gomap.census.stacks import stack_roots, unwind_all
from gdb_gomap.target import Target
from tests import corepatch
from tests.harness import gdb_batch, kernel_core, kernel_core_pattern_problem, start_example
from tests.toolchains import MATRIX, build_for

PROG = Path(__file__).parent / "progs" / "goroots"
# every release by --pid; cores and gdb on one classic and one swiss release
BUILDS = [b for b in MATRIX if b.version in ("1.23.9", "1.26.6") and not b.experiment]


def _maps_by_goroutine(target, roots):
    """{(goid, function): the map's count} of the roots that are maps (a root held
    in registers or pieces carries its value; the others a stack address)."""
    found = {}
    for r in roots:
        if r.gotype.kind == "map":
            raw = r.value if r.value is not None else target.memory.read(r.addr, 8)
            assert (r.value is None) != (r.addr == 0), r
            header = int.from_bytes(raw, "little")
            found[(r.goroutine, r.function)] = target.map_count(r.gotype, header)
    return found


def _check(target, truth, busy_expected=True):
    listing = goroutine_list(target)
    ids = {g["goid"] for g in listing}
    assert set(truth["all"]) <= ids, f"missing goroutines {set(truth['all']) - ids}"
    extra = [g for g in listing if g["goid"] not in truth["all"]]
    # runtime.Stack leaves out the runtime's own goroutines; those are the only extra ones
    assert all(g["top_function"].startswith("runtime.") for g in extra), extra
    byid = {g["goid"]: g for g in listing}
    for goid in truth["parked"]:
        g = byid[int(goid)]
        assert g["status"] == "waiting" and g["wait_reason"] == "chan receive", g
        assert g["top_function"] == "main.hold", g
    roots, report = stack_roots(target)
    assert report.goroutines == len(listing)
    found = _maps_by_goroutine(target, roots)
    for goid, n in truth["parked"].items():
        assert found.get((int(goid), "main.hold")) == n, (goid, n, report.unread)
    for r in roots:
        if r.function == "main.hold":
            assert r.label == f"goroutine {r.goroutine} main.hold {r.label.split()[-1]}"
            assert r.pattern.startswith("goroutine * main.hold ")
    assert byid[truth["syscall"]]["status"] == "syscall", byid[truth["syscall"]]
    assert found.get((truth["syscall"], "main.inread")) == truth["syscall_len"]
    assert not [r for r in roots if r.function == "main.deadslot" and r.gotype.kind == "map"]
    assert (truth["dead_slot"], "main.deadslot") not in found
    # in scope, and placed in its slot by a -N -l build's DWARF, but dead there
    assert (truth["dead_local"], "main.deadlocal") not in found, report.unread
    if busy_expected:
        assert found.get((truth["busy"], "main.loop")) == truth["busy_len"], report.unread
        # stopped inside main.spin: its argument is in a register (optimized) or a slot
        assert found.get((truth["busy"], "main.spin"), truth["busy_len"]) == truth["busy_len"]
    return roots, report


@pytest.mark.parametrize("build", MATRIX, ids=lambda b: b.id)
def test_roots_from_pid(build, tmp_path):
    exe = build_for(PROG, build)
    with start_example(exe, tmp_path / "truth.json") as ex:
        with StoppedProcess(ex.pid) as mem:
            target = Target(GoBinary(str(exe)), mem)
            _check(target, ex.truth)
            _check_running(target, ex.truth, mem.thread_registers())


def _check_running(target, truth, registers):
    """The busy goroutine runs on a thread and was unwound from that thread's registers."""
    busy = [g for g in read_goroutines(target)[0] if g.goid == truth["busy"]][0]
    assert busy.status_name == "running", busy
    assert busy.tid in registers and busy.regs == registers[busy.tid]
    unread = []
    unwind_all(target, [busy], unread)
    assert not unread
    assert busy.frames[0].regs is not None and busy.frames[0].pc == busy.regs["rip"]
    names = [f.func.name for f in busy.frames]
    assert "main.loop" in names and names[-1] == "runtime.goexit", names


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_roots_from_gcore(build, tmp_path):
    """gdb's gcore of the live program: the busy goroutine is running, and its thread's
    registers come from the core's NT_PRSTATUS notes."""
    exe = build_for(PROG, build)
    core = tmp_path / "gcore.core"
    with start_example(exe, tmp_path / "truth.json") as ex:
        res = subprocess.run(["gdb", "-nx", "-batch", "-p", str(ex.pid), "-ex",
                              f"gcore {core}"], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        assert core.is_file(), res.stderr
        truth = ex.truth
    binary = GoBinary(str(exe))
    mem = CoreFile(str(core), binary)
    target = Target(binary, mem)
    _check(target, truth)
    _check_running(target, truth, core_thread_registers(str(core)))


def _core(build, tmp_path):
    problem = kernel_core_pattern_problem()
    if problem:
        pytest.skip(problem)
    exe = build_for(PROG, build)
    core, truth, _ = kernel_core([exe, tmp_path / "truth.json"], tmp_path, tmp_path / "truth.json")
    assert core is not None and truth is not None
    return exe, core, truth


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_roots_from_kernel_core(build, tmp_path):
    exe, core, truth = _core(build, tmp_path)
    binary = GoBinary(str(exe))
    mem = CoreFile(str(core), binary)
    target = Target(binary, mem)
    # The spinning goroutine is wherever SIGQUIT caught its thread (in the runtime's
    # signal handling or preemption): its map must be found, or the report must name
    # that goroutine and say why its stack stops short; every other check stands.
    roots, report = _check(target, truth, busy_expected=False)
    found = _maps_by_goroutine(target, roots)
    if found.get((truth["busy"], "main.loop")) != truth["busy_len"]:
        named = [u for u in report.unread if u.what == f"goroutine {truth['busy']}"]
        assert named and named[0].reason, report.unread


def test_unwindable_goroutine_reported(tmp_path):
    """Two goroutines of a copied core are damaged: one's saved pc points outside the
    text (nothing of it can be read), the other's return address out of main.hold
    (its frames up to main.hold are read, and the rest is reported as missing)."""
    build = [b for b in BUILDS if b.noopt][0]     # main.parked's locals are in its frame
    exe, core, truth = _core(build, tmp_path)
    binary = GoBinary(str(exe))
    target = Target(binary, CoreFile(str(core), binary))
    victim, partial = (int(k) for k in sorted(truth["parked"])[:2])
    gs = {g.goid: g for g in read_goroutines(target)[0]}
    sched = target.types.by_name("runtime.g").field("sched")
    addr = gs[victim].addr + sched.offset + sched.type.field("pc").offset
    unwind_all(target, [gs[partial]], [])
    # (main.parked's own locals are dead after its call: its frame, not its roots)
    assert "main.parked" in [f.func.name for f in gs[partial].frames]
    hold = [f for f in gs[partial].frames if f.func.name == "main.hold"][0]
    copy = tmp_path / "bad.core"
    shutil.copyfile(core, copy)
    writes = {addr: struct.pack("<Q", 0x10), hold.cfa - 8: struct.pack("<Q", 0x20)}
    with corepatch.patched(str(copy), writes):
        bad = Target(binary, CoreFile(str(copy), binary))
        roots, report = stack_roots(bad)
        cut = [g for g in read_goroutines(bad)[0] if g.goid == partial][0]
        unwind_all(bad, [cut], [])
    why = {u.what: u.reason for u in report.unread}
    assert "outside the program's text" in why[f"goroutine {victim}"], report.unread
    assert why[f"goroutine {partial}"].startswith("unwound "), report.unread
    assert "0x20" in why[f"goroutine {partial}"]
    assert report.goroutines_unwound == report.goroutines - 1
    found = _maps_by_goroutine(bad, roots)
    assert (victim, "main.hold") not in found
    assert found[(partial, "main.hold")] == truth["parked"][str(partial)]
    assert [f.func.name for f in cut.frames][-1] == "main.hold"      # nothing past it
    others = [k for k in truth["parked"] if int(k) != victim]
    assert all(found.get((int(k), "main.hold")) == truth["parked"][k] for k in others)


GDB_SCRIPT = """\
import json, sys
from gdb_gomap.gdb.program import target_with_memory
from gdb_gomap.gdb.threads import thread_registers
from gdb_gomap.census.goroutines import goroutine_list, read_goroutines
from gdb_gomap.census.stacks import stack_roots
t = target_with_memory()
regs = thread_registers()
gl = goroutine_list(t, regs)
roots, rep = stack_roots(t, regs)
maps = []
for r in roots:
    if r.gotype.kind == "map":
        h = int.from_bytes(r.value if r.value is not None else t.memory.read(r.addr, 8),
                           "little")
        maps.append([r.goroutine, r.function, t.map_count(r.gotype, h)])
busy = [g for g in read_goroutines(t, regs)[0] if g.goid == GOID][0]
print("CENSUS " + json.dumps({"list": gl, "maps": maps, "goroutines": rep.goroutines,
      "busy": [busy.status_name, busy.tid in regs, busy.regs == regs.get(busy.tid)]}))
"""


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_roots_in_gdb(build, tmp_path):
    """Inside gdb attached to the live program: the same roots, the running
    goroutine from gdb's own registers of its thread."""
    exe = build_for(PROG, build)
    with start_example(exe, tmp_path / "truth.json") as ex:
        script = tmp_path / "roots.py"
        script.write_text(GDB_SCRIPT.replace("GOID", str(ex.truth["busy"])))
        res = gdb_batch(["-p", str(ex.pid)], [f"source {script}"])
        truth = ex.truth
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("CENSUS ")]
    assert line, res.stderr[-2000:]
    got = json.loads(line[0][len("CENSUS "):])
    ids = {g["goid"] for g in got["list"]}
    assert set(truth["all"]) <= ids and got["goroutines"] == len(got["list"])
    assert got["busy"] == ["running", True, True]
    found = {(g, f): n for g, f, n in got["maps"]}
    for goid, n in truth["parked"].items():
        assert found.get((int(goid), "main.hold")) == n
    assert found.get((truth["busy"], "main.loop")) == truth["busy_len"]


DLV = Path.home() / ".cache" / "gomap" / "bin" / "dlv"


@pytest.mark.parametrize("build", [b for b in BUILDS if b.version == "1.26.6"],
                         ids=lambda b: b.id)
def test_goroutines_agree_with_delve(build, tmp_path):
    """Delve's own goroutine list of the same core: the same ids, and where Delve's
    topmost user frame is in package main, the same function."""
    if not DLV.is_file():
        pytest.skip("dlv is not installed (install.sh --dev)")
    exe, core, truth = _core(build, tmp_path)
    cmds = tmp_path / "cmds"
    cmds.write_text("goroutines\nexit\n")
    res = subprocess.run([str(DLV), "core", str(exe), str(core), "--init", str(cmds),
                          "--allow-non-terminal-interactive=true"], capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    theirs = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] in ("Goroutine", "*") and "User:" in parts:
            if parts[0] == "*":
                parts = parts[1:]
            theirs[int(parts[1])] = parts[parts.index("User:") + 2]
    assert len(theirs) >= len(truth["all"]), res.stdout[-2000:] + res.stderr[-2000:]
    binary = GoBinary(str(exe))
    ours = {g["goid"]: g for g in goroutine_list(Target(binary, CoreFile(str(core), binary)))}
    assert set(ours) == set(theirs)
    compared = 0
    for goid, func in theirs.items():
        # the spinning goroutine is caught wherever SIGQUIT found it (main.loop or
        # main.spin, or between them): only the parked ones have one right answer
        if func.startswith("main.") and goid != truth["busy"]:
            assert ours[goid]["top_function"] == func, (goid, func, ours[goid])
            compared += 1
    assert compared >= len(truth["parked"])


@pytest.mark.parametrize("build", [b for b in BUILDS if b.noopt], ids=lambda b: b.id)
def test_census_counts_maps_kept_on_stacks(build, tmp_path):
    """Maps that never escape live on their goroutine's stack, not in a heap object:
    the census still walks them (every parked goroutine's map, and main.onstack's).
    -N -l builds: an optimized build may keep no location for such a local."""
    from gdb_gomap.census import run

    exe = build_for(PROG, build)
    with start_example(exe, tmp_path / "truth.json") as ex:
        with StoppedProcess(ex.pid) as mem:
            c = run.run(Target(GoBinary(str(exe)), mem), threads=mem.thread_registers())
    truth = ex.truth
    groups = {g.pattern: g for g in c.groups}
    onstack = groups.get("goroutine * main.onstack m")
    assert onstack is not None and (onstack.maps, onstack.entries) == (1, truth["on_stack_len"])
    hold = groups["goroutine * main.hold m"]
    assert hold.maps == len(truth["parked"])
    assert hold.entries == sum(truth["parked"].values())
    assert c.result.stats["stack_maps"] >= len(truth["parked"]) + 1


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _dlv_script(exe, core, tmp_path, lines):
    """Delve's output for ``lines`` (commands) run on the core, colours removed."""
    cmds = tmp_path / "dlv-cmds"
    cmds.write_text("\n".join(lines + ["exit"]) + "\n")
    res = subprocess.run([str(DLV), "core", str(exe), str(core), "--init", str(cmds),
                          "--allow-non-terminal-interactive=true"], capture_output=True,
                         text=True, timeout=300, stdin=subprocess.DEVNULL)
    return ANSI.sub("", res.stdout)


def _delve_maps(exe, core, tmp_path, goids):
    """{(goid, function, name): len} of the map arguments and locals Delve's own
    goroutine and variable walk sees in the main.* frames of ``goids``."""
    out = _dlv_script(exe, core, tmp_path, [c for g in goids for c in
                                             (f'print "@@ {g}"', f"goroutine {g} stack")])
    frames = []                      # (goid, frame index, function)
    goid = None
    for line in out.splitlines():
        m = re.match(r'^"@@ (\d+)"$', line.strip())
        if m:
            goid = int(m.group(1))
            continue
        m = re.match(r"^\s*(\d+)\s+0x[0-9a-f]+ in (\S+)$", line)
        if m and goid is not None and m.group(2).startswith("main."):
            frames.append((goid, int(m.group(1)), m.group(2)))
    out = _dlv_script(exe, core, tmp_path, [c for g, k, f in frames for c in
                                             (f'print "@@ {g} {k} {f}"',
                                              f"goroutine {g} frame {k} args",
                                              f"goroutine {g} frame {k} locals")])
    names, where = [], None
    for line in out.splitlines():
        m = re.match(r'^"@@ (\d+) (\d+) (\S+)"$', line.strip())
        if m:
            where = (int(m.group(1)), int(m.group(2)), m.group(3))
            continue
        m = re.match(r"^(\w+) = map\[", line)
        if m and where is not None:
            names.append(where + (m.group(1),))
    out = _dlv_script(exe, core, tmp_path, [c for g, k, f, n in names for c in
                                             (f'print "@@ {g} {f} {n}"',
                                              f"goroutine {g} frame {k} print len({n})")])
    theirs, key = {}, None
    for line in out.splitlines():
        m = re.match(r'^"@@ (\d+) (\S+) (\w+)"$', line.strip())
        if m:
            key = (int(m.group(1)), m.group(2), m.group(3))
            continue
        if key is not None and re.match(r"^-?\d+$", line.strip()):
            theirs[key] = int(line)
            key = None
    return theirs


DELVE_BUILDS = [b for b in MATRIX if not b.experiment and (
    b.version == "1.26.6" or (b.version in ("1.25.5", "1.27.3") and b.opt == "opt"))]


@pytest.mark.parametrize("build", DELVE_BUILDS, ids=lambda b: b.id)
def test_stack_maps_agree_with_delve(build, tmp_path):
    """Delve's own walk of the same core (goroutine N frame K args/locals, print
    len) against the census's stack roots: every map root the census takes in a
    main.* frame of a parked goroutine is one Delve sees there, with the same
    length; every map of the parked goroutines Delve sees in main.hold,
    main.inread and main.onstack the census takes too.  A -N -l build's
    main.deadlocal keeps its dead map in DWARF: Delve shows it, the census (by
    the runtime's stack maps) does not."""
    if not DLV.is_file():
        pytest.skip("dlv is not installed (install.sh --dev)")
    exe, core, truth = _core(build, tmp_path)
    binary = GoBinary(str(exe))
    target = Target(binary, CoreFile(str(core), binary))
    roots, _ = stack_roots(target)
    parked = {int(g) for g in truth["parked"]} | {truth["syscall"], truth["on_stack"],
                                                  truth["dead_local"], truth["dead_slot"]}
    ours = {}
    for r in roots:
        if r.gotype.kind == "map" and r.goroutine in parked and r.function.startswith("main."):
            raw = r.value if r.value is not None else target.memory.read(r.addr, 8)
            ours[(r.goroutine, r.function, r.label.split()[-1])] = target.map_count(
                r.gotype, int.from_bytes(raw, "little"))
    theirs = _delve_maps(exe, core, tmp_path, sorted(parked))
    assert ours and theirs
    assert {k: theirs.get(k) for k in ours} == ours
    for (goid, func, name), n in theirs.items():
        if func in ("main.hold", "main.inread", "main.onstack"):
            assert ours.get((goid, func, name)) == n, (goid, func, name, n)
    if build.noopt:
        assert (truth["dead_local"], "main.deadlocal", "d") in theirs
        assert (truth["dead_local"], "main.deadlocal", "d") not in ours


@pytest.mark.parametrize("build", [b for b in BUILDS if b.version == "1.26.6" and not b.noopt],
                         ids=lambda b: b.id)
def test_walk_takes_a_register_root_by_its_value(build, tmp_path):
    """A root held in registers (a spinning goroutine's innermost frame) carries its
    value and address 0: the walk takes the value and never reads address 0.  The
    parked goroutines' map roots, given as register roots with the same bytes,
    reach the same maps."""
    from dataclasses import replace

    from gdb_gomap.census.walk import walk

    exe = build_for(PROG, build)
    with start_example(exe, tmp_path / "truth.json") as ex:
        with StoppedProcess(ex.pid) as mem:
            target = Target(GoBinary(str(exe)), mem)
            roots = [r for r in stack_roots(target)[0]
                     if r.function == "main.hold" and r.gotype.kind == "map"]
            assert len(roots) == len(ex.truth["parked"])
            in_regs = [replace(r, addr=0, value=mem.read(r.addr, 8)) if r.value is None
                       else r for r in roots]
            assert all(r.addr == 0 for r in in_regs)
            from_slots, from_regs = walk(target, roots), walk(target, in_regs)
    assert not from_regs.unread, from_regs.unread
    got = sorted((m.path, m.entries) for m in from_regs.maps)
    assert got == sorted((m.path, m.entries) for m in from_slots.maps)
    assert sorted(n for _, n in got) == sorted(ex.truth["parked"].values())
