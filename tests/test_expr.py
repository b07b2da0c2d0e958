"""Naming a map with gomap's expression grammar (gdb_gomap/expr.py): map lookup
by key and chains through it, maps in interfaces, a struct's maps listed, the
locals of a goroutine's frame on a core (generic functions with their real
types), and the same inside gdb stopped in the program.  Truth (lengths, types,
entries) comes from tests/progs/naming itself; the grammar's one-line errors
are checked without gdb (fast)."""

import json
import re
from pathlib import Path

import pytest

from gdb_gomap.backends.core_file import CoreFile
from gdb_gomap.binary import GoBinary
from gdb_gomap.errors import ExprSyntax, NoSuchKey, NotAMap, UsageError
from gdb_gomap.expr import parse, resolve_map
from gdb_gomap.target import Target
from tests.harness import gdb_batch, gomap, kernel_core_or_skip, require_gdb
from tests.toolchains import MATRIX, build_for

PROG = Path(__file__).parent / "progs" / "naming"
# one classic and one swiss release, optimized and not; locals are named on the
# -N -l builds, where every local has a location
CORE_BUILDS = [b for b in MATRIX if b.version in ("1.23.9", "1.26.6") and not b.experiment]
BUILDS = [b for b in CORE_BUILDS if b.noopt]


# --- the grammar's errors (no gdb, no Go) --------------------------------------------

@pytest.mark.fast
@pytest.mark.parametrize("text, expected, char", [
    ("m[", "a key", 3),
    ('m["a', 'a closing "', 5),
    ("m[nil]", "a key", 3),
    ("m]", "the end", 2),
    ("", "an expression", 1),
    ("m['ab']", "one character between single quotes", 3),
    ("main.x.", "a field name after '.'", 8),
    ("m.[1]", "a field name after '.'", 3),
    ('m["\\q"]', "a Go escape", 4),
    ("(*map[string]int)(zz)", "an address", 19),
    ("(m", "')'", 3),
])
def test_syntax_error_says_what_and_where(text, expected, char):
    with pytest.raises(ExprSyntax) as info:
        parse(text)
    msg = str(info.value)
    assert "\n" not in msg
    assert f"expected {expected}" in msg and f"at character {char} " in msg, msg


@pytest.mark.fast
def test_key_literals():
    keys = {}
    for text in ('m["a b"]', "m[42]", "m[-7]", "m[1.5]", "m[true]", "m['x']", "m[0x10]",
                 'm["\\x41\\u00e9\\n"]', "m[`r\\n`]"):
        node = parse(text)
        assert node[0] == "index" and node[1] == ("name", "m", 0)
        keys[text] = node[2].value
    assert keys == {'m["a b"]': b"a b", "m[42]": 42, "m[-7]": -7, "m[1.5]": 1.5,
                    "m[true]": True, "m['x']": ord("x"), "m[0x10]": 16,
                    'm["\\x41\\u00e9\\n"]': "Aé\n".encode(), "m[`r\\n`]": b"r\\n"}
    assert parse("*(*map[string]int)(0xc000010000)") == \
        ("deref", ("conv", "map[string]int", 0xc000010000, 1), 0)
    chain = parse('main.cfg["db"].pools[2]')
    assert chain[0] == "index" and chain[2].value == 2 and chain[1][2] == "pools"


# --- a core: globals, keys, interfaces, locals ----------------------------------------

@pytest.fixture(scope="module", params=CORE_BUILDS, ids=lambda b: b.id)
def core(request, tmp_path_factory):
    exe = build_for(PROG, request.param)
    path, truth = kernel_core_or_skip(exe, tmp_path_factory.mktemp("naming"), "naming")
    return exe, path, truth, request.param


def _target(exe, path):
    binary = GoBinary(str(exe))
    return Target(binary, CoreFile(str(path), binary))


