"""``gomap report`` built on the census, against the truth of tests/progs/census:
the groups equal the program's own counts, the largest maps are listed largest
retained first (the cache, whose values are 100x its own storage, first), the
nil maps the program made are counted in one line and listed with --all, in
Markdown, --text and --json (schema gomap-census/1 with maps and nil_maps);
--globals is the older globals-only view, and ``gomap list`` says what it did
not search.  One live process per build."""

import json
import re

import jsonschema
import pytest

from gdb_gomap.render import census as census_view
from tests import harness, toolchains
from tests.test_census import PROG, SCHEMA, _compare

BUILDS = [b for b in toolchains.MATRIX if b.experiment == ""
          and b.id in ("go1.23.9-noopt", "go1.26.6-opt")]


@pytest.fixture(params=BUILDS, ids=lambda b: b.id, scope="module")
def reports(request):
    """(truth, {name: CompletedProcess}) of the report's forms on one live process."""
    binary = toolchains.build_for(PROG, request.param)
    runs = {}
    with harness.start_example(binary) as ex:
        for name, extra in (("json", ["--json", "--all", "--maps", "5"]),
                            ("markdown", []), ("text", ["--text", "--maps", "3"]),
                            ("globals", ["--globals", "--json"]), ("list", None)):
            cmd = ["list", "--pid", ex.pid] if extra is None else \
                ["report", "--pid", ex.pid, *extra]
            runs[name] = harness.gomap(*cmd, timeout=600)
            assert runs[name].returncode == 0, (name, runs[name].stderr)
        assert ex.alive(), "the program did not survive the reports"
        truth = ex.truth
    return truth, runs


def test_report_json_equals_the_truth(reports):
    truth, runs = reports
    doc = json.loads(runs["json"].stdout)
    jsonschema.validate(doc, SCHEMA)
    problems = _compare(truth, doc, False) + _compare(truth, doc, True)
    assert not problems, "\n".join(problems)
    # the five that retain most, largest first, each also a member of its group
    assert len(doc["maps"]) == 5
    retained = [m["retained"] for m in doc["maps"]]
    assert retained == sorted(retained, reverse=True)
    assert doc["maps"][0]["path"] == "main.cache", doc["maps"][0]
    assert doc["maps"][0]["retained"] >= truth["cache_value_caps"]
    # nil maps: counted, and listed with --all; the program's own ones all there
    nils = doc["nil_maps"]
    assert nils["count"] == len(nils["maps"])
    mine = [n for n in nils["maps"] if re.search(truth["nil_match"], n["path"])]
    assert len(mine) == truth["nil_maps"], mine
    assert all(n["type"] == "map[string]int" for n in mine)
    # makeDead leaves the global nil: a nil map like any other
    assert {"path": "main.sinkDead", "type": truth["dead_type"]} in nils["maps"]


def test_report_markdown(reports):
    truth, runs = reports
    doc = json.loads(runs["json"].stdout)
    md = runs["markdown"].stdout
    assert md.startswith("# gomap report: ")
    # groups first, then the largest maps, then the nil maps in one line
    g, m, n = md.index("## Groups"), md.index("## Largest maps"), md.index("## Nil maps")
    assert g < m < n
    nil_lines = [ln for ln in md[n:].splitlines() if ln.startswith("nil maps:")]
    assert len(nil_lines) == 1 and f"{doc['nil_maps']['count']:,} map-typed" in nil_lines[0]
    assert "--all lists them" in nil_lines[0]
    assert not re.search(truth["nil_match"].strip("^$"), md), "nil maps listed without --all"
    table = md[g:m]
    for t in truth["groups"]:
        if not t["goroutines"]:
            rows = [ln for ln in table.splitlines() if ln.startswith("| `")
                    and re.search(t["match"], ln.split("`")[1])]
            listed = sum(int(r.split("|")[2].replace(",", "")) for r in rows)
            # the groups of empty maps are counted in one line, not listed
            assert listed == (0 if t["entries"] == 0 else t["maps"]), t
    empty = [g for g in doc["groups"] if g["entries"] == 0]
    assert empty, "the census program's emptied maps make a group of empty maps"
    empty_lines = [ln for ln in table.splitlines() if ln.startswith("empty maps: ")]
    assert empty_lines == [f"empty maps: {len(empty):,} group{'s' * (len(empty) != 1)} of "
                           f"maps that hold no entry ({sum(g['maps'] for g in empty):,} maps, "
                           f"own {census_view.human(sum(g['own'] for g in empty))}) not "
                           f"listed; --all lists them"], empty_lines
    largest = md[m:n].splitlines()
    assert largest[4].startswith("| `main.cache` |"), largest[:6]


def test_report_text(reports):
    truth, runs = reports
    out = runs["text"].stdout
    assert "largest maps (retained):" in out
    block = out.split("largest maps (retained):\n")[1].split("\n\n")[0].splitlines()
    assert len(block) == 3 and block[0].startswith("  main.cache  map[string][]uint8"), block
    assert out.count("\nnil maps: ") == 1


def test_report_globals_is_the_fast_view(reports):
    truth, runs = reports
    doc = json.loads(runs["globals"].stdout)
    rows = {r["expr"]: r for r in doc["maps"]}
    assert rows["main.cache"]["count"] == [t for t in truth["groups"]
                                           if t["name"] == "cache"][0]["entries"]
    assert "groups" not in doc and "nil_maps" not in doc


def test_list_says_what_it_does_not_search(reports):
    _, runs = reports
    last = runs["list"].stdout.splitlines()[-1]
    assert last.startswith("(globals only, 3 steps deep") and "not searched: goroutine " \
        "stacks" in last and last.endswith("'gomap census' walks them)"), last


def test_globals_view_refuses_census_options():
    r = harness.gomap("report", "--globals", "--text", "--maps", "3", "--pid", "1")
    err = r.stderr.strip()
    assert r.returncode == 1 and len(err.splitlines()) == 1, r.stderr
    assert err.startswith("gomap: --text, --maps: not with --globals"), err


@pytest.mark.parametrize("where, why", [("/nonexistent-dir/report.html", "no directory"),
                                        ("/tmp", "it is a directory")])
def test_html_that_cannot_be_written_is_one_line_before_the_walk(where, why):
    """--html names a file that cannot be written: said in one line before the target
    is even opened (pid 1 would take a walk, or a refusal, first)."""
    r = harness.gomap("report", "--pid", "1", "--html", where)
    err = r.stderr.strip()
    assert r.returncode != 0 and len(err.splitlines()) == 1, r.stderr
    assert err.startswith(f"gomap: cannot write {where}: {why}"), err
