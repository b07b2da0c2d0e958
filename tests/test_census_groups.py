"""Groups of maps by path pattern (gdb_gomap.census.groups) on small graphs whose
retained bytes follow from the definition (unit tests; the end-to-end census is
tests/test_census.py)."""

import json
import re
from types import SimpleNamespace as NS

import pytest

from gdb_gomap.census import groups
from gdb_gomap.render import census as census_view
from tests import harness


def _result():
    # node 0: slice backing of main.many (root), nodes 1,2: two maps in it,
    # 3,4: their storage; 5: a cache map, 6,7: []byte values only it holds;
    # 8: a string shared by map 1 and the cache (retained by neither)
    sizes = [48, 48, 48, 200, 200, 48, 4096, 8192, 64]
    adjacency = [[1, 2], [3, 8], [4], [], [], [6, 7, 8], [], [], []]
    graph = NS(sizes=sizes, adjacency=adjacency, roots=[0, 5],
               types=["[]map", "hmap", "hmap", "bucket", "bucket", "hmap", "[]uint8",
                      "[]uint8", "string"])
    maps = [NS(path="main.many[0]", pattern="main.many[*]", type_name="map[int]int",
               header=0x1000, own_bytes=248, entries=3, node=1),
            NS(path="main.many[1]", pattern="main.many[*]", type_name="map[int]int",
               header=0x2000, own_bytes=248, entries=4, node=2),
            NS(path="main.cache", pattern="main.cache", type_name="map[string][]byte",
               header=0x3000, own_bytes=48, entries=2, node=5)]
    return NS(maps=maps, graph=graph, stats={}, unread=[])


def test_groups_sorted_by_retained_with_union_of_subtrees():
    c = groups.census(_result())
    assert [g.pattern for g in c.groups] == ["main.cache", "main.many[*]"]
    cache, many = c.groups
    assert (cache.maps, cache.entries, cache.own, cache.retained) == (1, 2, 48, 48 + 4096 + 8192)
    assert (many.maps, many.entries, many.own) == (2, 7, 496)
    assert many.retained == 48 + 200 + 48 + 200          # the shared string in neither
    assert c.heap_bytes == sum(_result().graph.sizes)
    assert c.map_retained == cache.retained + many.retained
    assert [t.type_name for t in c.by_type][:2] == ["[]uint8", "bucket"]
    assert c.by_type[0].objects == 2 and c.by_type[0].bytes == 4096 + 8192


def test_a_member_inside_another_member_is_counted_once():
    # map 0 holds map 1 as a value; both in one group
    graph = NS(sizes=[100, 10, 1000], adjacency=[[1], [2], []], roots=[0])
    maps = [NS(path="main.m", pattern="main.m*", type_name="t", header=1, own_bytes=100,
               entries=1, node=0),
            NS(path="main.m[k]", pattern="main.m*", type_name="t", header=2, own_bytes=10,
               entries=1, node=1)]
    c = groups.census(NS(maps=maps, graph=graph, stats={}, unread=[]))
    assert c.groups[0].retained == 1110


def test_select_and_expand():
    c = groups.census(_result())
    assert [g.pattern for g in groups.select(c.groups, top=1)] == ["main.cache"]
    assert [g.pattern for g in groups.select(c.groups, min_bytes=1000)] == ["main.cache"]
    assert [g.pattern for g in groups.expanded(c.groups, "main.many*")] == ["main.many[*]"]
    lines = []
    census_view.members_text(groups.expanded(c.groups, "main.many[*]")[0], lines.append)
    assert "main.many[0]" in "".join(lines) and "main.many[1]" in "".join(lines)


def _census_with_roots():
    from gdb_gomap.census.model import RootReport, Unread
    c = groups.census(_result())
    c.roots = RootReport(goroutines=3, goroutines_unwound=2, frames=9, locals_read=4,
                         globals_read=2, unread=[Unread("goroutine 7", "no saved pc"),
                                                 Unread("goroutine 9", "no saved pc"),
                                                 Unread("12 locals", "optimized away"),
                                                 Unread("3 locals", "optimized away"),
                                                 Unread("main.x", "optimized away")])
    return c


INFO = {"executable": "/bin/prog", "core": "/tmp/core", "go_version": "go1.26.6",
        "layout": "swiss", "warnings": []}


