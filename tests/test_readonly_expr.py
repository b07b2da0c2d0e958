"""An expression given to gomap never changes the program.

``gdb_gomap.exprcheck`` refuses assignments, ``++``/``--`` and calls before
gdb or Delve sees the expression, and gomap's gdb commands run with
``may-write-memory`` and ``may-call-functions`` off.  The unit tests cover
the checker's rule; the end-to-end tests attach gdb (and the CLI, and Delve)
to tests/progs/sideeffect, give every refused form, and then ask the
program itself, on SIGUSR1, whether its maps and counters are what it set
(it prints "OK" or "BAD what").  A control run shows that gdb, given the
same writes directly, does change the program, and that the program sees it.
"""

import os
import re
import select
import signal
import subprocess
import sys

import pytest

from gdb_gomap.errors import SideEffect, UsageError
from gdb_gomap.exprcheck import check, looks_like_type, side_effect
from tests import harness, toolchains

PROG = harness.REPO / "tests" / "progs" / "sideeffect"
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]

# --- the checker ------------------------------------------------------------------

ACCEPTED = [
    "main.cache", "main.srv.shards[3]", "main.srv.cache", "*p", "*main.pm", "&'main.Big'",
    "'main.Big'", "'main.srv'.cache", "m", "0xc000123000",
    'm["a=b"]', "m['=']", 'm["x++ f() += --"]', "m['(']", r'm["q\"=1"]', r"m['\'']",
    "a == b", "a != b", "a <= b", "a >= b", "a<b", "a>b", "a==b&&c!=d", "a << 2", "a >> 2",
    "a &^ b", "a - -1", "-(-1)", "- -x", "!x", "a && b || c", "p->next", "x@4", "a ? b : c",
    "$rsp", "$rsp + 8", "$1", "$_", "$$2", "$_siginfo", "$pc",
    "uintptr($rsp)", "int64(x)", "unsafe.Pointer(p)", "long(x)",
    "sizeof(x)", "sizeof (x)", "unsafe.Sizeof(x)", "_Alignof(x)",
    "(*map[string]int)(0xc000123000)", "*(*map[int64]int64)(0xc000010000)",
    "(map[string]int *)p", "(unsigned long)(x)", "(long)$rsp", "{long}$rsp",
    "(struct hmap *)0x1", "(const char *)(p)", "(uintptr)(p)", "(*uintptr)(p)", "((x))",
    "(a)+(b)", "x[(1)]", "(x)[1]", "'main.go'::v",
]

REFUSED = [
    # (expr, what, token, 0-based position)
    ("main.Big = main.Small", "an assignment", "=", 9),
    ("'main.Tiny' = 'main.Big'", "an assignment", "=", 12),
    ("a=b", "an assignment", "=", 1),
    ("a := b", "an assignment", ":=", 2),
    ("$x = 1", "an assignment", "=", 3),
    ("$x=$rsp", "an assignment", "=", 2),
    ("m[k=1]", "an assignment", "=", 3),
    ('m["a=b"] = 1', "an assignment", "=", 9),
    ("m['='] = 1", "an assignment", "=", 7),
    ("a===b", "an assignment", "=", 3),
    ("a == b, c = d", "an assignment", "=", 10),
    ("'main.x = 1", "an assignment", "=", 8),          # a quote never closed quotes nothing
    ("a++", "an increment", "++", 1),
    ("++a", "an increment", "++", 0),
    ("a--", "a decrement", "--", 1),
    ("--a", "a decrement", "--", 0),
    ("a--1", "a decrement", "--", 1),
    ("x-->0", "a decrement", "--", 1),
    ("main.Poke()", "a function call", "main.Poke(", 9),
    ("f (x)", "a function call", "f(", 2),
    ("'main.Poke'()", "a function call", "'main.Poke'(", 11),
    ("(*f)(1)", "a function call", "(*f)(", 4),
    ("(main.f)(1)", "a function call", "(main.f)(", 8),
    ("main.fns[0](1)", "a function call", "main.fns[0](", 11),
    ("main.srv.Len()", "a function call", "main.srv.Len(", 12),
    ('$_strlen("x")', "a function call", "$_strlen(", 8),
    ("p->f(1)", "a function call", "f(", 4),
    ("*m[g(1)]", "a function call", "g(", 4),
    ("(*main.T)(p)", "a function call", "(*main.T)(", 9),  # no type names known
    ("3(1)", "a function call", "3(", 1),
]

COMPOUND = ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="]


@pytest.mark.parametrize("expr", ACCEPTED)
def test_checker_accepts(expr):
    assert side_effect(expr) is None
    check(expr)


@pytest.mark.parametrize("expr,what,token,pos", REFUSED)
def test_checker_refuses(expr, what, token, pos):
    assert side_effect(expr) == (what, token, pos)
    with pytest.raises(SideEffect) as exc:
        check(expr)
    assert isinstance(exc.value, UsageError)
    msg = str(exc.value)
    assert msg == (f"{expr!r} has {what} ({token!r} at character {pos + 1}); gomap only "
                   f"reads memory: give an expression without side effects")
    assert "\n" not in msg


