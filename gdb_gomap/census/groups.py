"""Maps grouped by path pattern, with retained bytes, and whole-heap totals by type.

Maps reached by the same path pattern (``main.many[*]``, ``goroutine *
main.worker m``) are one row: how many maps, their entries, their own bytes
and the bytes they retain together.  A group's retained bytes are those of
the union of its members' dominator subtrees: a member dominated by another
member of the same group is counted once, inside the other.

The walk (``census.walk``) gives per-map records and the object graph; this
module computes the dominator tree (``census.dominators``) and the rows.
"""

import fnmatch
from array import array
from dataclasses import dataclass, field
from typing import Dict, List

from ..nogc import no_gc
from .dominators import NONE, contracted_tree, csr, dominator_tree


@dataclass
class Member:
    """One map of a group."""

    path: str
    type_name: str
    header: int
    entries: int
    own: int
    retained: int
    slots: int = 0          # cells its storage has room for
    tombstones: int = 0     # deleted cells among them
    exclusive: int = 0      # retained, less what other maps inside it retain


@dataclass
class Group:
    pattern: str
    maps: int = 0
    entries: int = 0
    own: int = 0
    retained: int = 0
    slots: int = 0
    tombstones: int = 0
    exclusive: int = 0      # the members' exclusive bytes: the groups' add up to
                            # Census.map_retained, so they can share one picture
    members: List[Member] = field(default_factory=list)

    @property
    def dead(self):
        """The share of the group's cells that hold no entry (empty or deleted)."""
        return dead_share(self.entries, self.slots)


def dead_share(entries, slots):
    """Empty and deleted cells as a share of all cells (0 when there are none)."""
    return max(0, slots - entries) / slots if slots else 0.0


@dataclass
class TypeTotal:
    type_name: str
    objects: int = 0
    bytes: int = 0


@dataclass
class Census:
    """What the front ends show: rows, heap totals, and the walk's own account."""

    groups: List[Group]
    heap_bytes: int                 # bytes of every node reached (the walked heap)
    map_retained: int               # bytes retained by all maps together (no double count)
    by_type: List[TypeTotal]
    result: object                  # the walk's CensusResult
    tree: object                    # the DominatorTree
    roots: object = None            # the RootReport (set by census.run)

    def share(self, nbytes):
        return nbytes / self.heap_bytes if self.heap_bytes else 0.0


def _get(obj, *names, default=None):
    for name in names:
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def graph_tree(graph, keep=()):
    """The DominatorTree of a walk's ``graph`` (node sizes, edges, roots).  A graph
    in the walk's split form gets a :class:`ContractedTree` that keeps the nodes
    of ``keep`` (the maps) and merges the others where that changes no answer."""
    sizes = _get(graph, "sizes", "size")
    n = _get(graph, "n", "nodes", default=None)
    if not isinstance(n, int):
        n = len(sizes)
    attached = _get(graph, "attached", "extra", default=None)
    roots = _get(graph, "roots", "root_nodes", "root_ids", default=())
    split = _get(graph, "split", default=None)
    if split is not None:
        return contracted_tree(n, split, roots, keep, sizes, attached)
    offsets = _get(graph, "offsets", default=None)
    if offsets is not None:
        targets = _get(graph, "targets")
    elif _get(graph, "adjacency", "succ", default=None) is not None:
        offsets, targets = csr(n, adjacency=_get(graph, "adjacency", "succ"))
    else:                                           # (source, target) pairs
        offsets, targets = csr(n, pairs=_get(graph, "edges", default=()))
    return dominator_tree(n, offsets, targets, roots, sizes, attached)


def _node(rec, tree):
    """The tree node of a map record (None when it has no graph node)."""
    node = _get(rec, "node", "node_id")
    return tree.tree_id(node) if node is not None and node >= 0 else None


def _member_of(rec, tree, node):
    retained = tree.retained[node] if node is not None \
        else _get(rec, "own_bytes", "own", default=0)
    return Member(path=_get(rec, "path", default="?"),
                  type_name=_get(rec, "type_name", "type", default="?"),
                  header=_get(rec, "header", "addr", default=0),
                  entries=_get(rec, "entries", "count", default=0),
                  own=_get(rec, "own_bytes", "own", default=0),
                  retained=retained,
                  slots=_get(rec, "slots", default=0),
                  tombstones=_get(rec, "tombstones", default=0))


def exclusive_bytes(nodes, tree):
    """{map node (of the tree): its retained bytes less those of the map nodes it dominates
    most closely}: every byte the maps retain together, counted once, at the map
    nearest above it in the dominator tree.  One pass in preorder (a node's
    immediate dominator comes before it)."""
    if not nodes:
        return {}
    is_map = bytearray(tree.n + 1)
    for v in nodes:
        is_map[v] = 1
    idom, retained = tree.idom, tree.retained
    nearest = {}                 # node -> the closest map strictly above it, or NONE
    above = array("q", [NONE]) * (tree.n + 1)
    for v in tree.order[1:]:
        d = idom[v]
        a = d if is_map[d] else above[d]        # is_map[n] is 0, above[n] NONE
        above[v] = a
        if is_map[v]:
            nearest[v] = a
    out = {v: retained[v] for v in nearest}
    for v, a in nearest.items():
        if a != NONE:
            out[a] -= retained[v]
    return out


