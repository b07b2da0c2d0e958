"""gomap as one gdb command family, in a real terminal: the pager, ``help gomap``,
``gomap SUBCOMMAND`` beside the ``gomap-*`` aliases, ``set gomap ...``, and
loading without the dependencies.  Real gdb on the mapstates example."""

import json
import re

import pexpect
import pytest

from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "mapstates"
BUILD = next(b for b in toolchains.MATRIX if b.opt == "noopt" and b.experiment == ""
             and b.version == "1.26.6")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PAGER = r"--Type <RET> for more, q to quit"


@pytest.fixture(scope="module")
def session(tmp_path_factory, gdb_path):
    binary = toolchains.build_for(EXAMPLE, BUILD)
    with harness.checkpoint_session(binary, tmp_path_factory.mktemp("fit") / "truth.json") as s:
        yield s


def test_quitting_the_pager_prints_nothing_twice(session):
    """'q' at gdb's pager stops a coloured dump: nothing is written again, gdb prompts."""
    child = session.child
    session.cmd("set pagination on")
    session.cmd("set height 10")
    try:
        child.sendline("gomap-dump main.GInt --entries --color on")
        child.expect(PAGER)
        seen = child.before
        child.sendline("q")
        assert child.expect([PAGER, harness.PROMPT]) == 1, \
            "the pager asked again after q: the output went on\n" + child.before
        seen += child.before
    finally:
        session.cmd("set pagination off")
    plain = ANSI.sub("", seen)
    assert "\x1b[" in seen                     # it was coloured
    assert plain.count("map[int64]int64 at 0x") == 1, plain
    assert plain.count("used ") == 1, plain
    assert "Traceback" not in plain
    # gdb is at its prompt and answers
    assert session.cmd("print 6*7").strip().endswith("= 42")


def test_help_gomap_lists_the_subcommands(session):
    out = session.cmd("help gomap")
    assert "Ambiguous" not in out
    for sub in ("dump", "list", "snap", "diff", "watch"):
        assert re.search(rf"^gomap {sub} -- \S", out, re.M), (sub, out)
    dump = session.cmd("help gomap dump")
    assert dump == session.cmd("help gomap-dump")       # one help for both names
    assert "Names: gomap dump or gomap-dump" in dump and "--buckets" in dump
    settings = session.cmd("help set gomap")
    assert "Ambiguous" not in settings
    assert "set gomap color --" in settings and "set gomap verbose --" in settings


def test_gomap_dump_is_gomap_dash_dump(session):
    spaced = session.cmd("gomap dump main.GSmall --entries --color off")
    dashed = session.cmd("gomap-dump main.GSmall --entries --color off")
    assert spaced == dashed
    for e in session.truth["maps"]["main.GSmall"]["entries"]:
        assert f"  \"{e['key']}\": {e['value']}\n" in spaced + "\n", (e, spaced)
    assert session.cmd("gomap list --json") == session.cmd("gomap-list --json")
    # the fast listing says what it did not search, and what does
    last = session.cmd("gomap-list").rstrip().splitlines()[-1]
    assert last.startswith("(globals and the current goroutine's frames, 3 steps deep") \
        and "not searched: goroutine stacks" in last and "'gomap-census' walks them" in last, last
    # a usage error names the command as typed
    assert "gomap dump: " in session.cmd("gomap dump main.GInt --limit 0")
    assert "gomap-dump: " in session.cmd("gomap-dump main.GInt --limit 0")


def test_set_gomap_color_and_the_old_name(session):
    try:
        session.cmd("set gomap color on")
        assert "\x1b[" in session.cmd("gomap dump main.GSmall")
        assert session.cmd("show gomap-color").strip() == "gomap-color is on."
        session.cmd("set gomap color off")
        assert "\x1b[" not in session.cmd("gomap dump main.GSmall")
        assert session.cmd("show gomap color").strip() == "gomap color is off."
        session.cmd("set gomap-color on")                # the old name sets the new
        assert session.cmd("show gomap color").strip() == "gomap color is on."
        assert "\x1b[" in session.cmd("gomap-dump main.GSmall")
        session.cmd("set gomap verbose on")
        assert session.cmd("show gomap-verbose").strip() == "gomap-verbose is on."
        shown = session.cmd("show gomap")
        assert "gomap color is on." in shown and "gomap verbose is on." in shown
    finally:
        session.cmd("set gomap color auto")
        session.cmd("set gomap verbose off")


def test_completion_of_the_family(session):
    assert session.complete("gomap d") == ["gomap diff", "gomap dump"]
    assert "gomap watch" in session.complete("gomap ")
    got = session.complete("gomap dump main.GSm")
    assert any("main.GSmall" in c for c in got), got
    assert "gomap dump main.GInt --buckets" in session.complete("gomap dump main.GInt --buck")
    assert session.complete("set gomap c") == ["set gomap color"]


