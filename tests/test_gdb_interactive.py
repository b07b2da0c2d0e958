"""gomap-dump as a person uses it in an interactive gdb: help, completion, the
text views, colour, and one-line errors (never a traceback)."""

import re

import pytest

from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "mapstates"
BUILDS = {b.layout: b for b in toolchains.MATRIX if b.opt == "noopt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")}


@pytest.fixture(scope="module", params=sorted(BUILDS), ids=lambda k: BUILDS[k].id)
def session(request, tmp_path_factory, gdb_path):
    build = BUILDS[request.param]
    binary = toolchains.build_for(EXAMPLE, build)
    truth = tmp_path_factory.mktemp("interactive") / "truth.json"
    with harness.checkpoint_session(binary, truth) as s:
        s.layout = request.param
        yield s


def _one_line_error(out):
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{out}"
    assert "Traceback" not in out
    return lines[0]


def test_help_text(session):
    out = session.cmd("help gomap-dump")
    assert "Usage: gomap-dump EXPR" in out
    assert "--buckets" in out and "--json" in out
    full = session.cmd("gomap-dump --help")
    for opt in ("--entries", "--limit", "--range", "--max-chain", "--type"):
        assert opt in full, opt


def test_expression_completion(session):
    got = session.complete("gomap-dump main.GSm")
    assert any("main.GSmall" in c for c in got), got


def test_summary_and_entries_views(session):
    truth = session.truth["maps"]["main.GSmall"]
    out = session.cmd("gomap-dump main.GSmall --entries --color off")
    count_field = "count" if session.layout == "classic" else "used"
    assert re.search(rf"^\s+{count_field}\s+{truth['len']}$", out, re.M), out
    for e in truth["entries"]:
        assert f"  \"{e['key']}\": {e['value']}\n" in out + "\n", (e, out)
    assert f"({session.layout}, " in out


def test_buckets_view_marks_states(session):
    out = session.cmd("gomap-dump main.GInt --buckets --range 0:3 --color off")
    if session.layout == "classic":
        strips = re.findall(r"\[([L10XYE]{8})\]", out)
        assert strips and all(len(s) == 8 for s in strips), out
    else:
        assert re.search(r"table 0 group 0 +0x[0-9a-f]+ \[", out), out


def test_colour_on_request(session):
    assert "\x1b[" in session.cmd("gomap-dump main.GSmall --color on")
    assert "\x1b[" not in session.cmd("gomap-dump main.GSmall --color off")


def test_nil_map_is_shown_not_an_error(session):
    out = session.cmd("gomap-dump main.GNil")
    assert "nil map" in out and "gomap:" not in out


@pytest.mark.parametrize("cmd,words", [
    ("gomap-dump main.NoSuchThing", ["cannot evaluate", "main.NoSuchThing"]),
    ("gomap-dump main.GSrv", ["not a Go map"]),
    ("gomap-dump 0x10:map[int64]int64", ["cannot read", "0x10"]),
    ("gomap-dump main.GInt --limit -3", ["--limit"]),
    ("gomap-dump main.GInt --bogus", ["unrecognized arguments"]),
    ("gomap-dump 0x10:map[nosuch]type", ["no type named"]),
    ("gomap-dump", ["EXPR"]),
])
def test_errors_are_one_line(session, cmd, words):
    line = _one_line_error(session.cmd(cmd))
    for w in words:
        assert w in line, line


def test_no_process_is_one_line(gdb_path):
    binary = toolchains.build_for(EXAMPLE, BUILDS["swiss"])
    with harness.gdb_session(binary) as s:
        line = _one_line_error(s.cmd("gomap-dump main.GInt"))
        assert "not running" in line
    with harness.gdb_session(None) as s:
        line = _one_line_error(s.cmd("gomap-dump main.GInt"))
        assert "gomap" in line