def _union_retained(nodes, tree):
    """Retained bytes of the union of the dominator subtrees of ``nodes`` (tree
    nodes)."""
    inside = set(nodes)
    total = 0
    for v in inside:
        d = tree.idom[v]
        covered = False
        while d != NONE and d != tree.n:
            if d in inside:
                covered = True
                break
            d = tree.idom[d]
        if not covered:
            total += tree.retained[v]
    return total


def census(result, tree=None):
    """A :class:`Census` from the walk's CensusResult: groups sorted by retained bytes."""
    graph = result.graph
    if tree is None:
        keep = [n for n in (_get(rec, "node", "node_id") for rec in result.maps)
                if n is not None and n >= 0]
        with no_gc():       # tens of millions of tuples, no cycles
            tree = graph_tree(graph, keep)
    groups: Dict[str, Group] = {}
    nodes_of: Dict[str, list] = {}
    members_at: Dict[int, list] = {}
    all_nodes = []
    for rec in result.maps:
        node = _node(rec, tree)
        m = _member_of(rec, tree, node)
        pattern = _get(rec, "pattern", default=m.path)
        g = groups.get(pattern)
        if g is None:
            g = groups[pattern] = Group(pattern)
            nodes_of[pattern] = []
        g.maps += 1
        g.entries += m.entries
        g.own += m.own
        g.slots += m.slots
        g.tombstones += m.tombstones
        g.members.append(m)
        if node is not None and tree.reachable(node):
            nodes_of[pattern].append(node)
            all_nodes.append(node)
            members_at.setdefault(node, []).append(m)
    alone = exclusive_bytes(all_nodes, tree)
    for v, ms in members_at.items():
        for m in ms[:1]:                # one map reached by two paths is counted once
            m.exclusive = alone[v]
    for pattern, g in groups.items():
        g.retained = _union_retained(nodes_of[pattern], tree)
        g.exclusive = sum(alone.get(v, 0) for v in set(nodes_of[pattern]))
        g.members.sort(key=lambda m: (-m.retained, m.path))
    rows = sorted(groups.values(), key=lambda g: (-g.retained, -g.own, g.pattern))
    heap = tree.retained[tree.n]
    return Census(rows, heap, _union_retained(all_nodes, tree), by_type(result, tree), result,
                  tree)


def by_type(result, tree):
    """Bytes and objects of the walked heap per type name, largest first."""
    graph = result.graph
    types = _get(graph, "types", "type_names", "node_types", default=None)
    totals: Dict[str, TypeTotal] = {}
    if types is not None:
        sizes = _get(graph, "sizes", "size")
        names = _get(graph, "type_table", "type_name_table", default=None)
        if names is not None and tree.objects == len(types):
            # every node reached (a walk's graph): add up per type number, name after
            objects, nbytes = [0] * len(names), [0] * len(names)
            for t, size in zip(types, sizes):
                objects[t] += 1
                nbytes[t] += size
            for t, name in enumerate(names):
                if objects[t]:
                    totals[name] = TypeTotal(name or "?", objects[t], nbytes[t])
        else:
            for v in range(len(types)):
                if not tree.reachable(tree.tree_id(v)):
                    continue
                t = types[v]
                name = names[t] if names is not None and isinstance(t, int) else t
                tt = totals.get(name)
                if tt is None:
                    tt = totals[name] = TypeTotal(name or "?")
                tt.objects += 1
                tt.bytes += sizes[v]
    else:
        stats_types = _get(result.stats, "by_type", default=None) or {}
        for name, value in stats_types.items():
            objects, nbytes = (value if isinstance(value, (tuple, list))
                               else (_get(value, "objects", default=0),
                                     _get(value, "bytes", default=0)))
            totals[name] = TypeTotal(name, objects, nbytes)
    return sorted(totals.values(), key=lambda t: (-t.bytes, t.type_name))


def select(rows, top=None, min_bytes=None):
    """The rows to show: retained >= ``min_bytes``, then the first ``top``."""
    out = [g for g in rows if min_bytes is None or g.retained >= min_bytes]
    return out[:top] if top is not None else out


def expanded(rows, pattern):
    """The groups whose pattern is ``pattern`` or matches it as a shell glob."""
    exact = [g for g in rows if g.pattern == pattern]
    if exact:
        return exact
    return [g for g in rows if fnmatch.fnmatchcase(g.pattern, pattern)]
