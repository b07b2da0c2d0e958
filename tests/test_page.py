"""The report page (``gomap report --html``, ``gomap-census --html`` in gdb) opened
in a real headless Chromium (tests/browser.py), against the truth of
tests/progs/census and the JSON of the same census run.

Per build (Go 1.23.9 classic, 1.26.6 swiss): a kernel core of the census
program, its page written by the CLI (``gomap report --core --html``, with
``--json`` from the same run) and by gdb on the same core.  The page loads
without a script error; every group that retains a byte has exactly one
treemap rectangle whose share of the treemap's area is its share of the
groups' exclusive bytes; the table holds every group, hides the empty maps'
groups until asked, filters by substring and glob, sorts, and a click on a
rectangle filters to its group; the largest maps each have a section with a
picture; and the data the page carries equals the JSON and the truth.
"""

import json
import re

import pytest

from tests import harness, toolchains
from tests.browser import Browser, chromium_path
from tests.test_census import BUILDS as CENSUS_BUILDS, PROG, _compare

BUILDS = [b for b in CENSUS_BUILDS if b.opt == "opt"]
MAPS = 4

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="no chromium: ./install.sh --dev installs it")


def _embedded(html):
    m = re.search(r"<script type='application/json' id='gomap-data'>(.*?)</script>", html, re.S)
    assert m, "the page carries no data"
    return json.loads(m.group(1))


@pytest.fixture(params=BUILDS, ids=lambda b: b.id, scope="module")
def pages(request, tmp_path_factory, gdb_path):
    """(truth, report JSON, {source: page path}) of one build's core."""
    build = request.param
    tmp = tmp_path_factory.mktemp("page")
    binary = toolchains.build_for(PROG, build)
    core, truth = harness.kernel_core_or_skip(binary, tmp, "the census program")
    cli, in_gdb = tmp / "cli.html", tmp / "gdb.html"
    try:
        r = harness.gomap("report", "--core", core, "--exe", binary, "--json", "--all",
                          "--maps", str(MAPS), "--html", cli, timeout=600)
        assert r.returncode == 0, r.stderr
        assert "wrote the report page" in r.stderr, r.stderr
        doc = json.loads(r.stdout)
        g = harness.gdb_batch([binary, core], [f"gomap-census --html {in_gdb}"], timeout=600)
        assert "wrote the report page" in g.stdout, (g.stdout[-2000:], g.stderr[-2000:])
    finally:
        core.unlink()
    return truth, doc, {"cli": cli, "gdb": in_gdb}


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def test_page_data_equals_the_json_and_the_truth(pages):
    truth, doc, paths = pages
    for source, path in paths.items():
        data = _embedded(path.read_text())
        rep = data["report"]
        problems = _compare(truth, rep, False) + _compare(truth, rep, True)
        running = [p for p in problems if p.startswith("running goroutine ")]
        problems = [p for p in problems if p not in running]   # see test_census: a core
        assert not problems, (source, problems)                 # may catch it mid-signal
        assert sum(g["exclusive"] for g in rep["groups"]) == rep["walk"]["maps_retained"]
    cli = _embedded(paths["cli"].read_text())["report"]
    assert cli["groups"] == doc["groups"] and cli["maps"] == doc["maps"]
    assert cli["nil_maps"] == doc["nil_maps"]
    # the emptied maps: a group of maps that hold no entry but keep their storage
    emptied = [g for g in doc["groups"] if g["pattern"].startswith("main.emptied[")]
    assert emptied and all(g["entries"] == 0 and g["slots"] > 0 for g in emptied), emptied


@pytest.mark.parametrize("source", ["cli", "gdb"])
def test_page_renders_and_the_treemap_is_to_scale(pages, browser, source):
    truth, doc, paths = pages
    data = _embedded(paths[source].read_text())["report"]
    page = browser.open(paths[source].as_uri())
    assert page.eval("document.readyState") == "complete"
    svg = page.eval("(() => { const s = document.querySelector('#treemap svg');"
                    " return [+s.getAttribute('width'), +s.getAttribute('height')]; })()")
    rects = page.eval("Array.from(document.querySelectorAll('rect.tm-group')).map(r => "
                      "[r.dataset.pattern, +r.getAttribute('x'), +r.getAttribute('y'), "
                      "+r.getAttribute('width'), +r.getAttribute('height')])")
    assert not page.errors, page.errors
    width, height = svg
    drawn = {}
    for pattern, x, y, w, h in rects:
        assert pattern not in drawn, f"{pattern} drawn twice"
        assert w >= 0 and h >= 0 and x >= -1e-6 and y >= -1e-6
        assert x + w <= width + 1e-6 and y + h <= height + 1e-6, (pattern, x, y, w, h)
        drawn[pattern] = w * h
    want = {g["pattern"]: g["exclusive"] for g in data["groups"] if g["exclusive"] > 0}
    assert set(drawn) == set(want)
    total = sum(want.values())
    for pattern, area in drawn.items():
        assert abs(area / (width * height) - want[pattern] / total) < 1e-6, pattern
    # the rectangles tile the treemap: their areas add up to all of it
    assert abs(sum(drawn.values()) - width * height) < 1e-6 * width * height