@pytest.mark.parametrize("op", COMPOUND)
def test_checker_refuses_compound_assignments(op):
    for expr in (f"main.Hits {op} 5", f"main.Hits{op}5", f"'main.Hits' {op} 'main.Hits'"):
        what, token, pos = side_effect(expr)
        assert (what, token) == ("an assignment", op), expr
        assert expr[pos:pos + len(op)] == op


def test_checker_comparisons_next_to_compounds():
    # '<=' is a comparison, '<<=' an assignment; '>=' and '>>=' likewise.
    assert side_effect("a <= b") is None and side_effect("a >= b") is None
    assert side_effect("a<<=b")[1] == "<<=" and side_effect("a>>=b")[1] == ">>="
    assert side_effect("a &^ b") is None and side_effect("a&^=b")[1] == "&^="


def test_checker_conversions_with_program_types():
    types = {"main.T", "main.Cache"}
    is_type = types.__contains__
    assert side_effect("(*main.T)(p)", is_type) is None
    assert side_effect("main.Cache(m)", is_type) is None
    assert side_effect("main.Poke(m)", is_type)[0] == "a function call"
    assert side_effect("(*main.Poke)(p)", is_type)[0] == "a function call"
    assert side_effect("$main.T(p)", lambda n: True)[0] == "a function call"


def test_looks_like_type():
    assert looks_like_type("*map[string]int")
    assert looks_like_type("[]byte")
    assert looks_like_type("unsigned long")
    assert looks_like_type("struct hmap *")
    assert looks_like_type("uintptr")
    assert not looks_like_type("*f")
    assert not looks_like_type("main.T")
    assert looks_like_type("main.T", {"main.T"}.__contains__)
    assert not looks_like_type("")


# --- the real program -------------------------------------------------------------

# Every refused form, as typed in gdb (string_to_argv strips one level of quotes).
GDB_REFUSED = [
    "gomap-dump main.Big = main.Small",
    "gomap-dump \"'main.Big' = 'main.Small'\"",
    "gomap-dump \"'main.Big'='main.Small'\"",
    "gomap-dump --type 'map[int64]int64' \"'main.Tiny' = 'main.Big'\"",
    "gomap-dump \"'main.Tiny'='main.Big':map[int64]int64\"",
    "gomap-dump \"'main.Hits' += 5\"",
    "gomap-dump \"'main.Hits' <<= 1\"",
    "gomap-dump \"'main.Hits'++\"",
    "gomap-dump \"'main.Hits'--\"",
    "gomap-dump main.Poke()",
    "gomap-dump \"'main.Poke'()\"",
    "gomap-dump --type 'map[int64]int64' \"'main.Poke'()\"",
    "gomap-snap s \"'main.Big' = 'main.Small'\"",
    "gomap-snap s \"'main.Hits'++\" --type 'map[int64]int64'",
    "gomap-watch \"'main.Big' = 'main.Small'\" --count 1",
    "gomap-watch --type 'map[int64]int64' \"'main.Tiny' = 'main.Big'\" --count 1",
]

# The second lock on its own: gdb evaluates under read_only(), no expression check.
PROBES = '''
import gdb
from gdb_gomap.gdb import command, readonly

def gomap_lock_probe(expr):
    try:
        with readonly.read_only():
            gdb.parse_and_eval(expr)
        print("PROBE EVALUATED " + expr)
    except gdb.error as exc:
        print("PROBE REFUSED " + str(exc))

def gomap_interrupt_probe():
    seen = []
    def body():
        seen.append((gdb.parameter("may-write-memory"), gdb.parameter("may-call-functions")))
        raise KeyboardInterrupt
    try:
        command.run_guarded(body)
    except gdb.GdbError as exc:
        print("PROBE ERROR " + str(exc))
    print("PROBE INSIDE %r %r" % seen[0])
'''


