"""End to end: ``gomap census`` (a kernel core, a live pid) and ``gomap-census`` in
gdb (on the same core) against the truth of tests/progs/census, which hides maps
in every way a map can hide and counts them itself.

Per truth group (a regular expression for its path pattern, maps and entries
computed by the program): the census groups whose pattern matches hold exactly
that many maps and entries.  The cache map retains at least the capacities of
its []byte values; the dead map (its memory on the heap, no root to it) is not
counted, nor the map of a stack slot the runtime's stack maps call dead.  Go 1.23.9 (classic) and 1.26.6 (swiss), optimized and -N -l.
"""

import json
import re

import jsonschema
import pytest

from tests import harness, toolchains

PROG = harness.REPO / "tests" / "progs" / "census"
BUILDS = [b for b in toolchains.MATRIX if b.experiment == "" and b.version in ("1.23.9", "1.26.6")]
SCHEMA = json.loads((harness.REPO / "gdb_gomap" / "schema" / "census.schema.json").read_text())


def _census_of_core(build, tmp_path, gdb=False):
    binary = toolchains.build_for(PROG, build)
    core, truth = harness.kernel_core_or_skip(binary, tmp_path, "the census program")
    try:
        if gdb:
            out = tmp_path / "census.json"
            r = harness.gdb_batch([binary, core], [f"gomap-census --json --expand * -o {out}"],
                                  timeout=600)
            assert "gomap:" not in r.stderr.replace("gomap: wrote", ""), r.stderr
            doc = json.loads(out.read_text())
        else:
            r = harness.gomap("census", "--core", core, "--exe", binary, "--json",
                              "--expand", "*", timeout=600)
            assert r.returncode == 0, r.stderr
            assert r.stderr == "", r.stderr      # no progress line mixed in: not a tty
            doc = json.loads(r.stdout)
    finally:
        core.unlink()
    return truth, doc


def _census_of_pid(build):
    binary = toolchains.build_for(PROG, build)
    with harness.start_example(binary) as ex:
        r = harness.gomap("census", "--pid", ex.pid, "--json", "--expand", "*", timeout=600)
        assert ex.alive(), "the program did not survive the census"
        truth = ex.truth
    assert r.returncode == 0, r.stderr
    return truth, json.loads(r.stdout)


_runs = {}


@pytest.fixture(params=[(b, src) for b in BUILDS for src in ("core", "pid")]
                + [(b, "gdb-core") for b in BUILDS if b.opt == "opt"],
                ids=lambda p: f"{p[0].id}-{p[1]}")
def census_run(request, tmp_path_factory):
    """(truth, census JSON) of one build from one source; one run shared by the tests."""
    build, source = request.param
    key = (build, source)
    if key not in _runs:
        tmp = tmp_path_factory.mktemp("census")
        if source == "pid":
            _runs[key] = _census_of_pid(build)
        else:
            request.getfixturevalue("gdb_path")
            _runs[key] = _census_of_core(build, tmp, gdb=source == "gdb-core")
    truth, doc = _runs[key]
    jsonschema.validate(doc, SCHEMA)
    if source == "pid":
        assert doc["pid"] and doc["core"] is None
    else:
        assert doc["core"] and doc["pid"] is None, (doc["core"], doc["pid"])
    assert doc["go_version"] == f"go{build.version}" and doc["layout"] == build.layout
    return truth, doc


def _compare(truth, doc, goroutines):
    problems = []
    for t in truth["groups"]:
        if t["goroutines"] != goroutines:
            continue
        rx = re.compile(t["match"])
        rows = [g for g in doc["groups"] if rx.search(g["pattern"])]
        maps = sum(g["maps"] for g in rows)
        entries = sum(g["entries"] for g in rows)
        if (maps, entries) != (t["maps"], t["entries"]):
            problems.append(f"{t['name']} ({t['match']}): census {maps} maps, {entries} "
                            f"entries in {[g['pattern'] for g in rows]}; truth {t['maps']} "
                            f"maps, {t['entries']} entries")
    return problems


def test_global_groups_equal_the_truth(census_run):
    truth, doc = census_run
    problems = _compare(truth, doc, goroutines=False)
    assert not problems, "\n".join(problems)


def test_goroutine_groups_equal_the_truth(census_run):
    truth, doc = census_run
    assert doc["roots"]["goroutines"] >= 1002
    problems = _compare(truth, doc, goroutines=True)
    running = [p for p in problems if p.startswith("running goroutine ")]
    if running and doc["core"]:
        # a core caught the spinning goroutine wherever its signal found it: its map
        # may be out of reach then, but only if the report names it with a reason
        named = [u for u in doc["unread"]
                 if u["what"] == f"goroutine {truth['spinner']}" and u["reason"]]
        assert named, (running, doc["unread"])
        problems = [p for p in problems if p not in running]
    assert not problems, "\n".join(problems)


