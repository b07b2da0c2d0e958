"""The fast tier: decoders, views, diff and expressions on recorded map memory.

No gdb, no toolchain, no process: each fixture (tests/fixtures, written by
``python -m tests.fixtures.record``) is the memory a decode read from a real
Go program at its READY state, the executable's own DWARF and the truth file
the program wrote about its maps.  Every check compares gomap's output with
that truth, never with an earlier gomap output.

    ~/.local/share/gomap/venv/bin/python -m pytest -m fast -q
"""

import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from gdb_gomap.decoding import DumpOptions
from gdb_gomap.diff import blocks, diff
from gdb_gomap.errors import NoSuchName, NotAMap, SideEffect, UnreadableMemory, UsageError
from gdb_gomap.exprcheck import check, side_effect
from gdb_gomap.resolve import resolve_map
from gdb_gomap.render import difftext
from gdb_gomap.render import text as text_view
from gdb_gomap.render.jsonout import snapshot_json, write_json
from gdb_gomap.render.svg import COLORS, LEGEND, diff_svg, snapshot_svg
from gdb_gomap.target import Target
from tests import fixtures
from tests.mapcheck import canon, compare, schema_problems, truth_entries

pytestmark = pytest.mark.fast

LIVE = ("live", "full")


def _cases():
    for fid in fixtures.MAPSTATES:
        for name, expr in fixtures.load(fid).maps:
            yield pytest.param(fid, name, expr, id=f"{fid}-{name}")


CASES = list(_cases())


def _dump(rec, expr, **opts):
    mt, addr = resolve_map(rec.target, expr)
    return rec.target.dump(mt, addr, DumpOptions(**opts))


def _json(snap):
    buf = io.StringIO()
    write_json(snap, buf.write)
    return json.loads(buf.getvalue())


def _text(snap, **kw):
    buf = io.StringIO()
    text_view.render(snap, buf.write, **kw)
    return buf.getvalue()


# -- the recordings are what the tests think they are -----------------------

@pytest.mark.parametrize("fid", fixtures.MAPSTATES)
def test_fixture_has_the_layout_and_states_under_test(fid):
    rec = fixtures.load(fid)
    truth = rec.truth
    assert rec.target.map_kind == truth["layout"] == rec.meta["layout"]
    assert truth["go_version"].startswith(rec.target.go_version)
    assert {n for n, _ in rec.maps} == set(truth["maps"])
    assert any(n.startswith("local:") for n, _ in rec.maps), "no stack map was recorded"
    maps = truth["maps"]
    if truth["layout"] == "classic":
        grow = maps["main.GGrowing"]["header"]
        assert int(grow["oldbuckets"], 16) and not grow["flags"] & 8, "GGrowing is not mid-grow"
        same = maps["main.GSameSize"]["header"]
        assert int(same["oldbuckets"], 16) and same["flags"] & 8, maps["main.GSameSize"]["note"]
        tops = [t for b in maps["main.GInt"]["buckets_detail"] for n in b["chain"]
                for t in n["tophash"]]
        assert 1 in tops, "GInt has no emptyOne (deleted) cell"
    else:
        assert any(len(t["directory_slots"]) > 1 for t in maps["main.GDir"]["tables"]), \
            "GDir has no table filling two directory slots (a table split)"
        ctrl = [w for t in maps["main.GTomb"]["tables"] for w in t["ctrl"]]
        assert any((w >> (8 * i)) & 0xFF == 0xFE for w in ctrl for i in range(8)), \
            "GTomb has no tombstone"
        assert truth["split_groups"] == ("mapsplitgroup" in fid)
    assert len(maps["main.GStr"]["entries"]) > 20 and \
        all(isinstance(e["key"], str) for e in maps["main.GStr"]["entries"])


# -- decoders and the JSON view against the program's truth -------------------

@pytest.mark.parametrize("fid,name,expr", CASES)
def test_decode_matches_truth(fid, name, expr):
    """Entries (as a multiset), header, buckets with tophash chains or tables with
    control words, and the JSON schema, as ``gomap dump --json --buckets`` gives them."""
    rec = fixtures.load(fid)
    snap = _json(_dump(rec, expr, detail=True))
    assert snap["layout"] == rec.truth["layout"]
    problems = compare(rec.truth["maps"][name], snap)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("fid,name,expr", [c for c in CASES if "GInt" in c.id or "GStr" in c.id])
def test_limit_gives_a_subset_of_the_truth(fid, name, expr):
    rec = fixtures.load(fid)
    snap = _json(_dump(rec, expr, limit=10))
    want = Counter(canon(e) for e in rec.truth["maps"][name]["entries"])
    got = Counter(canon(e) for e in truth_entries(snap))
    assert len(snap["entries"]) == 10 and not got - want
    assert snap["count"] == rec.truth["maps"][name]["len"]