def program_says(ex, timeout=60):
    """Ask the program (SIGUSR1) to check its own memory; its one-line answer."""
    os.kill(ex.pid, signal.SIGUSR1)
    fd, buf = ex.proc.stdout.fileno(), b""
    while not buf.endswith(b"\n"):
        if not select.select([fd], [], [], timeout)[0]:
            raise AssertionError(f"the program did not answer SIGUSR1 in {timeout}s "
                                 f"(hang guard); stderr:\n{ex.stderr()}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError(f"the program died; stderr:\n{ex.stderr()}")
        buf += chunk
    return buf.decode().strip()


@pytest.fixture(scope="module", params=BUILDS, ids=lambda b: b.id)
def binary(request):
    return toolchains.build_for(PROG, request.param), request.param


def test_gdb_writes_without_the_guard(binary, gdb_path):
    """The control: the same writes typed as gdb commands do change the program."""
    path, _ = binary
    with harness.start_example(path) as ex:
        assert program_says(ex) == "OK"
        res = harness.gdb_batch(["-p", str(ex.pid)],
                                ["print 'main.Big' = 'main.Small'", "print 'main.Hits' += 5",
                                 "print 'main.Poke'()"], timeout=120)
        said = program_says(ex)
    assert "Big has len 100, want 1000" in said, (said, res.stdout, res.stderr)
    assert "Hits is 5, want 0" in said, said
    assert "Pokes is 1, want 0" in said, said


@pytest.mark.parametrize("user", ["on", "off"])
def test_gdb_refuses_and_the_program_is_untouched(binary, user, gdb_path, tmp_path):
    path, build = binary
    probes = tmp_path / "probes.py"
    probes.write_text(PROBES)
    with harness.start_example(path) as ex:
        with harness.gdb_session(ex.pid, timeout=120) as g:
            g.cmd(f"set may-write-memory {user}")
            g.cmd(f"set may-call-functions {user}")
            for c in GDB_REFUSED:
                out = g.cmd(c).strip()
                lines = [line for line in out.splitlines() if line.strip()]
                assert len(lines) == 1, (c, out)
                assert lines[0].startswith("gomap: ") and "gomap only reads memory: give an " \
                    "expression without side effects" in lines[0], (c, out)
                assert " has an assignment " in lines[0] or " has an increment " in lines[0] \
                    or " has a decrement " in lines[0] or " has a function call " in lines[0]
            # The second lock alone: gdb itself refuses under read_only().
            g.cmd(f"source {probes}")
            out = g.cmd("python gomap_lock_probe(\"'main.Hits' = 7\")")
            assert "PROBE REFUSED Writing to memory is not allowed" in out, out
            out = g.cmd("python gomap_lock_probe(\"'main.Poke'()\")")
            assert "PROBE REFUSED" in out and "may-call-functions is off" in out, out
            out = g.cmd("python gomap_interrupt_probe()")
            assert "PROBE ERROR gomap: interrupted" in out, out
            assert "PROBE INSIDE False False" in out, out
            # The user's settings read back as they were, after refusals and Ctrl-C.
            assert f"memory is {user}." in g.cmd("show may-write-memory")
            assert f"functions in the program is {user}." in g.cmd("show may-call-functions")
            # And gomap still reads: the map is whole, with its 1,000 entries.
            out = g.cmd("gomap-dump main.Big --entries --limit 5")
            field = "count" if build.layout == "classic" else "used"
            assert re.search(rf"^  {field} +1,?000$", out, re.M), out
            shown = re.findall(r"^  (\d+): (\d+)$", out, re.M)
            assert len(shown) == 5 and all(int(v) == 7 * int(k) + 1 for k, v in shown), out
            assert f"memory is {user}." in g.cmd("show may-write-memory")
        said = program_says(ex)
        assert said == "OK", said
        assert ex.alive()


def test_cli_refuses(binary):
    path, _ = binary
    with harness.start_example(path) as ex:
        for expr, what in [("main.Big = main.Small", "an assignment ('=' at character 10)"),
                           ("main.Tiny=main.Big:map[int64]int64", "an assignment"),
                           ("main.Hits++", "an increment"), ("main.Poke()", "a function call")]:
            r = subprocess.run([sys.executable, "-m", "gdb_gomap.cli.main", "dump", "--pid",
                                str(ex.pid), expr], capture_output=True, text=True,
                               timeout=300, cwd=harness.REPO, stdin=subprocess.DEVNULL)
            err = r.stderr.strip()
            assert r.returncode == 1 and len(err.splitlines()) == 1, (expr, r.stdout, err)
            assert err.startswith(f"gomap: {expr!r} has {what}"), err
        assert program_says(ex) == "OK"


def test_delve_refuses(dlv):
    """Delve's Eval refuses these itself; gomap-dlv says so in gomap's own words first."""
    build = next(b for b in BUILDS if b.version == "1.26.6")   # the pinned Delve debugs it
    path = toolchains.build_for(PROG, build)
    with harness.start_example(path) as ex:
        for argv, what in [(["main.Big = main.Small"], "an assignment"),
                           (["--type", "map[int64]int64", "main.Tiny = main.Big"],
                            "an assignment"),
                           (["main.Poke()"], "a function call")]:
            r = subprocess.run([sys.executable, "-m", "delve_bridge.cli", "--dlv", dlv,
                                "--attach", str(ex.pid), "dump", *argv],
                               capture_output=True, text=True, timeout=300, cwd=harness.REPO,
                               stdin=subprocess.DEVNULL)
            err = r.stderr.strip()
            assert r.returncode == 1 and len(err.splitlines()) == 1, (argv, r.stdout, err)
            assert err.startswith(f"gomap-dlv: {argv[-1]!r} has {what}"), err
        assert program_says(ex) == "OK"
        assert ex.alive()
