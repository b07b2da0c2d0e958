"""Values as a user reads them (issue 15), against the program's own truth, in gdb on a
live process and through the CLI on a core gdb wrote of it, classic and swiss.

tests/progs/valshow holds a map of func values (named functions, a closure, a method
value, nil), maps keyed and valued by named integer types with constants (and values
equal to none), maps keyed by [32]byte (sha256 sums) and [8]byte (one printable, one
not), and a map of []int of lengths 0, 3, 64, 65 and 156 (and nil).  Its truth: the
runtime's name for each func value's code (runtime.FuncForPC), each integer's constant
from a table in the program, each byte key's hex, each slice's len, cap and items.
"""

import json

import pytest

from tests import harness, toolchains
from tests.mapcheck import schema_problems

VALSHOW = harness.REPO / "tests" / "progs" / "valshow"
MAPS = ("main.Funcs", "main.Attrs", "main.Levels", "main.Sums", "main.Tags", "main.Lists")
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]
MAX_ITEMS = 64      # Limits.max_items, the default of --max-items
PRINTABLE = range(0x20, 0x7F)


@pytest.fixture(scope="module", params=BUILDS, ids=[b.id for b in BUILDS])
def valshow(request):
    return toolchains.build_for(VALSHOW, request.param)


@pytest.fixture(scope="module")
def shown(valshow, tmp_path_factory, gdb_path):
    """What gdb (live) and the CLI (on gdb's core) show of every map, with the truth."""
    d = tmp_path_factory.mktemp("valshow")
    core = d / "valshow.core"
    cmds = []
    for name in MAPS:
        cmds += [f"gomap-dump {name} --json -o {d / name}.json",
                 f"gomap-dump {name} --entries --color off -o {d / name}.txt"]
    cmds += [f"gomap-dump main.Lists --json --max-items 200 -o {d}/whole.json",
             f"gcore {core}"]
    with harness.start_example(valshow, d / "truth.json") as ex:
        res = harness.gdb_batch(["-p", str(ex.pid)], cmds, timeout=300)
        truth = ex.truth
    assert "Traceback" not in res.stderr, res.stderr
    assert core.exists(), "gdb wrote no core: " + res.stderr[-2000:]
    out = {"truth": truth, "json": {}, "text": {}, "core": {}}
    for name in MAPS:
        out["json"][name] = json.loads((d / f"{name}.json").read_text())
        out["text"][name] = (d / f"{name}.txt").read_text()
        r = harness.gomap("dump", "--core", core, "--exe", valshow, name, "--json")
        assert r.returncode == 0, r.stderr
        out["core"][name] = json.loads(r.stdout)
    out["whole"] = json.loads((d / "whole.json").read_text())
    core.unlink()
    return out


def _by_key(doc):
    return {json.dumps(e["key"]): e["value"] for e in doc["entries"]}


def test_snapshots_follow_the_schema_and_the_core_agrees(shown):
    for name in MAPS:
        doc = shown["json"][name]
        assert doc["schema"] == "gomap-snapshot/2"
        assert not schema_problems(doc), (name, schema_problems(doc)[:3])
        assert doc["count"] == len(shown["truth"][name]), name
        # the CLI on the core shows what gdb showed live
        assert shown["core"][name]["entries"] == doc["entries"], name


def test_func_values_are_named_by_their_function(shown):
    want = shown["truth"]["main.Funcs"]
    assert want["double"] == "main.double" and want["closure"] != want["double"]
    got = {e["key"]: e["value"] for e in shown["json"]["main.Funcs"]["entries"]}
    assert set(got) == set(want)
    for key, name in want.items():
        if not name:
            assert got[key] is None, key
            continue
        assert got[key]["func"] == name, key
        assert int(got[key]["entry"], 16) and int(got[key]["address"], 16)
    text = shown["text"]["main.Funcs"]
    for key, name in want.items():
        assert f'  "{key}": {name or "nil"}\n' in text, (key, text)


def _named(value, const):
    return {"value": value, "const": const} if const else value


def test_named_integers_show_their_constant(shown):
    values = shown["truth"]["values"]
    attrs = shown["truth"]["main.Attrs"]         # decimal key -> constant name or ""
    assert "" in attrs.values() and attrs[str(values["AttrStrideSize"])] == "AttrStrideSize"
    keys = [e["key"] for e in shown["json"]["main.Attrs"]["entries"]]
    assert sorted(keys, key=lambda k: k["value"] if isinstance(k, dict) else k) == \
        sorted((_named(int(k), c) for k, c in attrs.items()),
               key=lambda k: k["value"] if isinstance(k, dict) else k)
    text = shown["text"]["main.Attrs"]
    for k, const in attrs.items():
        assert (f"  {const} ({k}): " if const else f"  {k}: ") in text, (k, text)

    levels = shown["truth"]["main.Levels"]       # key -> constant name or ""
    got = {e["key"]: e["value"] for e in shown["json"]["main.Levels"]["entries"]}
    for key, const in levels.items():
        if const:
            assert got[key] == {"value": values[const], "const": const}, key
            assert f'  "{key}": {const} ({values[const]})\n' in shown["text"]["main.Levels"]
        else:
            assert isinstance(got[key], int) and got[key] not in values.values(), key


def test_byte_arrays_show_as_text_or_hex(shown):
    for name in ("main.Sums", "main.Tags"):
        want = shown["truth"][name]              # hex key -> value
        got = {e["key"]: e["value"] for e in shown["json"][name]["entries"]}
        assert got == want, name
        text = shown["text"][name]
        for hexkey, value in want.items():
            raw = bytes.fromhex(hexkey)
            shownkey = f'"{raw.decode()}"' if all(b in PRINTABLE for b in raw) \
                else f"0x{hexkey}"
            assert f"  {shownkey}: {json.dumps(value)}\n" in text, (hexkey, text)
    assert any(all(b in PRINTABLE for b in bytes.fromhex(k)) for k in shown["truth"]["main.Tags"])


def test_cut_slices_keep_their_length_and_are_named(shown):
    want = shown["truth"]["main.Lists"]
    cut = {k for k, s in want.items() if s["len"] > MAX_ITEMS}
    assert len(cut) >= 2 and any(s["len"] == MAX_ITEMS for s in want.values())
    for doc, limit in ((shown["json"]["main.Lists"], MAX_ITEMS), (shown["whole"], 200)):
        got = {e["key"]: e["value"] for e in doc["entries"]}
        assert set(got) == set(want)
        for key, s in want.items():
            if s["nil"]:
                assert got[key] is None, key
            else:
                assert got[key] == {"len": s["len"], "cap": s["cap"],
                                    "items": s["items"][:limit]}, key
    warned = [w for w in shown["json"]["main.Lists"]["warnings"] if "--max-items" in w]
    assert len(warned) == 1, shown["json"]["main.Lists"]["warnings"]
    for key, s in want.items():
        assert (f'key "{key}" (len {s["len"]})' in warned[0]) == (key in cut), (key, warned)
    assert not [w for w in shown["whole"]["warnings"] if "--max-items" in w]
    text = shown["text"]["main.Lists"]
    for key in cut:
        assert f"... (len {want[key]['len']}, first {MAX_ITEMS} decoded)]" in text, text
    assert f"warning: {warned[0]}" in text