# -- the text view -------------------------------------------------------------

def _scalar(v):
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        return None
    return json.dumps(v) if isinstance(v, str) else str(v)


@pytest.mark.parametrize("fid,name,expr", CASES)
def test_text_view_shows_every_entry_and_block(fid, name, expr):
    rec = fixtures.load(fid)
    truth = rec.truth["maps"][name]
    out = _text(_dump(rec, expr, detail=True), entries=True, buckets=True)
    assert "Traceback" not in out and "warning: MISMATCH" not in out
    if truth["nil"]:
        assert "nil map" in out
        return
    field = "count" if rec.truth["layout"] == "classic" else "used"
    assert f"\n  {field:<10} {truth['len']:,}\n" in out
    assert f"\nentries: {truth['len']:,}\n" in out
    # one "  key: value" line per entry; exactly the truth's when both are plain
    # integers or strings
    lines = out.split(f"\nentries: {truth['len']:,}\n", 1)[1].splitlines()
    entry_lines = [l for l in lines if l.startswith("  ")]
    assert len(entry_lines) == truth["len"]
    plain = [(_scalar(e["key"]), _scalar(e["value"])) for e in truth["entries"]]
    if plain and all(k is not None and v is not None for k, v in plain):
        assert Counter(entry_lines) == Counter(f"  {k}: {v}" for k, v in plain)
    # one line per bucket (and overflow bucket) or per group
    if rec.truth["layout"] == "classic":
        if "buckets_detail" in truth:
            n = sum(len(b["chain"]) for b in truth["buckets_detail"] +
                    truth.get("old_buckets", []))
            assert len(re.findall(r"^(?:old bucket \d+|bucket \d+|  overflow)\s+0x", out, re.M)) == n
    else:
        n = sum(len(t["ctrl"]) for t in truth["tables"]) + (truth.get("group_ctrl") is not None)
        assert len(re.findall(r"^(?:table \d+ group \d+|group)\s+0x", out, re.M)) == n


@pytest.mark.parametrize("fid,name,expr", [c for c in CASES if "GNil" not in c.id])
def test_bytes_held_are_the_regions_the_program_names(fid, name, expr):
    """The map's own memory (header, buckets, overflow, directory, tables, groups)
    adds up to the regions the program listed; indirect keys and elems come on top."""
    rec = fixtures.load(fid)
    regions = rec.truth["maps"][name]["regions"]
    snap = _dump(rec, expr, entries=False)
    held = dict(snap.stats["bytes"])
    own = held["total"] - held.get("indirect_keys", 0) - held.get("indirect_elems", 0)
    assert own == sum(r["size"] for r in regions), (held, regions)
    assert f"\n  held       {held['total']:,} bytes" in _text(snap)


# -- the SVG picture -----------------------------------------------------------

def _slot_rects(svg):
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    fills = set(COLORS.values())
    return [r for r in root.iter(ns + "rect") if r.get("fill") in fills and r.get("width") == "9"]


@pytest.mark.parametrize("fid,name,expr", [c for c in CASES if "GNil" not in c.id])
def test_svg_draws_one_square_per_slot(fid, name, expr):
    rec = fixtures.load(fid)
    truth = rec.truth["maps"][name]
    snap = snapshot_json(_dump(rec, expr, detail=True))
    blks = blocks(snap)
    if not blks:
        return   # an empty map with nothing allocated: nothing to draw
    rects = _slot_rects(snapshot_svg(snap))
    layout = rec.truth["layout"]
    assert len(rects) == 8 * len(blks) + len(LEGEND[layout])
    live = sum(1 for r in rects if r.get("fill") == COLORS[LIVE[layout == "swiss"]]) - 1
    assert live == truth["len"], "live squares differ from the program's len()"


# -- the diff --------------------------------------------------------------------

@pytest.fixture(params=fixtures.TWOSTATES)
def twostates(request):
    a, b = fixtures.load(request.param, "a"), fixtures.load(request.param, "b")
    assert (a.truth["phase"], b.truth["phase"]) == (1, 2)
    return a, b


def _pair(twostates, name):
    a, b = twostates
    snaps = [_json(_dump(r, name, detail=True, raw=True)) for r in (a, b)]
    for s, r in zip(snaps, (a, b)):   # each side is what the program held then
        t = r.truth["maps"][name]
        assert not schema_problems(s)
        assert (s["count"], int(s["address"], 16)) == (t["len"], int(t["address"], 16))
        assert Counter(canon(e) for e in truth_entries(s)) == Counter(canon(e) for e in t["entries"])
    return snaps, diff(snaps[0], snaps[1], "a", "b"), [r.truth["maps"][name] for r in (a, b)]