def test_globals_keys_and_interfaces(core):
    exe, path, truth, _ = core
    t = _target(exe, path)
    checked = 0
    for expr, n in truth["lens"].items():
        if n < 0:
            continue
        mt, header = resolve_map(t, expr)
        assert t.map_count(mt, header) == n, expr
        checked += 1
    assert checked >= 25
    if t.map_kind == "classic":     # caught mid-grow, as the program checked
        assert truth["growing_old"] is True
    for k in truth["growing_keys"]:   # every key, in old buckets or new
        mt, header = resolve_map(t, f"main.Growing[{k}]")
        assert t.map_count(mt, header) == truth["lens"].get(f"main.Growing[{k}]", 0)
    for expr, go_type in truth["types"].items():     # the dynamic type, as Go prints it
        mt, _ = resolve_map(t, expr)
        assert mt.name == go_type.replace("*", ""), (expr, mt.name, go_type)
    snap = t.dump(*resolve_map(t, "main.PlainStr"))
    assert snap.count == len(truth["plain"])
    for key, value in truth["plain"].items():        # any string key, escaped as Go does
        lit = json.dumps(key, ensure_ascii=False)
        with pytest.raises(NotAMap, match="is a int"):
            resolve_map(t, f"main.PlainStr[{lit}]")
        assert value > 0
    with pytest.raises(NoSuchKey, match=r'^no key "zz" in main\.GNested \(2 entries'):
        resolve_map(t, 'main.GNested["zz"]')
    with pytest.raises(UsageError, match="not an integer"):
        resolve_map(t, 'main.ByInt["x"]')
    with pytest.raises(NotAMap, match=r"holds the maps \.cache, \.shards\[0\.\.2\]"):
        resolve_map(t, "main.GSrv")
    with pytest.raises(NotAMap, match=r"holds the maps \.pools\[0\.\.3\]"):
        resolve_map(t, '*main.Cfg["db"]')


