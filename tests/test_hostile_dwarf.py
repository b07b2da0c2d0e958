"""Hostile and unusual DWARF (issue 12, items 4, 6, 7).

- The index cache cannot be fooled: two different programs built with the same
  ``-buildid`` and padded to the same size each show their own map; cache files
  of the wrong shape, or that disagree with the DWARF, are rebuilt.
- Corrupt DWARF (bit flips, a damaged zlib stream, references past the end)
  ends in one line, exit 1 in the CLI and a gomap error in gdb, never exit 3,
  a traceback or a hang.
- A zlib bomb is refused before it is inflated.
- GNU ``.zdebug_*`` sections (objcopy --compress-debug-sections=zlib-gnu) are read.

The base (mapstates with Go 1.26.6, its core, its copies with the DWARF inflated
and with .zdebug sections) is tests/fuzz_dwarf.py's; so is the CLI runner, which
measures each run's time and peak RSS.
"""

import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import fuzz_dwarf as F
from tests import harness, toolchains
from tests.mapcheck import compare

FLIP_CASES = 30       # bit flips through the CLI (list and dump each)
FUZZ_CASES = 40       # `python -m tests.fuzz_dwarf --cases 10000` runs many more


@pytest.fixture(scope="module")
def base(request, gdb_path):
    return F.load_base(request.config.cache.mkdir("gomap-dwarf-fuzz"))


@pytest.fixture
def cache_env(tmp_path):
    env = dict(os.environ, GOMAP_CACHE=str(tmp_path / "gomap-cache"))
    env.pop("GOMAP_NO_CACHE", None)
    return env


def gomap(*args, env=None):
    """A fuzz_dwarf.Run (exit status, stderr, seconds, peak RSS) of the CLI."""
    return F.run_cli(list(args), env, budget=120)


def gomap_out(*args, env=None):
    """(returncode, stdout, stderr) of the CLI."""
    r = subprocess.run([sys.executable, "-m", "gdb_gomap.cli.main", *map(str, args)],
                       capture_output=True, text=True, timeout=300, cwd=harness.REPO, env=env)
    return r.returncode, r.stdout, r.stderr


def one_line_error(rc, err):
    assert rc == 1, f"exit {rc}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gomap: "), err
    return lines[0]


def check_with_truth(base, exe, names, env):
    for name in names:
        rc, out, err = gomap_out("dump", "--core", base.core, "--exe", exe, name, "--json",
                                 "--buckets", env=env)
        assert rc == 0, err
        problems = compare(base.truth["maps"][name], json.loads(out))
        assert not problems, f"{name}: " + "\n".join(problems)


# --- 4: the cache is keyed by content ---------------------------------------------------

PROG = """package main

import (
	"encoding/json"
	"os"
	"time"
)

%s

func main() {
%s
	b, _ := json.Marshal(map[string]any{"M": M})
	if err := os.WriteFile(os.Args[1], b, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\\n")
	for {
		time.Sleep(time.Hour)
	}
}
"""
# B declares one more map before M, so B's DIE for M is not where A's is; with A's
# index, B's main.M used to be B's main.Other, shown without a word.
PROGS = {
    "a": ("var M map[string]int", '\tM = map[string]int{"a-one": 1, "a-two": 2}'),
    "b": ("var Other map[string]int\nvar M map[string]int",
          '\tOther = map[string]int{"other": 7}\n'
          '\tM = map[string]int{"b-one": 10, "b-two": 20, "b-three": 30}'),
}


def _forged_pair(tmp_path):
    go = toolchains.go_binary(F.VERSION)
    exes = {}
    for name, (decls, body) in PROGS.items():
        d = tmp_path / name
        d.mkdir()
        (d / "go.mod").write_text("module prog\n\ngo 1.21\n")
        (d / "main.go").write_text(PROG % (decls, body))
        exes[name] = d / "prog"
        subprocess.run([str(go), "build", "-ldflags=-buildid=forged", "-o", str(exes[name]),
                        "."], cwd=d, env=toolchains.go_env(F.VERSION), check=True,
                       capture_output=True)
    size = max(p.stat().st_size for p in exes.values())
    for p in exes.values():    # the same size too: the old cache key was build ID + size
        with open(p, "ab") as f:
            f.write(b"\0" * (size - p.stat().st_size))
    return exes["a"], exes["b"]