def test_diff_of_deletes_shows_exactly_the_deleted_keys(twostates):
    (sa, sb), d, (ta, tb) = _pair(twostates, "main.MInt")
    assert (d["a"]["count"], d["b"]["count"]) == (ta["len"], tb["len"])
    assert sum(m["released"] + m["allocated"] for m in d["memory"].values()) == 0
    removed = [c for c in d["slots"] if c["class"] == "removed"]
    assert sorted(c["entry_a"]["key"] for c in removed) == sorted(tb["deleted"])
    assert {c["class"] for c in d["slots"]} <= {"removed", "tombstone cleared"}
    assert d["removed"]["slots"] == len(tb["deleted"]) == ta["len"] - tb["len"]
    out = io.StringIO()
    difftext.render(d, out.write)
    assert f"count      {ta['len']} -> {tb['len']}" in out.getvalue()
    rings = [r for r in _slot_rects(diff_svg(sa, sb, d)) if r.get("stroke") == "#000000"]
    assert len(rings) == 2 * len(d["slots"])


def test_diff_of_inserts_and_updates(twostates):
    (sa, sb), d, (ta, tb) = _pair(twostates, "main.MStr")
    values_b = {e["key"]: e["value"] for e in tb["entries"]}
    rewritten = [c for c in d["slots"] if c["class"] == "rewritten in place"]
    assert sorted(c["entry_b"]["key"] for c in rewritten) == sorted(tb["updated"])
    assert all(c["entry_a"]["key"] == c["entry_b"]["key"] and
               c["entry_b"]["value"] == values_b[c["entry_b"]["key"]] for c in rewritten)
    # a new key lands in a slot that was free, or in an overflow bucket allocated since
    added = [c["entry_b"]["key"] for c in d["slots"] if c["class"] == "added"]
    ba, bb = blocks(sa), blocks(sb)
    fresh = [s["key"] for addr, blk in bb.items() if addr not in ba for s in blk["slots"]
             if s["state"] in LIVE]
    assert sorted(added + fresh) == sorted(tb["inserted"])
    assert {c["class"] for c in d["slots"]} == {"added", "rewritten in place"}


# -- expressions: the side-effect check and paths ------------------------------

EXPRESSIONS = [
    # (expression, None when accepted, else (what, token))
    ("main.cache", None),
    ("main.srv.shards[3]", None),
    ("*main.ptr", None),
    ("main.a == main.b", None),
    ("main.a != 1 && main.b <= 2 || main.c >= 3", None),
    ("uintptr(main.p)", None),
    ("(*map[string]int)(0xc000010000)", None),
    ("(unsigned long)(main.x)", None),
    ("sizeof(main.x)", None),
    ("unsafe.Sizeof(main.x)", None),
    ("'main.cache'", None),
    ('"a=b"', None),
    ("'='", None),
    ("main.a - -1", None),
    ("(main.a)", None),
    ("main.Big = main.Small", ("an assignment", "=")),
    ("x := 1", ("an assignment", ":=")),
    ("$x = 1", ("an assignment", "=")),
    ("main.n += 2", ("an assignment", "+=")),
    ("main.n &^= 2", ("an assignment", "&^=")),
    ("main.n <<= 1", ("an assignment", "<<=")),
    ("main.n++", ("an increment", "++")),
    ("main.a--1", ("a decrement", "--")),
    ("main.f()", ("a function call", "main.f(")),
    ("$_strlen(main.s)", ("a function call", "$_strlen(")),
    ("(*f)(x)", ("a function call", "(*f)(")),
    ("main.fns[0](1)", ("a function call", "main.fns[0](")),
    ("main.get(1)[2]", ("a function call", "main.get(")),
    ("'unclosed = 1", ("an assignment", "=")),
]


@pytest.mark.parametrize("expr,want", EXPRESSIONS, ids=[e for e, _ in EXPRESSIONS])
def test_expression_check(expr, want):
    found = side_effect(expr)
    assert (found[:2] if found else None) == want
    if want is None:
        check(expr)
    else:
        with pytest.raises(SideEffect) as exc:
            check(expr)
        assert "\n" not in str(exc.value) and repr(want[1]) in str(exc.value)


