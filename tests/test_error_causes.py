"""Each cause of an unreadable read has its own message (issue 13, item 3), on real
inputs: a segment the core lists without its bytes, a nil indirect cell pointer,
a replay asked for bytes it did not record, a process killed under gdb.  (A
truncated core: tests/test_hostile_cores.py, test_truncated_core_says_truncated.)"""

import json
import re
import struct

import pytest

from gdb_gomap.backends.core_file import CoreFile
from gdb_gomap.binary import GoBinary
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.errors import NotInCore, NotRecorded
from gdb_gomap.resolve import resolve_map
from gdb_gomap.replay import RecordingMemory, ReplayMemory
from gdb_gomap.target import Target
from tests import corepatch, harness, toolchains
from tests import fuzz_cores as F
from tests.test_hostile_cores import copy_core, one_line, segment_of

EXAMPLE = harness.REPO / "examples" / "mapstates"
SWISS = next(b for b in toolchains.MATRIX if b.version == "1.26.6" and b.opt == "opt")
NOT_MAPPED = "not mapped"


@pytest.fixture(scope="module")
def gcore(request, gdb_path):
    """bigmap's gcore (main.Big: 1000 entries i*7919 -> "value-i"), shared with
    test_hostile_cores."""
    return F.make_bases(request.config.cache.mkdir("gomap-cores"), kernel=False)[0]


@pytest.fixture(scope="module")
def swiss_core(tmp_path_factory, gdb_path):
    d = tmp_path_factory.mktemp("causes")
    binary = toolchains.build_for(EXAMPLE, SWISS)
    core = d / "swiss.core"
    with harness.start_example(binary, d / "truth.json") as ex:
        harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {core}"], timeout=300)
        truth = ex.truth
    yield binary, core, truth
    core.unlink(missing_ok=True)


def test_listed_segment_without_bytes(gcore, tmp_path):
    """The PT_LOAD holding main.Big's header keeps its place but loses its bytes
    (p_filesz 0): the process had that memory, the core does not hold it."""
    binary = GoBinary(gcore.binary)
    with CoreFile(str(gcore.core), binary) as core:
        mt, header = resolve_map(Target(binary, core), "main.Big")
    L = F.read_layout(gcore.core)
    i = segment_of(L, header)
    # p_filesz is at offset 32 of an ELF64 program header
    core = copy_core(gcore, tmp_path / "nobytes.core", {L.ph_at(i) + 32: struct.pack("<Q", 0)})
    line = one_line(F.harness.gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
                    f"{header:#x}", "lists it but does not hold it",
                    "the core file does not hold it", "give a complete core")
    assert NOT_MAPPED not in line
    with CoreFile(str(core), binary) as c:
        with pytest.raises(NotInCore):
            c.read(header, 8)


def test_writable_data_left_out_is_not_called_unmapped(gcore, tmp_path):
    L = F.read_layout(gcore.core)
    var = GoBinary(gcore.binary).symbol("main.Big")
    core = copy_core(gcore, tmp_path / "nodata.core",
                     {L.ph_at(segment_of(L, var)): struct.pack("<I", 0)})   # PT_NULL
    line = one_line(F.harness.gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
                    "initial value", "the core file does not hold it")
    assert NOT_MAPPED not in line


def test_nil_indirect_pointer(swiss_core):
    """One indirect elem pointer of main.GBigElem ([200]byte elems) set to nil in
    the core: that value says the pointer is nil, not that memory is unmapped."""
    binary, core, truth = swiss_core
    gb = GoBinary(str(binary))
    with CoreFile(str(core), gb) as mem:
        t = Target(gb, mem)
        mt, header = resolve_map(t, "main.GBigElem")
        snap = t.dump(mt, header, DumpOptions(detail=True, raw=True))
        lay = t.layout(mt)
        groups = [g for tb in snap.tables or [] for g in tb.groups or []]
        if snap.group is not None:
            groups.append(snap.group)
        slot, group = next((s, g) for g in groups for s in g.slots if s.entry is not None)
        ptr = int.from_bytes(bytes.fromhex(slot.elem_raw), "little")
        held = mem.read(group.address, lay.group_size)
    key = snap.entries[slot.entry][0]
    at = group.address + held.index(ptr.to_bytes(8, "little"))
    with corepatch.patched(str(core), {at: bytes(8)}):
        r = harness.gomap("dump", "--core", core, "--exe", binary, "main.GBigElem", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    bad = [e["value"] for e in out["entries"] if e["key"] == key]
    assert len(bad) == 1, out["entries"][:3]
    assert bad[0]["unreadable"] == "0x0", bad
    text = bad[0]["error"]
    assert text.startswith("the indirect elem pointer 0x0 is nil: "), text
    assert NOT_MAPPED not in text and NOT_MAPPED not in r.stdout


def test_replay_miss(gcore):
    """A replay of main.Big's decode asked for main.Big's variable plus bytes past
    what was recorded."""
    binary = GoBinary(gcore.binary)
    with CoreFile(str(gcore.core), binary) as core:
        rec = RecordingMemory(core)
        t = Target(binary, rec)
        mt, header = resolve_map(t, "main.Big")
        t.dump(mt, header)
    replay = ReplayMemory(rec.regions())
    start, data = max(replay.regions, key=lambda r: r[0])
    end = start + len(data)
    assert replay.read(start, 8) == data[:8]
    with pytest.raises(NotRecorded) as err:
        replay.read(end, 16)
    msg = str(err.value)
    assert f"cannot read 16 bytes at {end:#x}" in msg and "not in the recorded memory" in msg
    assert "record this decode" in msg and NOT_MAPPED not in msg


GONE_SCRIPT = r"""
import os, signal
import gdb
from gdb_gomap.gdb.memory import GdbMemory
from gdb_gomap.errors import GomapError
inf = gdb.selected_inferior()
mem = GdbMemory(inf)
addr = VAR_ADDRESS
print("READ-OK", len(mem.read(addr, 8)))
try:
    mem.read(8, 8)
except GomapError as exc:
    print("BAD-ADDR", type(exc).__name__, exc)
os.kill(inf.pid, signal.SIGKILL)
import time
time.sleep(0.5)
try:
    mem.read(addr, 8)
    print("GONE-READ-OK")
except GomapError as exc:
    print("GONE", type(exc).__name__, exc)
"""


def test_process_killed_under_gdb(tmp_path, gdb_path):
    """gdb attached, the process SIGKILLed from outside: the next read says the
    process is gone (decided from gdb's and the kernel's state, not from the
    words of gdb's error); before that, a bad address is unreadable, not gone."""
    binary = toolchains.build_for(EXAMPLE, SWISS)
    script = tmp_path / "gone.py"
    script.write_text(GONE_SCRIPT.replace("VAR_ADDRESS", hex(GoBinary(str(binary)).symbol("main.GInt"))))
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        pid = ex.pid
        res = harness.gdb_batch(["-p", str(pid)], [f"source {script}"], timeout=300)
    out = res.stdout + res.stderr
    assert "READ-OK 8" in out, out
    assert re.search(r"BAD-ADDR UnreadableMemory cannot read 8 bytes at 0x8", out), out
    m = re.search(r"GONE (\w+) (.*)", out)
    assert m, out
    assert m.group(1) == "TargetGone", out
    assert f"process {pid} is gone" in m.group(2), out