def _go_build_id(path):
    with open(path, "rb") as f:
        sec = ELFFile(f).get_section_by_name(".note.go.buildid")
        return next(iter(sec.iter_notes()))["n_desc"]


def test_forged_build_id_shares_no_cache(tmp_path, cache_env):
    a, b = _forged_pair(tmp_path)
    assert _go_build_id(a) == _go_build_id(b) and a.stat().st_size == b.stat().st_size
    assert a.read_bytes() != b.read_bytes()
    for exe in (a, b):       # A first: its index is in the cache when B is read
        with harness.start_example(exe) as ex:
            rc, out, err = gomap_out("dump", "--pid", ex.pid, "main.M", "--json", env=cache_env)
            assert rc == 0, err
            got = {e["key"]: e["value"] for e in json.loads(out)["entries"]}
            assert got == ex.truth["M"], f"{exe.parent.name}: {got} != its own {ex.truth['M']}"


# --- 4: cache files of the wrong shape, or that disagree with the DWARF -----------------

def _cache_file(env):
    files = list((Path(env["GOMAP_CACHE"]) / "dwarf").glob("*.json"))
    assert len(files) == 1, files
    return files[0]


def _swapped(good, a, b):
    bad = json.loads(json.dumps(good))
    bad["variables"][a], bad["variables"][b] = good["variables"][b], good["variables"][a]
    return bad


def test_cache_of_wrong_shape_is_rebuilt(base, tmp_path, cache_env):
    name = "main.GInt"
    check_with_truth(base, base.exe, [name], cache_env)        # builds and saves the index
    path = _cache_file(cache_env)
    good = json.loads(path.read_text())
    assert good["variables"]["main.GInt"] != good["variables"]["main.GStr"]
    header = {k: good[k] for k in ("format", "digest") if k in good}
    shapes = {
        "not json": "{\"types\": {", "binary": b"\x00\xff\xfe garbage",
        "list": [], "number": 5, "null": None, "string": "types",
        "types is 5": {**header, "types": 5, "variables": {}, "runtime_types": {}},
        "missing keys": header,
        "types a list": {**good, "types": list(good["types"])},
        "string offsets": {**good, "variables": {k: str(v) for k, v in good["variables"].items()}},
        "float offsets": {**good, "variables": {k: v + 0.5 for k, v in good["variables"].items()}},
        "bool offsets": {**good, "variables": {k: True for k in good["variables"]}},
        "negative offset": {**good, "variables": {**good["variables"], name: -1}},
        "offset past .debug_info": {**good, "variables": {**good["variables"], name: 10 ** 9}},
        "empty offset list": {**good, "types": {**good["types"], "string": []}},
        "runtime type key": {**good, "runtime_types": {"x": 1}},
        "deep nesting": "[" * 100000 + "]" * 100000,
        "wrong digest": {**good, "digest": "0" * 40},
        "old format": {**good, "format": 3},
        # Well formed, wrong: caught when the DWARF is read, not by the shape
        "variables swapped": _swapped(good, "main.GInt", "main.GStr"),
        "variable inside its DIE": {**good, "variables": {
            **good["variables"], name: good["variables"][name] + 1}},
        "map header type moved": {**good, "types": {
            **good["types"], "internal/runtime/maps.Map": good["types"]["string"]}},
        "runtime types rotated": {**good, "runtime_types": dict(zip(
            good["runtime_types"], list(good["runtime_types"].values())[1:] +
            list(good["runtime_types"].values())[:1]))},
    }
    # map[any]any: its values' dynamic types are looked up by runtime type
    names = {"runtime types rotated": [name, "main.GAny"]}

    def one(item):
        i, (what, shape) = item
        env = dict(cache_env, GOMAP_CACHE=str(tmp_path / f"cache-{i}"))
        shutil.copytree(cache_env["GOMAP_CACHE"], env["GOMAP_CACHE"])
        mine = _cache_file(env)
        if isinstance(shape, bytes):
            mine.write_bytes(shape)
        else:
            mine.write_text(shape if isinstance(shape, str) else json.dumps(shape))
        try:
            check_with_truth(base, base.exe, names.get(what, [name]), env)
        except AssertionError as exc:
            raise AssertionError(f"cache file '{what}': {exc}") from None
        rewritten = json.loads(mine.read_text())
        assert rewritten["variables"] == good["variables"] and \
            rewritten["runtime_types"] == good["runtime_types"], f"'{what}' was not rebuilt"

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, enumerate(shapes.items())))