def test_a_named_map_type_keeps_its_name(census_run):
    """A map of a named map type and one of its underlying type share one DWARF
    type entry; each is called by its own type."""
    truth, doc = census_run
    types = {}
    for g in doc["groups"]:
        for name in ("namedSet", "unnamedSet"):
            if re.match(rf"^main\.{name}\b", g["pattern"]):
                types[name] = {m["type"] for m in g["members"]}
    assert types == {"namedSet": {"main.strSet"}, "unnamedSet": {"map[string]bool"}}, types


def test_cache_retains_its_values(census_run):
    truth, doc = census_run
    rows = [g for g in doc["groups"] if re.search(r"^main\.cache$", g["pattern"])]
    assert len(rows) == 1, [g["pattern"] for g in doc["groups"]][:50]
    cache = rows[0]
    assert cache["retained"] >= truth["cache_value_caps"] + cache["own"]
    assert cache["own"] < truth["cache_value_caps"] // 10     # retained >> own
    assert doc["walk"]["heap_bytes"] >= cache["retained"]
    assert doc["walk"]["maps_retained"] >= cache["retained"]


def test_the_dead_map_is_not_counted(census_run):
    truth, doc = census_run
    members = [m for g in doc["groups"] for m in g.get("members", ())]
    assert len(members) == sum(g["maps"] for g in doc["groups"])   # --expand * lists all
    dead = [m for m in members if m["type"] in (truth["dead_type"], truth["dead_slot_type"])]
    assert not dead, dead
    assert doc["walk"]["complete"]


def test_text_output_and_options(tmp_path):
    """The text view of a live census: header, table, --top, --min-bytes, --expand."""
    build = next(b for b in BUILDS if b.layout == "swiss" and b.opt == "opt")
    binary = toolchains.build_for(PROG, build)
    with harness.start_example(binary) as ex:
        r = harness.gomap("census", "--pid", ex.pid, "--top", "3", "--min-bytes", "1K",
                          "--expand", "main.cache", timeout=600)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{binary}: go1.26.6, swiss maps; pid ")
    assert re.match(r"roots: [\d,]+ globals; [\d,]+ goroutines, [\d,]+ unwound", lines[1])
    assert lines[2].startswith("walked: ")
    head = lines.index(next(l for l in lines if l.startswith("pattern ")))
    rows = lines[head + 1:head + 4]
    assert len(rows) == 3, r.stdout
    retained = [_bytes_of(row.split()[-3:-1]) for row in rows]
    assert retained == sorted(retained, reverse=True) and min(retained) >= 1024, rows
    assert "main.cache" in [row.split()[0] for row in rows], rows   # 12 MiB retained
    assert "more groups not shown: --top, --min-bytes" in r.stdout
    assert "main.cache: 1 maps" in r.stdout
    assert "  main.cache  map[string][]uint8  64 entries" in r.stdout


def _bytes_of(words):
    """'12.0', 'MiB' -> bytes (the table's human units)."""
    number, unit = words
    return float(number.replace(",", "")) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20,
                                             "GiB": 1 << 30}[unit]


def test_bad_options_are_one_line():
    r = harness.gomap("census", "--pid", "1", "--top", "0")
    assert r.returncode == 2 and "--top" in r.stderr and "Traceback" not in r.stderr
    r = harness.gomap("census", "--min-bytes", "lots", "--pid", "1")
    assert r.returncode == 2 and "byte count" in r.stderr
    r = harness.gomap("census")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "--core" in r.stderr


def test_progress_line_on_a_tty_stderr_never_in_json(tmp_path):
    """stderr a terminal: a progress line there (shown at once with
    GOMAP_PROGRESS_AFTER=0: the walk of this program may end within the default
    second); stdout still holds nothing but the JSON document."""
    import os
    import subprocess
    import sys
    build = next(b for b in BUILDS if b.layout == "classic" and b.opt == "opt")
    binary = toolchains.build_for(PROG, build)
    master, slave = os.openpty()
    try:
        with harness.start_example(binary) as ex:
            proc = subprocess.run([sys.executable, "-m", "gdb_gomap.cli.main", "census",
                                   "--pid", str(ex.pid), "--json"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=slave, cwd=harness.REPO, timeout=600,
                                  env=dict(os.environ, GOMAP_PROGRESS_AFTER="0"))
        os.close(slave)
        slave = None
        tty = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:      # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            tty += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0, tty.decode(errors="replace")
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert b"gomap census: " in tty, tty[-500:]
    assert b"gomap census" not in proc.stdout