def test_expression_check_knows_the_programs_types():
    """NAME(x) is a conversion when NAME is a type of the program (from its DWARF)."""
    rec = fixtures.load("mapstates-go1.26.6")
    is_type = lambda n: n in rec.target.index.types   # noqa: E731
    assert side_effect("main.NamedMap(main.GNamed)", is_type) is None
    assert side_effect("main.NamedMap(main.GNamed)")[:2] == ("a function call", "main.NamedMap(")
    assert side_effect("main.buildGlobals()", is_type)[0] == "a function call"


@pytest.mark.parametrize("fid", fixtures.MAPSTATES)
def test_paths_resolve_like_the_program_says(fid):
    rec = fixtures.load(fid)
    maps = rec.truth["maps"]
    for i in range(3):
        mt, addr = resolve_map(rec.target, f"main.GSrv.shards[{i}]")
        assert addr == int(maps[f"main.GSrv.shards[{i}]"]["address"], 16)
        assert mt.name == "map[int64]int64"
    assert resolve_map(rec.target, "main.GSrv.cache")[1] == \
        int(maps["main.GSrv.cache"]["address"], 16)
    assert resolve_map(rec.target, "main.GNil")[1] == 0
    mt, addr = resolve_map(rec.target, f"{maps['main.GStr']['address']}:map[string]int")
    assert addr == int(maps["main.GStr"]["address"], 16)
    snap = rec.target.dump(mt, addr)
    assert snap.count == maps["main.GStr"]["len"]
    bad = [("main.GSrv.shards[3]", NoSuchName, "index 3 out of range [0,3)"),
           ("main.GSrv.nosuch", NoSuchName, "has no field 'nosuch'"),
           ("main.GSrv.name", NotAMap, "not a Go map"),
           ("main.NoSuchVar", NoSuchName, "no package variable"),
           ("main.GInt = main.GStr", SideEffect, "an assignment"),
           ("main.GSrv.shards[0", UsageError, "cannot parse")]
    for expr, err, words in bad:
        with pytest.raises(err) as exc:
            resolve_map(rec.target, expr)
        assert words in str(exc.value) and "\n" not in str(exc.value), expr


def test_memory_outside_the_recording_is_unreadable():
    """The replay serves only what was recorded: a decode that wandered would fail."""
    rec = fixtures.load("mapstates-go1.26.6")
    start, data = rec.memory.regions[0]
    with pytest.raises(UnreadableMemory):
        rec.memory.read(start + len(data), 8)
    assert not schema_problems(_json(_dump(rec, "main.GSmall", detail=True)))


@pytest.mark.parametrize("fid", fixtures.MAPSTATES)
def test_the_truth_comparison_sees_one_changed_byte(fid):
    """The comparison with the truth can fail: one live value byte changed in the
    recorded memory makes exactly that entry differ."""
    rec = fixtures.load(fid)
    snap = _dump(rec, "main.GInt", detail=True, raw=True)
    slot, addr = next((s, b.address) for b in _blocks_of(snap) for s in b.slots
                      if s.state in LIVE)
    cell = rec.target.layout(rec.target.map_type("map[int64]int64")).elems
    elem_at = addr + cell.offset + slot.index * cell.stride
    old = rec.memory.read(elem_at, 1)
    patched = Target(rec.binary, rec.memory.patched({elem_at: bytes([old[0] ^ 1])}))
    mt, header = resolve_map(patched, "main.GInt")
    problems = compare(rec.truth["maps"]["main.GInt"],
                       _json(patched.dump(mt, header, DumpOptions(detail=True))))
    assert len(problems) == 1 and "1 missing" in problems[0] and "1 unexpected" in problems[0]


@pytest.mark.parametrize("fid", fixtures.MAPSTATES)
def test_the_truth_comparison_sees_a_wrong_slot_state(fid):
    """Slot states are checked against the program's own tophash or control bytes
    (not against the tag gomap shows): a live slot shown as another state is one
    problem naming that bucket or group."""
    rec = fixtures.load(fid)
    snap = _json(_dump(rec, "main.GInt", detail=True))
    nodes = [n for c in snap.get("buckets_detail") or [] for n in c["chain"]] + \
        [g for t in snap.get("tables") or [] for g in t.get("groups_detail") or []] + \
        ([snap["group_detail"]] if snap.get("group_detail") else [])
    slot = next(s for n in nodes for s in n["slots"] if s["state"] in LIVE)
    slot["state"] = "emptyOne" if slot["state"] == "live" else "deleted"
    problems = compare(rec.truth["maps"]["main.GInt"], snap)
    assert len(problems) == 1 and "slot states" in problems[0], problems


def _blocks_of(snap):
    for c in snap.chains or []:
        yield from c.buckets
    for t in snap.tables or []:
        yield from t.groups or []
    if snap.group is not None:
        yield snap.group
