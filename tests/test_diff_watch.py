"""gomap-snap, gomap-diff, gomap-watch and the SVG pictures against the scenarios' own truth.

Real gdb on real binaries of ``examples/scenarios``, built with one classic
(1.23.9) and one swiss (1.26.6) release.  Each scenario program records what
it inserted and deleted and len() at every checkpoint (``main.step``); the
tests check that the diff between two checkpoints, and the events
gomap-watch logs between them, say the same.  The programs run with
GODEBUG=asyncpreemptoff=1 so that gdb reports every breakpoint hit once.
"""

import json
import struct
from collections import Counter
import xml.etree.ElementTree as ET

import pytest

from gdb_gomap.diff import diff
from gdb_gomap.render.svg import COLORS, LEGEND
from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "scenarios"
SCHEMA = harness.REPO / "gdb_gomap" / "schema" / "snapshot.schema.json"
ENV = {"GODEBUG": "asyncpreemptoff=1"}
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and not b.experiment and
          b.version in ("1.23.9", "1.26.6")]
LIVE = ("live", "full")


@pytest.fixture(scope="module", params=BUILDS, ids=lambda b: b.id)
def build(request):
    return request.param


@pytest.fixture(scope="module")
def binary(build):
    return toolchains.build_for(EXAMPLE, build)


def run_scenario(binary, scenario, tmp, commands, timeout=240):
    """Run ``scenario`` under gdb to checkpoint 1, then ``commands``; return (truth, output)."""
    truth = tmp / "truth.json"
    res = harness.gdb_batch([str(binary)], ["break main.step", f"run {truth} {scenario} > /dev/null",
                                            *commands, "kill"], timeout=timeout, env=ENV)
    out = res.stdout + res.stderr
    assert "Traceback" not in out, out[-3000:]
    return json.loads(truth.read_text()), out


def _step(truth, n):
    return next(s for s in truth["steps"] if s["step"] == n)


def _i64(hexstr):
    return struct.unpack("<q", bytes.fromhex(hexstr))[0]


# -- gomap-snap and gomap-diff --------------------------------------------------------

