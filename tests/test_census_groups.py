"""Groups of maps by path pattern (gdb_gomap.census.groups) on small graphs whose
retained bytes follow from the definition (unit tests; the end-to-end census is
tests/test_census.py)."""

from types import SimpleNamespace as NS

from gdb_gomap.census import groups


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
    groups.members_text(groups.expanded(c.groups, "main.many[*]")[0], lines.append)
    assert "main.many[0]" in "".join(lines) and "main.many[1]" in "".join(lines)