# --- 6: corrupt DWARF is one line -------------------------------------------------------

def _flip_cases(base):
    fns = (F.m_flip_info, F.m_flip_hot, F.m_flip_abbrev)
    for seed in range(FLIP_CASES):
        rng = random.Random(1000 + seed)
        copy, patches, what = fns[seed % 3](base, rng)
        yield seed, copy, patches, what, rng


def test_bit_flips_end_in_one_line(base, tmp_path, cache_env):
    def one(case):
        seed, copy, patches, what, rng = case
        exe = tmp_path / f"flip-{seed}"
        F.write_case(base, copy, patches, exe)
        expr = F.MAPS[seed % len(F.MAPS)]
        runs = [F.run_cli(argv, cache_env) for argv in (
            ["list", "--core", base.core, "--exe", exe],
            ["dump", "--core", base.core, "--exe", exe, expr, "--entries"])]
        exe.unlink()
        return what, runs

    outcomes = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for what, runs in pool.map(one, _flip_cases(base)):
            for run in runs:
                problem = run.problem()
                assert problem is None, f"{what}: gomap {run.argv[0]}: {problem}\n{run.stderr}"
                key = "exit 0" if run.rc == 0 else run.stderr.split("(")[0]
                outcomes[key] = outcomes.get(key, 0) + 1
    corrupt = sum(n for k, n in outcomes.items() if "DWARF is corrupt" in k)
    assert corrupt >= FLIP_CASES // 3, f"the flips hardly ever reached gomap: {outcomes}"