def test_locals_of_a_parked_goroutine_on_a_core(core):
    exe, path, truth, build = core
    gids = truth["goroutines"]
    if not build.noopt:
        # optimized: a local may have no location where the goroutine parked; then
        # the answer is one line that says so, else the program's own map
        for name, expr, n in (("holder", "m", truth["holder_len"]),
                              ("int_float32", "m", truth["generic"]["int_float32"]["len"])):
            r = gomap("dump", "--core", path, "--exe", exe, "--goroutine", gids[name],
                      "--frame", "main." + name.replace("int_float32", "testfn"), expr,
                      "--json")
            if r.returncode == 0:
                assert json.loads(r.stdout)["count"] == n
            else:
                assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
                assert "try another frame or a -gcflags=all='-N -l' build" in r.stderr
        return
    for name, want in truth["generic"].items():
        r = gomap("dump", "--core", path, "--exe", exe, "--goroutine", gids[name],
                  "--frame", "main.testfn", "m", "--json")
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["type"] == want["type"] and doc["count"] == want["len"]
        got = {_key_text(e["key"]): e["value"] for e in doc["entries"]}
        assert got.keys() == want["entries"].keys()
        for k, v in want["entries"].items():
            assert got[k] == pytest.approx(v, rel=1e-6), k
        for i in (0, 1):
            r = gomap("dump", "--core", path, "--exe", exe, "--goroutine", gids[name],
                      "--frame", "main.testfn", f"tm.v[{i}]", "--json")
            assert r.returncode == 0 and json.loads(r.stdout)["count"] == want[f"tm_v{i}"]
    r = gomap("dump", "--core", path, "--exe", exe, "--goroutine", gids["holder"], "--frame",
              "3", "m", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["count"] == truth["holder_len"], r.stderr
    r = gomap("dump", "--core", path, "--exe", exe, "m")     # a local needs its frame
    assert r.returncode == 1 and "--goroutine ID --frame N|FUNC" in r.stderr, r.stderr
    r = gomap("dump", "--core", path, "--exe", exe, "--goroutine", gids["holder"], "m")
    assert r.returncode == 1 and "no local or package variable 'm'" in r.stderr
    assert r.stderr.count("\n") == 1


def test_cli_type_and_conversion(core):
    exe, path, truth, _ = core
    t = _target(exe, path)
    mt, header = resolve_map(t, "main.NamedMap")
    r = gomap("dump", "--core", path, "--exe", exe, "--type", "main.Named", hex(header),
              "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["count"] == truth["lens"]["main.NamedMap"]
    addr, _ = t.variable("main.NamedMap")
    r = gomap("dump", "--core", path, "--exe", exe, f"*(*main.Named)({addr:#x})", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["count"] == truth["lens"]["main.NamedMap"]
    # the same variable's memory read as another map type of the same shape
    mt, header2 = resolve_map(t, "*(*map[string]int)(&main.NamedMap)")
    assert (mt.name, header2) == ("map[string]int", header)


def _key_text(key):
    """A key of the JSON as the program's truth spells it ('1', '{1 2}')."""
    if isinstance(key, dict):
        return "{" + " ".join(str(v) for v in key.values()) + "}"
    return str(key)


# --- inside gdb, stopped in the generic function ---------------------------------------

@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_inside_gdb(build, tmp_path):
    if not require_gdb():
        pytest.skip("gdb is not installed")
    exe = build_for(PROG, build)
    truth_path = tmp_path / "truth.json"
    # each stop its own breakpoint (stopHere's n is len(m)): a continue that gdb
    # ends at the breakpoint it was stepping over cannot pass for the second stop
    cmds = ["break main.stopHere if n == 3", f"run {truth_path} > /dev/null", "up",
            "gomap-dump m --json", "gomap-dump tm.v[1] --json",
            'gomap-dump main.Cfg["db"].pools[2] --json', 'gomap-dump main.GNested["b b"] --json',
            "gomap-dump main.IfacePtr --json", "gomap-list --json",
            # a named map type and the map type it names share a DIE: each its own name
            "gomap-dump main.NamedMap --json", "gomap-dump main.ByFloat[1.5] --json",
            'gomap-dump main.GNested["zz"]', "delete", "break main.stopHere if n == 2",
            "continue", "up", "gomap-dump m --json", "kill"]
    r = gdb_batch([exe], cmds, timeout=240, env={"GODEBUG": "asyncpreemptoff=1"})
    truth = json.loads(truth_path.read_text())
    docs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(docs) == 9, (r.stdout[-2000:], r.stderr[-2000:])
    m1, tmv, chain, spaced, ptr, listing, named, plain, m2 = docs
    assert (named["type"], named["count"]) == ("main.Named", truth["lens"]["main.NamedMap"])
    assert (plain["type"], plain["count"]) == ("map[string]int",
                                               truth["lens"]["main.ByFloat[1.5]"])
    g1, g2 = truth["generic"]["int_float32"], truth["generic"]["key_int"]
    assert (m1["type"], m1["count"]) == (g1["type"], g1["len"])
    assert tmv["count"] == g1["tm_v1"] and tmv["type"] == "map[string]float32"
    assert chain["count"] == truth["lens"]['main.Cfg["db"].pools[2]']
    assert spaced["count"] == truth["lens"]['main.GNested["b b"]']
    assert ptr["count"] == truth["lens"]["main.IfacePtr"]
    assert (m2["type"], m2["count"]) == (g2["type"], g2["len"])
    rows = listing["maps"] if isinstance(listing, dict) else listing
    local = [row for row in rows if re.fullmatch(r"frame \d+: m", row.get("expr", ""))]
    assert local and local[0]["expr"] == "frame 1: m" and local[0]["type"] == g1["type"], local
    assert 'gomap: no key "zz" in main.GNested' in r.stderr


@pytest.mark.fast
def test_any_text_parses_or_is_one_line_syntax_error():
    """Whatever is typed, the parser answers with a tree or one ExprSyntax line."""
    from hypothesis import given, settings, strategies as st
    alphabet = st.sampled_from(list("m.a_1[]()*\"'`\\-:x0 eE+\t") + ["main.", "0x", "true"])

    @settings(max_examples=2000, deadline=None)
    @given(st.lists(alphabet, max_size=16).map("".join))
    def check(text):
        try:
            parse(text)
        except ExprSyntax as exc:
            assert "\n" not in str(exc) and 0 <= exc.pos <= len(text)
    check()