def test_loading_without_dependencies_says_what_to_install(tmp_path, gdb_path):
    """A copy of the package sourced by a gdb whose Python sees no venv: one line at load."""
    import shutil
    import subprocess

    from gdb_gomap import REQUIRES

    shutil.copytree(harness.REPO / "gdb_gomap", tmp_path / "gdb_gomap",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in harness.gdb_env().items() if k != "PYTHONPATH"}
    probe = subprocess.run(["gdb", "-nx", "-batch", "-ex", "python import importlib.util; "
                            f"print([d for m, d in {REQUIRES!r} "
                            "if importlib.util.find_spec(m) is None])"],
                           capture_output=True, text=True, env=env, timeout=60)
    missing = eval(probe.stdout.strip().splitlines()[-1])
    if not missing:
        pytest.skip("gdb's own Python has every dependency: nothing is missing to report")
    r = subprocess.run(["gdb", "-nx", "-batch", "-ex",
                        f"source {tmp_path / 'gdb_gomap' / 'gdbinit.py'}",
                        "-ex", "gomap dump main.X"],
                       capture_output=True, text=True, env=env, timeout=60,
                       stdin=subprocess.DEVNULL)
    said = [l for l in r.stderr.splitlines() if l.startswith("gomap:")]
    assert len(said) == 1, r.stderr
    for dist in missing:
        assert dist in said[0], said
    assert "install.sh" in said[0] and f"pip install {' '.join(missing)}" in said[0]
    assert "Traceback" not in r.stderr and "ModuleNotFoundError" not in r.stderr
    assert "internal error" not in r.stderr


def test_every_front_end_prints_the_one_version(session):
    """gdb's gomap dump and gomap-dump, the gomap CLI and gomap-dlv: 'gomap VERSION'."""
    import subprocess
    import sys

    from gdb_gomap import __version__

    want = f"gomap {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert session.cmd("gomap dump --version").strip() == want
    assert session.cmd("gomap-dump --version").strip() == want
    for module in ("gdb_gomap.cli.main", "delve_bridge.cli"):
        r = subprocess.run([sys.executable, "-c", f"import sys; from {module} import main; "
                            "sys.exit(main(['--version']))"],
                           cwd=harness.REPO, capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout.strip(), r.stderr) == (0, want, ""), module


@pytest.mark.parametrize("name", ["gomap dump", "gomap-dump"])
def test_range_without_buckets_is_a_usage_error(session, name):
    out = session.cmd(f"{name} main.GInt --range 0:3")
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1 and "Traceback" not in out, out
    assert lines[0].startswith(f"{name}: --range") and "--buckets" in lines[0], lines
    # with --buckets, or --svg, it narrows the view as before
    assert "table 0 group 0 " in session.cmd(f"{name} main.GInt --buckets --range 0:0 "
                                             "--color off")


def test_range_without_buckets_in_the_cli_and_delve(tmp_path):
    """The CLI and gomap-dlv say so before opening anything (the files do not exist)."""
    import subprocess
    import sys

    missing = tmp_path / "nothing-here"
    for module, argv in (
            ("gdb_gomap.cli.main", ["dump", "--core", str(missing), "--exe", str(missing),
                                    "main.GInt", "--range", "0:3"]),
            ("delve_bridge.cli", ["--core", str(missing), str(missing), "dump", "main.GInt",
                                  "--range", "0:3"])):
        r = subprocess.run([sys.executable, "-c", f"import sys; from {module} import main; "
                            f"sys.exit(main({argv!r}))"],
                           cwd=harness.REPO, capture_output=True, text=True, timeout=60)
        lines = r.stderr.strip().splitlines()
        assert r.returncode != 0 and len(lines) == 1, (module, r.stderr)
        assert "--range" in lines[0] and "--buckets" in lines[0], (module, lines)


def test_every_json_is_one_line(session):
    """dump, list and diff --json: one line each, the same content as a parse of it."""
    outs = {"dump": session.cmd("gomap dump main.GSmall --json"),
            "list": session.cmd("gomap list --json")}
    session.cmd("gomap snap fit_a main.GSmall")
    session.cmd("gomap snap fit_b main.GSmall")
    outs["diff"] = session.cmd("gomap diff fit_a fit_b --json")
    for what, out in outs.items():
        lines = [l for l in out.splitlines() if l.strip()]
        assert len(lines) == 1, (what, out[:2000])
        doc = json.loads(lines[0])
        assert isinstance(doc, dict) and doc, what
    assert json.loads(outs["dump"])["count"] == session.truth["maps"]["main.GSmall"]["len"]
    rows = {r["expr"]: r for r in json.loads(outs["list"])["maps"]}
    assert rows["main.GSmall"]["count"] == session.truth["maps"]["main.GSmall"]["len"]


def test_demo_with_a_go_that_does_not_exist(tmp_path):
    """examples/demo.sh with a GO that is not there: one line naming it and where the
    toolchains come from, nothing on stdout (before: a blank path, then 'No such
    file or directory')."""
    import subprocess
    gone = tmp_path / "no" / "go"
    r = subprocess.run([str(harness.REPO / "examples" / "demo.sh")], capture_output=True,
                       text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "GO": str(gone)},
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and r.stdout == "", (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert f"GO={gone} is not a working go" in err and "./install.sh --dev" in err, err
