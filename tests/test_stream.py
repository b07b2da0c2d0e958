"""A streamed ``--json`` (entries written a batch at a time while the decode
runs, issue 16) is the JSON of the whole snapshot, byte for byte.

On the fast tier's recorded maps (every kind of key and value), the stream is
cut into batches of 3 and compared with ``write_json`` of the kept snapshot,
with and without ``--limit``.  On benchmarks/progs/scalemaps (Go 1.23.9
classic, 1.26.6 swiss), with maps of several batches, gdb's ``gomap-dump
--json`` is compared with the snapshot JSON made in the same gdb session, and
the ``gomap`` CLI (``--pid`` and ``--core``) with gdb's; the entries are
checked against the counts and sums the program wrote.
"""

import io
import json

import pytest

from gdb_gomap import decoding
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.render.jsonout import JsonStream, write_json
from gdb_gomap.resolve import resolve_map
from tests import fixtures, harness, toolchains

SCALEMAPS = harness.REPO / "benchmarks" / "progs" / "scalemaps"
INTS, STRS = 150_000, 100_000        # more than two batches (decoding.STREAM_BATCH) each
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]

# Run inside gdb: the snapshot JSON (no sink: entries kept, then written) of
# one map, through the same library calls gomap-dump makes.
SNAPSHOT_IN_GDB = """\
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.gdb.evaluate import resolve
from gdb_gomap.gdb.program import target_with_memory
from gdb_gomap.render.jsonout import write_json
t = target_with_memory()
mt, addr = resolve(t, [{expr!r}], None)
with open({out!r}, "w") as f:
    write_json(t.dump(mt, addr, DumpOptions(sort=False, json_bytes=True)), f.write)
"""


def _snapshot_text(target, expr, **kw):
    mt, addr = resolve_map(target, expr)
    buf = io.StringIO()
    write_json(target.dump(mt, addr, DumpOptions(sort=False, json_bytes=True, **kw)),
               buf.write)
    return buf.getvalue()


def _streamed_text(target, expr, **kw):
    mt, addr = resolve_map(target, expr)
    buf = io.StringIO()
    stream = JsonStream(buf.write)
    snap = target.dump(mt, addr, DumpOptions(sort=False, json_bytes=True, sink=stream, **kw))
    assert not snap.entries, "a streamed decode kept its entries"
    stream.close(snap)
    return buf.getvalue(), stream.written


@pytest.mark.fast
@pytest.mark.parametrize("fid", fixtures.MAPSTATES)
@pytest.mark.parametrize("limit", [None, 5])
def test_recorded_maps_stream_as_their_snapshot(fid, limit, monkeypatch):
    rec = fixtures.load(fid)
    monkeypatch.setattr(decoding, "STREAM_BATCH", 3)
    streamed = 0
    for name, expr in rec.maps:
        want = _snapshot_text(rec.target, expr, limit=limit)
        got, written = _streamed_text(rec.target, expr, limit=limit)
        assert got == want, name
        doc = json.loads(got)
        assert written == len(doc["entries"]), name
        streamed += written > 3
    assert streamed, "no recorded map took more than one batch"


def _check_truth(doc, truth, name):
    entries = doc["entries"]
    if name == "main.Ints":
        assert len(entries) == doc["count"] == truth["ints"]
        assert sum(e["key"] for e in entries) == truth["int_key_sum"]
        assert sum(e["value"] for e in entries) == truth["int_value_sum"]
    else:
        assert len(entries) == doc["count"] == truth["strs"]
        assert sum(len(e["key"]) + len(e["value"]) for e in entries) == truth["str_bytes"]
    assert doc["entries_complete"] and doc["stats"]["live"] == len(entries)
    assert doc["warnings"] == []


@pytest.mark.parametrize("build", BUILDS, ids=[b.id for b in BUILDS])
def test_streamed_json_is_the_snapshot_json(build, tmp_path, gdb_path):
    binary = toolchains.build_for(SCALEMAPS, build)
    core = tmp_path / "scalemaps.core"
    with harness.start_example(binary, args=(INTS, STRS)) as ex:
        cmds = []
        for name in ("main.Ints", "main.Strs"):
            script = tmp_path / f"{name}.py"
            script.write_text(SNAPSHOT_IN_GDB.format(expr=name,
                                                     out=str(tmp_path / f"{name}.snap.json")))
            cmds += [f"gomap-dump {name} --json -o {tmp_path / name}.gdb.json",
                     f"source {script}"]
        res = harness.gdb_batch(["-p", str(ex.pid)], cmds + [f"gcore {core}"], timeout=300)
        assert "Traceback" not in res.stderr and "error" not in res.stderr.lower(), res.stderr
        pid_out = {}
        for name in ("main.Ints", "main.Strs"):
            r = harness.gomap("dump", "--pid", ex.pid, name, "--json")
            assert r.returncode == 0, r.stderr
            pid_out[name] = r.stdout
        truth = ex.truth
    for name in ("main.Ints", "main.Strs"):
        gdb_text = (tmp_path / f"{name}.gdb.json").read_text()
        assert gdb_text == (tmp_path / f"{name}.snap.json").read_text(), name
        r = harness.gomap("dump", "--core", core, "--exe", binary, name, "--json")
        assert r.returncode == 0, r.stderr
        assert r.stdout == gdb_text, name
        assert pid_out[name] == gdb_text, name
        _check_truth(json.loads(gdb_text), truth, name)
