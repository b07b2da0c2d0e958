"""gomap never changes the process it reads: memory checksums before and after
dumps, and dumps work with gdb forbidden to call functions in the target."""

import hashlib

import pytest

from gdb_gomap.backends.process import StoppedProcess
from tests import harness, toolchains
from tests.test_dump import GLOBALS, _dump_cmds

EXAMPLE = harness.REPO / "examples" / "mapstates"
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]


def _truth_regions(truth):
    """(map, what, address, size) of every piece of memory the program says its
    maps occupy (the truth's ``regions``): chosen by the Go program, not by gomap."""
    out = []
    for name, m in sorted(truth["maps"].items()):
        for r in m.get("regions") or []:
            out.append((name, r["what"], int(r["address"], 16), r["size"]))
    return out


def _memory_digest(pid, regions):
    """SHA-256 over the bytes of ``regions``, read with the process stopped."""
    h = hashlib.sha256()
    with StoppedProcess(pid) as mem:
        for name, what, addr, size in regions:
            h.update(f"{name} {what} {addr:#x} {size}".encode())
            h.update(mem.read(addr, size))
    return h.hexdigest()


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_dumps_leave_the_target_untouched(build, tmp_path, gdb_path):
    binary = toolchains.build_for(EXAMPLE, build)
    out = tmp_path / "out"
    out.mkdir()
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        regions = _truth_regions(ex.truth)
        kinds = {what for _, what, _, _ in regions}
        assert {"header", "buckets" if build.layout == "classic" else "groups"} <= kinds
        assert sum(size for *_, size in regions) > 100_000, "the truth names too little memory"
        before = _memory_digest(ex.pid, regions)
        res = harness.gdb_batch(
            ["-p", str(ex.pid)],
            ["set may-call-functions off", "set may-write-memory off",
             "set may-write-registers off"] +
            _dump_cmds([(g, g) for g in GLOBALS], out) + ["gomap-list -o /dev/null"],
            timeout=300)
        written = sorted(p.name for p in out.iterdir())
        assert len(written) == len(GLOBALS), res.stdout + res.stderr
        assert "gomap: internal error" not in res.stdout + res.stderr
        after = _memory_digest(ex.pid, regions)
        assert before == after, "map memory changed across the dumps"
        assert ex.alive(), "the program did not survive being read"