def _hot_ref(base, var):
    """File offset (in the plain copy) of the DW_AT_type of the first member of the
    map header struct of package variable ``var``, read with pyelftools."""
    with open(base.plain, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info(relocate_dwarf_sections=False)
        for cu in dwarf.iter_CUs():
            for die in cu.iter_DIEs():
                name = die.attributes.get("DW_AT_name")
                if die.tag == "DW_TAG_variable" and name and name.value == var.encode():
                    t = die.get_DIE_from_attribute("DW_AT_type")
                    while t.tag != "DW_TAG_structure_type":
                        t = t.get_DIE_from_attribute("DW_AT_type")
                    member = next(t.iter_children())
                    return member.attributes["DW_AT_type"].offset
    raise AssertionError(f"no {var} in the DWARF")


def _corrupt_exes(base, tmp_path):
    """Two corrupt executables: one whose .debug_info zlib stream is damaged (met when
    the DWARF is opened), one whose map header's first member refers past the end
    of .debug_info (met while the map is decoded)."""
    s = base.secs["exe"][".debug_info"]
    zlib_bad = tmp_path / "zlib-bad"
    pos = s.offset + 24 + 100
    F.write_case(base, "exe", {pos: bytes([base.bytes_of("exe")[pos] ^ 0xFF])}, zlib_bad)
    info = base.secs["plain"][".debug_info"]
    ref_bad = tmp_path / "ref-bad"
    F.write_case(base, "plain", {info.offset + _hot_ref(base, "main.GInt"):
                                 struct.pack("<I", info.size + 1000)}, ref_bad)
    return zlib_bad, ref_bad


def test_corrupt_dwarf_cli(base, tmp_path, cache_env):
    for exe in _corrupt_exes(base, tmp_path):
        run = gomap("dump", "--core", base.core, "--exe", exe, "main.GInt", env=cache_env)
        line = one_line_error(run.rc, run.stderr)
        assert "the executable's DWARF is corrupt at .debug_info" in line, line
        assert f"rebuild {exe}" in line, line


def test_corrupt_dwarf_in_gdb(base, tmp_path, cache_env):
    zlib_bad, ref_bad = _corrupt_exes(base, tmp_path)
    for exe, where in ((zlib_bad, "does not inflate"), (ref_bad, ".debug_info offset")):
        r = harness.gdb_batch([exe, base.core], ["gomap-dump main.GInt"],
                              env={"GOMAP_CACHE": cache_env["GOMAP_CACHE"]}, timeout=120)
        out = r.stdout + r.stderr
        assert "Traceback" not in out and "internal error" not in out, out
        lines = [l for l in out.splitlines() if l.startswith("gomap: ")]
        assert len(lines) == 1, out
        assert "the executable's DWARF is corrupt" in lines[0] and where in lines[0], lines


# --- 6: zlib bombs ----------------------------------------------------------------------

def zeros_zlib(mib):
    """A zlib stream that inflates to ``mib`` MiB of zeros, made without holding
    them: one 1 MiB block (ending in a full flush, so every copy is the same bytes)
    repeated, and the Adler-32 of n zeros, which is ((n mod 65521) << 16) | 1."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == block
    end = c.flush(zlib.Z_FINISH)
    n = mib << 20
    return b"\x78\xda" + block * mib + end + (((n % 65521) << 16) | 1).to_bytes(4, "big")


def _bomb(base, path, declared, mib):
    """The linker's executable with .debug_info replaced by ``mib`` MiB of zeros,
    SHF_COMPRESSED with ch_size ``declared``, appended at the end of the file."""
    data = bytearray(base.bytes_of("exe"))
    s = base.secs["exe"][".debug_info"]
    data += b"\0" * (-len(data) % 8)
    new = struct.pack("<IIQQ", 1, 0, declared, 1) + zeros_zlib(mib)
    struct.pack_into("<QQ", data, s.header + 24, len(data), len(new))  # sh_offset, sh_size
    data += new
    path.write_bytes(bytes(data))
    path.chmod(0o755)


def test_zeros_zlib_is_what_it_says():
    d = zlib.decompressobj()
    assert d.decompress(zeros_zlib(8)) == bytes(8 << 20) and d.eof


def test_zlib_bomb(base, tmp_path, cache_env):
    bomb = tmp_path / "bomb"
    _bomb(base, bomb, 1 << 30, 1024)      # says 1 GiB, is 1 GiB: refused from the header
    assert bomb.stat().st_size < 5 << 20
    run = gomap("list", "--core", base.core, "--exe", bomb, env=cache_env)
    line = one_line_error(run.rc, run.stderr)
    assert "DWARF is corrupt at .debug_info" in line and "zlib bomb" in line, line
    assert run.peak_mb < 300, f"peak RSS {run.peak_mb:.0f} MB"
    liar = tmp_path / "liar"
    _bomb(base, liar, 4 << 20, 1024)      # says 4 MiB, goes on to 1 GiB
    run = gomap("dump", "--core", base.core, "--exe", liar, "main.GInt", env=cache_env)
    line = one_line_error(run.rc, run.stderr)
    assert "inflates past the 4,194,304 bytes its header declares" in line, line
    assert run.peak_mb < 300, f"peak RSS {run.peak_mb:.0f} MB"


# --- 7: .zdebug sections ----------------------------------------------------------------

def test_zdebug_sections_read(base, cache_env):
    with open(base.gnu, "rb") as f:
        names = {s.name for s in ELFFile(f).iter_sections()}
    assert ".zdebug_info" in names and ".debug_info" not in names
    for name in ("main.GInt", "main.GStructKey", "main.GAny", "main.GNested"):
        got = [gomap_out("dump", "--core", base.core, "--exe", exe, name, "--json",
                         env=cache_env) for exe in (base.exe, base.gnu)]
        assert got[0][0] == 0 and got[1][0] == 0, (got[0][2], got[1][2])
        assert json.loads(got[1][1]) == json.loads(got[0][1]), name
    check_with_truth(base, base.gnu, ["main.GStr", "main.GVals"], cache_env)


# --- the fast scanner's fallback is announced -----------------------------------------

def test_scanner_fallback_is_announced(base, tmp_path, cache_env):
    """One unit's type changed from DW_UT_compile to DW_UT_partial: valid DWARF 5
    (pyelftools reads it), which the fast scanner does not handle.  The index is
    then built by the slow walk, and the snapshot says so and why, in one warning
    line; the maps still decode right, and the next run, from the cache, says
    nothing."""
    data = base.bytes_of("plain")
    info = base.secs["plain"][".debug_info"]
    unit = base.units[len(base.units) // 2]
    at = info.offset + unit
    assert struct.unpack_from("<IH", data, at)[1] == 5, "the base's DWARF is not version 5"
    assert data[at + 6] == 0x01, "not a DW_UT_compile unit"
    exe = tmp_path / "partial"
    F.write_case(base, "plain", {at + 6: b"\x03"}, exe)
    names = ["main.GStr", "main.GVals"]
    rc, out, err = gomap_out("dump", "--core", base.core, "--exe", exe, names[0], "--json",
                             env=cache_env)
    assert rc == 0, err
    warnings = json.loads(out)["warnings"]
    notices = [w for w in warnings if "slow pyelftools walk" in w]
    assert len(notices) == 1, warnings
    assert "the fast scanner does not handle this DWARF: unit type 0x3" in notices[0]
    assert "\n" not in notices[0]
    # this run built the index by the slow walk; the next one reads it from the cache
    rc, out, err = gomap_out("dump", "--core", base.core, "--exe", exe, names[1], "--json",
                             env=cache_env)
    assert rc == 0, err
    assert not [w for w in json.loads(out)["warnings"] if "pyelftools" in w]
    check_with_truth(base, exe, names, cache_env)
    # the text view shows it as a warning line
    fresh = dict(cache_env, GOMAP_CACHE=str(tmp_path / "fresh-cache"))
    rc, out, err = gomap_out("dump", "--core", base.core, "--exe", exe, names[0], env=fresh)
    assert rc == 0, err
    assert [ln for ln in out.splitlines() if ln.startswith("warning: the DWARF name index "
                                                         "was built by the slow")], out


# --- the fuzzer, briefly ----------------------------------------------------------------

def test_fuzz_dwarf(base):
    res = F.campaign(base, FUZZ_CASES, start=0, jobs=2)
    assert len(res.cases) == FUZZ_CASES
    if res.failures:
        buf = io.StringIO()
        res.report(show=10, out=buf)
        pytest.fail(buf.getvalue())
    assert "exit 1: DWARF is corrupt" in res.outcomes(), res.outcomes()


def test_found_by_the_long_run(base):
    """Cases the long fuzz runs failed on, kept: case 21382 points a DW_AT_type at
    its own DIE, and the type name it gives holds a form feed, which broke the
    one-line error in two."""
    res = F.campaign(base, 1, start=21382, jobs=1)
    assert len(res.cases) == 1 and not res.failures, res.failures


def test_errors_escape_control_characters():
    """A name from a corrupt binary cannot break a gomap error into lines."""
    from gdb_gomap.errors import BadLayout
    text = str(BadLayout("B\x0c: x\ny\r\x85z\u2028w\x1b[31m"))
    assert text.splitlines() == [text]
    assert text == "B\\x0c: x\\x0ay\\x0d\\x85z\\u2028w\\x1b[31m"