@pytest.fixture(scope="module")
def deletehalf(binary, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deletehalf")
    cmds = [f"gomap-snap a main.MInt --save {tmp / 'a.json'}", "continue",
            f"gomap-snap b main.MInt --save {tmp / 'b.json'} --svg {tmp / 'b.svg'}",
            f"gomap-diff a b --json -o {tmp / 'diff.json'}",
            f"gomap-diff a b --svg {tmp / 'diff.svg'} --limit 5",
            f"gomap-diff {tmp / 'a.json'} {tmp / 'b.json'} -o {tmp / 'files.txt'}",
            "gomap-snap --list"]
    truth, out = run_scenario(binary, "deletehalf", tmp, cmds)
    return tmp, truth, out


def test_snapshots_have_raw_cells_and_follow_the_schema(deletehalf):
    jsonschema = pytest.importorskip("jsonschema")
    tmp, truth, _ = deletehalf
    schema = json.loads(SCHEMA.read_text())
    for name in ("a", "b"):
        snap = json.loads((tmp / f"{name}.json").read_text())
        jsonschema.validate(snap, schema)
        cells = [s for c in snap.get("buckets_detail", []) for b in c["chain"] for s in b["slots"]]
        cells += [s for t in snap.get("tables") or [] for g in t["groups_detail"]
                  for s in g["slots"]]
        assert cells and all(len(s["key_raw"]) == 2 * snap["stats"]["key_cell"] and
                              len(s["elem_raw"]) == 2 * snap["stats"]["elem_cell"] for s in cells)
        # the raw key of every live slot is the key the snapshot decoded there
        for s in cells:
            if s["state"] in LIVE:
                assert _i64(s["key_raw"]) == s["key"]
    a = json.loads((tmp / "a.json").read_text())
    assert a["count"] == _step(truth, 1)["maps"]["main.MInt"]["len"]
    assert sorted(e["key"] for e in a["entries"]) == \
        sorted(_step(truth, 1)["maps"]["main.MInt"]["inserted"])


def test_diff_matches_what_the_program_deleted(deletehalf):
    tmp, truth, out = deletehalf
    d = json.loads((tmp / "diff.json").read_text())
    s1, s2 = (_step(truth, n)["maps"]["main.MInt"] for n in (1, 2))
    deleted = s2["deleted"]
    assert d["schema"] == "gomap-diff/1"
    assert (d["a"]["count"], d["b"]["count"]) == (s1["len"], s2["len"])
    assert {"field": "count" if d["a"]["layout"] == "classic" else "used",
            "a": s1["len"], "b": s2["len"]} in d["header"]
    a = json.loads((tmp / "a.json").read_text())
    if a.get("growth"):
        pytest.skip("the map was growing at the first checkpoint: entries move between arrays")
    assert sum(m["released"] + m["allocated"] for m in d["memory"].values()) == 0, d["memory"]
    removed = [c for c in d["slots"] if c["class"] == "removed"]
    assert len(removed) == len(deleted) == s1["len"] - s2["len"]
    assert sorted(c["entry_a"]["key"] for c in removed) == sorted(deleted)
    # nothing else changed: the deletes only took slots out of use (and maybe pruned
    # classic emptyOne runs into emptyRest)
    assert {c["class"] for c in d["slots"]} <= {"removed", "tombstone cleared"}
    assert d["removed"]["slots"] == len(deleted)
    for c in removed:
        # the raw bytes before are the deleted key; after, the key is left or zeroed
        assert _i64(c["key"]["a"]) == c["entry_a"]["key"]
        assert c["key"]["change"] in ("left", "zeroed", "partly zeroed")
        after = bytes.fromhex(c["key"]["b"])
        assert after == bytes.fromhex(c["key"]["a"]) or not any(after) or \
            c["key"]["change"] == "partly zeroed"
    n_states = sum(d["b"]["states"].values())
    assert d["b"]["states"][LIVE[d["b"]["layout"] == "swiss"]] == s2["len"]
    assert n_states == sum(d["a"]["states"].values())
    assert f"count      {s1['len']} -> {s2['len']}" in out
    assert "gomap: wrote the picture to" in out


def test_diff_of_saved_files_is_the_same(deletehalf):
    tmp, _, out = deletehalf
    text = (tmp / "files.txt").read_text()
    d = json.loads((tmp / "diff.json").read_text())
    assert f"{len(d['slots'])} changed" in text
    again = diff(json.loads((tmp / "a.json").read_text()), json.loads((tmp / "b.json").read_text()),
                 "a", "b")
    assert again["slots"] == d["slots"] and again["memory"] == d["memory"]
    assert "a " in out and "b " in out   # gomap-snap --list names both


def _cells(svg_path):
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    fills = set(COLORS.values())
    return [r for r in root.iter(ns + "rect") if r.get("fill") in fills and r.get("width") == "9"]


def test_svg_pictures_show_every_slot_and_ring_the_changes(deletehalf):
    tmp, _, _ = deletehalf
    b = json.loads((tmp / "b.json").read_text())
    d = json.loads((tmp / "diff.json").read_text())
    n_blocks = len([x for c in b.get("buckets_detail", []) for x in c["chain"]]) + \
        sum(len(t["groups_detail"]) for t in b.get("tables") or [])
    cells = _cells(tmp / "b.svg")
    assert len(cells) == 8 * n_blocks + len(LEGEND[b["layout"]])
    slots = [s for c in b.get("buckets_detail", []) for x in c["chain"] for s in x["slots"]]
    slots += [s for t in b.get("tables") or [] for g in t["groups_detail"] for s in g["slots"]]
    for st, n in Counter(s["state"] for s in slots).items():
        # one square per slot in that state, plus its legend swatch
        assert sum(1 for r in cells if r.get("fill") == COLORS[st]) == n + 1
    ringed = [r for r in _cells(tmp / "diff.svg") if r.get("stroke") == "#000000"]
    assert len(ringed) == 2 * len(d["slots"])   # in the before and in the after picture


# -- gomap-watch ----------------------------------------------------------------------

def _no_watch_breakpoints(text):
    return not any(f in text for f in ("mapassign", "mapdelete", "hashGrow", "evacuate",
                                       "maps.(*", "growToTable"))


def test_watch_logs_each_delete_then_each_insert(binary, tmp_path):
    cmds = [f"gomap-watch main.MInt --events delete --count 1000 -o {tmp_path / 'del.json'}",
            "echo MAINT1\\n", "maint info breakpoints", "echo END1\\n",
            f"gomap-watch main.MInt --events assign --count 5 -o {tmp_path / 'ins.json'}",
            "echo MAINT2\\n", "maint info breakpoints", "echo END2\\n",
            "continue", "info breakpoints"]
    truth, out = run_scenario(binary, "deletehalf", tmp_path, cmds)
    s1, s2, s3 = (_step(truth, n)["maps"]["main.MInt"] for n in (1, 2, 3))
    dels = json.loads((tmp_path / "del.json").read_text())
    evs = dels["events"]
    assert [e["kind"] for e in evs] == ["delete"] * len(s2["deleted"])
    assert [e["state"]["count"] for e in evs] == list(range(s1["len"] - 1, s2["len"] - 1, -1))
    assert all(e["before"]["count"] == e["state"]["count"] + 1 for e in evs)
    assert "breakpoint 1" in dels["stopped"]
    assert all(w["condition"].startswith("$") for w in dels["watched"]), dels["watched"]
    ins = json.loads((tmp_path / "ins.json").read_text())
    assert [e["kind"] for e in ins["events"]] == ["assign"] * 5
    assert [e["state"]["count"] for e in ins["events"]] == list(range(s2["len"] + 1,
                                                                     s2["len"] + 6))
    assert ins["stopped"].startswith("5 events")
    for tag in ("1", "2"):
        maint = out.split(f"MAINT{tag}")[1].split(f"END{tag}")[0]
        assert _no_watch_breakpoints(maint), maint
    # the program then runs to the next checkpoint with no breakpoint of ours in the way
    assert "main.step (n=3)" in out
    assert s3["len"] == s2["len"] + len(s3["inserted"])


def test_watch_sees_every_insert_and_each_growth(binary, build, tmp_path):
    cmds = [f"gomap-watch main.MGrow --events assign,grow,split --count 5000 -o "
            f"{tmp_path / 'w.json'}"]
    truth, out = run_scenario(binary, "grow", tmp_path, cmds)
    inserted = _step(truth, 2)["maps"]["main.MGrow"]["inserted"]
    log = json.loads((tmp_path / "w.json").read_text())
    evs = log["events"]
    assigns = [e for e in evs if e["kind"] == "assign"]
    grows = [e for e in evs if e["kind"] in ("grow", "split")]
    assert len(assigns) == len(inserted) == _step(truth, 2)["maps"]["main.MGrow"]["len"]
    assert [e["state"]["count"] for e in assigns] == list(range(1, len(inserted) + 1))
    assert grows, "no growth logged while inserting 1,500 keys"
    size = "B" if build.layout == "classic" else "capacity"
    for g in grows:
        # a grow starts inside an insert: the map holds the keys inserted so far
        i = evs.index(g)
        prev = next((e for e in reversed(evs[:i]) if e["kind"] == "assign"), None)
        assert g["before"]["count"] == (prev["state"]["count"] if prev else 0)
        assert g["state"][size] > g["before"][size] or g["function"].endswith("growToSmall") \
            or (build.layout == "classic" and g["state"]["growth"] == "same-size")
    assert [g["before"][size] for g in grows] == sorted(g["before"][size] for g in grows)
    assert "gomap-watch: stopped: the program hit breakpoint 1" in out


def test_watch_stops_cleanly_on_ctrl_c(binary, tmp_path):
    truth = tmp_path / "truth.json"
    with harness.gdb_session(binary, timeout=60, env=ENV) as g:
        g.cmd("break main.step")
        g.cmd(f"run {truth} churn > /dev/null", timeout=60)
        g.child.sendline("gomap-watch main.MChurn --events assign,delete --count 100000")
        g.child.expect(r"#\d+ ", timeout=60)     # events are flowing
        g.child.sendintr()
        g._expect_prompt(60)
        out = g.child.before
        assert "Traceback" not in out
        assert "gomap-watch: stopped" in out or "gomap: interrupted" in out, out[-2000:]
        maint = g.cmd("maint info breakpoints")
        assert _no_watch_breakpoints(maint), maint
        info = g.cmd("info breakpoints")
        assert "main.step" in info


# -- errors and help ----------------------------------------------------------------

def test_errors_are_one_line(binary, tmp_path):
    cmds = ["gomap-diff nosuch other", "gomap-snap onlyname",
            "gomap-watch main.MInt --events bogus", "gomap-watch main.MNotThere",
            "gomap-watch main.MGrow",           # nil in this scenario: nothing to watch
            "help gomap-diff", "help gomap-watch", "help gomap-snap",
            f"gomap-dump main.MInt --svg {tmp_path / 'dump.svg'}"]
    _, out = run_scenario(binary, "deletehalf", tmp_path, cmds)
    assert "gomap-diff: no snapshot named 'nosuch' and no such file" in out
    assert "gomap-snap: give a NAME and an EXPR" in out
    assert "unknown event kind(s) bogus" in out
    assert "package main has no variable 'MNotThere'" in out
    assert "is a nil map: it has no header to watch" in out
    assert "Show what changed in a Go map between two snapshots." in out
    assert "Log each write the runtime makes to one Go map" in out
    assert "Keep a snapshot of a Go map" in out
    assert "Traceback" not in out
    assert len(_cells(tmp_path / "dump.svg")) >= 8


def test_watch_needs_a_live_process(binary, tmp_path):
    res = harness.gdb_batch([str(binary)], ["gomap-watch main.MInt"], env=ENV)
    assert "gomap: the program is not running: gomap-watch follows a live process" in res.stderr