def test_json_follows_the_schema():
    import json
    import jsonschema

    schema = json.loads((harness.REPO / "gdb_gomap" / "schema" / "census.schema.json").read_text())
    c = _census_with_roots()
    doc = census_view.census_json(c, INFO, expand="main.many[*]")
    jsonschema.validate(doc, schema)
    assert doc["schema"] == "gomap-census/1"
    assert [g["pattern"] for g in doc["groups"]] == ["main.cache", "main.many[*]"]
    assert [m["path"] for m in doc["groups"][1]["members"]] == ["main.many[0]", "main.many[1]"]
    assert "members" not in doc["groups"][0]
    assert doc["walk"]["heap_bytes"] == sum(_result().graph.sizes)
    top = census_view.census_json(c, INFO, top=1)
    jsonschema.validate(top, schema)
    assert len(top["groups"]) == 1
    broken = dict(doc, schema="gomap-census/2")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_text_header_counts_and_reasons():

    out = []
    census_view.write_text(_census_with_roots(), INFO, out.append, top=1)
    text = "".join(out)
    assert "go1.26.6, swiss maps; core /tmp/core" in text
    assert "3 goroutines, 2 unwound, 9 frames, 4 locals" in text
    assert "  2 (goroutine 7, ...): no saved pc" in text
    assert "  15 locals, main.x: optimized away" in text
    assert "largest types: []uint8 12.0 KiB (95%), bucket 400 B (3%)" in text
    assert "main.cache" in text and "(1 more groups not shown" in text


def test_exclusive_bytes_share_out_nested_maps():
    # main.outer (node 0, 100 B) holds two inner maps (1, 2: 10 B each, each with a
    # 1,000 B value); a separate map (3) holds a 50 B object
    graph = NS(sizes=[100, 10, 10, 1000, 50, 1000, 7], roots=[0, 3],
               adjacency=[[1, 2, 6], [5], [4], [6], [], [], []])
    maps = [NS(path="main.outer", pattern="main.outer", type_name="t", header=1,
               own_bytes=100, entries=2, node=0, slots=8, tombstones=0),
            NS(path="main.outer[1]", pattern="main.outer[*]", type_name="t", header=2,
               own_bytes=10, entries=1, node=1, slots=8, tombstones=1),
            NS(path="main.outer[2]", pattern="main.outer[*]", type_name="t", header=3,
               own_bytes=10, entries=0, node=2, slots=8, tombstones=0),
            NS(path="main.other", pattern="main.other", type_name="t", header=4,
               own_bytes=1000, entries=8, node=3, slots=8, tombstones=0)]
    c = groups.census(NS(maps=maps, graph=graph, stats={}, unread=[]))
    rows = {g.pattern: g for g in c.groups}
    outer, inner, other = rows["main.outer"], rows["main.outer[*]"], rows["main.other"]
    assert outer.retained == 100 + 10 + 1000 + 10 + 50     # node 6 is shared: nobody's
    assert inner.retained == 10 + 1000 + 10 + 50
    assert (outer.exclusive, inner.exclusive, other.exclusive) == (100, 1070, 1000)
    assert sum(g.exclusive for g in c.groups) == c.map_retained
    assert (inner.slots, inner.tombstones) == (16, 1) and inner.dead == 15 / 16
    assert other.dead == 0.0 and groups.dead_share(0, 0) == 0.0


def test_page_escapes_what_the_target_names():
    """Paths come from the target (map keys, type names): the page shows them as
    text, never as markup, and its data cannot close its script element."""
    from gdb_gomap.render import page
    evil = 'main.m["</script><img src=x onerror=alert(1)>\'"&"]'
    graph = NS(sizes=[64, 64], adjacency=[[], []], roots=[0, 1])
    maps = [NS(path=evil, pattern=evil, type_name="map[string]<b>", header=1,
               own_bytes=64, entries=1, node=0, slots=8, tombstones=0),
            NS(path="main.empty", pattern="main.empty", type_name="map[int]int", header=2,
               own_bytes=64, entries=0, node=1, slots=8, tombstones=0)]
    result = NS(maps=maps, graph=graph, stats={}, unread=[], nil_maps=[])
    c = groups.census(result)
    c.roots = NS(globals_read=2, goroutines=0, goroutines_unwound=0, frames=0,
                 locals_read=0, unread=[])
    out = []
    page.write_page(c, {"executable": "/x/<exe>", "core": "/c/&core", "go_version": "go1.26.6",
                        "layout": "swiss", "arch": "amd64", "build_id": "abc/<def>",
                        "warnings": []}, out.append, maps=[])
    html = "".join(out)
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "<img" not in html and "<b>" not in html and "<exe>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    data = re.search(r"id='gomap-data'>(.*?)</script>", html, re.S).group(1)
    assert evil in [g["pattern"] for g in json.loads(data)["report"]["groups"]]
