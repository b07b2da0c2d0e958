"""gomap never changes the process it reads: memory checksums before and after
dumps, and dumps work with gdb forbidden to call functions in the target."""

import hashlib

import pytest

from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.binary import GoBinary
from gdb_gomap.decode import DumpOptions
from gdb_gomap.resolve import resolve_map
from gdb_gomap.target import Target
from tests import harness, toolchains
from tests.test_dump import GLOBALS, _dump_cmds

EXAMPLE = harness.REPO / "examples" / "mapstates"
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]


def _map_memory_digest(pid, binary):
    """SHA-256 over every map's header and bucket/group/table/directory memory."""
    h = hashlib.sha256()
    with StoppedProcess(pid) as mem:
        t = Target(GoBinary(binary), mem)
        for name in GLOBALS:
            mt, addr = resolve_map(t, name)
            h.update(name.encode() + addr.to_bytes(8, "little"))
            if not addr:
                continue
            snap = t.dump(mt, addr, DumpOptions(detail=True))
            lay = t.layout(mt)
            h.update(mem.read(addr, lay.header.size))
            for c in snap.chains or []:
                for b in c.buckets:
                    h.update(mem.read(b.address, lay.bucket_size))
            for tb in snap.tables or []:
                h.update(mem.read(tb.address, lay.table.size))
                h.update(mem.read(tb.groups_address, (tb.lengthMask + 1) * lay.group_size))
            if snap.group_address:
                h.update(mem.read(snap.group_address, lay.group_size))
    return h.hexdigest()


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_dumps_leave_the_target_untouched(build, tmp_path, gdb_path):
    binary = toolchains.build_for(EXAMPLE, build)
    out = tmp_path / "out"
    out.mkdir()
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        before = _map_memory_digest(ex.pid, binary)
        res = harness.gdb_batch(
            ["-p", str(ex.pid)],
            ["set may-call-functions off", "set may-write-memory off",
             "set may-write-registers off"] +
            _dump_cmds([(g, g) for g in GLOBALS], out) + ["gomap-list -o /dev/null"],
            timeout=300)
        written = sorted(p.name for p in out.iterdir())
        assert len(written) == len(GLOBALS), res.stdout + res.stderr
        assert "gomap: internal error" not in res.stdout + res.stderr
        after = _map_memory_digest(ex.pid, binary)
        assert before == after, "map memory changed across the dumps"
        assert ex.alive(), "the program did not survive being read"