def _visible(page):
    return page.eval("Array.from(document.querySelectorAll('#groups tbody tr'))"
                     ".filter(tr => !tr.classList.contains('hidden'))"
                     ".map(tr => tr.dataset.pattern)")


def _set_filter(page, text):
    page.eval(f"(() => {{ const f = document.getElementById('filter'); f.value = "
              f"{json.dumps(text)}; f.dispatchEvent(new Event('input')); }})()")


def test_table_filters_and_sorts(pages, browser):
    truth, doc, paths = pages
    page = browser.open(paths["cli"].as_uri())
    groups = doc["groups"]
    rows = page.eval("document.querySelectorAll('#groups tbody tr').length")
    assert rows == len(groups)
    # empty maps' groups hidden by default, shown when asked
    non_empty = [g["pattern"] for g in groups if g["entries"] > 0]
    assert _visible(page) == non_empty
    assert len(non_empty) < len(groups)          # the emptied maps are there to hide
    page.eval("document.getElementById('show-empty').click()")
    assert _visible(page) == [g["pattern"] for g in groups]
    # a substring, then a glob
    _set_filter(page, "OUTER")
    assert _visible(page) == [g["pattern"] for g in groups if "outer" in g["pattern"].lower()]
    _set_filter(page, "goroutine * main.*")
    assert _visible(page) == [g["pattern"] for g in groups
                              if re.fullmatch(r"goroutine .* main\..*", g["pattern"])]
    assert page.eval("document.getElementById('shown').textContent").startswith(
        f"{len(_visible(page))} of {len(groups)} groups shown")
    # sorting by maps, largest first, then smallest first
    _set_filter(page, "")
    page.eval("document.querySelector(\"#groups th[data-key='maps']\").click()")
    order = page.eval("Array.from(document.querySelectorAll('#groups tbody tr'))"
                      ".map(tr => +tr.cells[1].dataset.v)")
    assert order == sorted((g["maps"] for g in groups), reverse=True)
    page.eval("document.querySelector(\"#groups th[data-key='maps']\").click()")
    order = page.eval("Array.from(document.querySelectorAll('#groups tbody tr'))"
                      ".map(tr => +tr.cells[1].dataset.v)")
    assert order == sorted(g["maps"] for g in groups)
    # a click on the largest rectangle filters the table to its group
    biggest = max((g for g in groups if g["exclusive"] > 0), key=lambda g: g["exclusive"])
    page.eval("document.querySelector('rect.tm-group[data-pattern=\"' + "
              f"CSS.escape({json.dumps(biggest['pattern'])}) + '\"]')"
              ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    assert page.eval("document.getElementById('filter').value") == biggest["pattern"]
    assert biggest["pattern"] in _visible(page)
    assert not page.errors, page.errors


def test_largest_maps_are_drawn(pages, browser):
    truth, doc, paths = pages
    page = browser.open(paths["cli"].as_uri())
    sections = page.eval("Array.from(document.querySelectorAll('section.map')).map(s => "
                         "[s.querySelector('h3').textContent, s.querySelector('p').textContent,"
                         " s.querySelectorAll('figure svg, svg.cellbar').length])")
    assert [s[0] for s in sections] == [m["path"] for m in doc["maps"]]
    assert len(sections) == MAPS
    for (path, facts, pictures), m in zip(sections, doc["maps"]):
        assert f"{m['entries']:,} entries" in facts, (path, facts)
        assert f"{m['slots']:,} cells" in facts, (path, facts)
        assert pictures >= 2, (path, pictures)   # the cell bar, a histogram or a picture
    # the cache (64 entries) is drawn slot by slot: one square per slot of its groups
    cache = doc["maps"][0]
    assert cache["path"] == "main.cache"
    slots = page.eval("document.querySelector('#map-0 figure.slots svg') ? document"
                      ".querySelectorAll('#map-0 figure.slots svg rect[width=\"9\"]').length : -1")
    assert slots >= cache["slots"], slots
    assert not page.errors, page.errors
