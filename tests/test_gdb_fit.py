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
    truth = tmp_path_factory.mktemp("fit") / "truth.json"
    s = harness.gdb_session(binary, timeout=120)
    try:
        s.cmd("break main.checkpoint")
        out = s.cmd(f"run {truth} > /dev/null", timeout=120)
        assert "checkpoint" in out, out
        s.truth = json.loads(truth.read_text())
        yield s
    finally:
        s.close()


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
