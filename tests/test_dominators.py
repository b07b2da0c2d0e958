"""Dominator tree and retained bytes (gdb_gomap.census.dominators) against the
definition of dominance, on many random graphs.

The check is independent of the algorithm: node d dominates n iff n is
reachable from the super-root but not once d is removed; the retained bytes of
d are the bytes of every node d dominates, itself included.
"""

from array import array

import pytest
from hypothesis import given, settings, strategies as st

from tests import harness

try:   # hypothesis keeps its files with pytest's, not in .hypothesis/ of the checkout
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(harness.REPO / ".pytest_cache" / "d" / "hypothesis")
except ImportError:
    pass

from gdb_gomap.census.dominators import (NONE, contracted_tree, csr, dominator_tree,
                                         split_csr)


def _reach(n, adj, roots, removed=None):
    seen = [False] * n
    todo = [r for r in roots if r != removed]
    for r in todo:
        seen[r] = True
    while todo:
        v = todo.pop()
        for w in adj[v]:
            if w != removed and not seen[w]:
                seen[w] = True
                todo.append(w)
    return seen


def brute_dominators(n, adj, roots):
    """{v: set of nodes dominating v (v included)} for every reachable v, by removal."""
    base = _reach(n, adj, roots)
    dom = {v: {v} for v in range(n) if base[v]}
    for d in range(n):
        if not base[d]:
            continue
        without = _reach(n, adj, roots, removed=d)
        for v in range(n):
            if base[v] and not without[v]:
                dom[v].add(d)
    return dom


@st.composite
def graphs(draw, max_nodes=40):
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    adj = [draw(st.lists(node, max_size=4)) for _ in range(n)]
    roots = draw(st.lists(node, min_size=1, max_size=5))
    sizes = draw(st.lists(st.integers(0, 1 << 40), min_size=n, max_size=n))
    attached = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
    return n, adj, roots, sizes, attached


def walk_form(n, adj, roots):
    """The reached part of the graph numbered as the census's walk numbers it: the
    roots first, then each node when a breadth-first search first meets it (so a
    node's parent comes before it); (old ids in new order, parent, xsrc, xdst)."""
    old, new = [], {}
    for r in roots:
        if r not in new:
            new[r] = len(old)
            old.append(r)
    parent = array("q", [-1]) * len(old)
    xsrc, xdst = array("q"), array("q")
    for v in old:                       # grows while it is walked
        for w in adj[v]:
            if w not in new:
                new[w] = len(old)
                old.append(w)
                parent.append(new[v])
            else:
                xsrc.append(new[v])
                xdst.append(new[w])
    return old, parent, xsrc, xdst


def split_form(n, adj, roots):
    """The graph as the census's walk keeps it, in its own node ids: each reached
    node's first referrer in a breadth-first search from the roots (-1 for roots
    and unreached nodes), and every other edge as (xsrc, xdst), duplicates and
    edges of unreached nodes included."""
    old, wparent, wsrc, wdst = walk_form(n, adj, roots)
    parent = array("q", [-1]) * n
    for v, p in zip(old, wparent):
        if p >= 0:
            parent[v] = old[p]
    xsrc = array("q", (old[s] for s in wsrc))
    xdst = array("q", (old[d] for d in wdst))
    reached = set(old)
    for v in range(n):
        if v not in reached:
            for w in adj[v]:
                xsrc.append(v)
                xdst.append(w)
    return parent, xsrc, xdst


def _check_against_definition(n, adj, roots, sizes, attached):
    offsets, targets = csr(n, adjacency=adj)
    tree = dominator_tree(n, offsets, targets, roots, array("q", sizes), array("q", attached))
    # the split form (split_csr's edges, the split predecessors) gives the same tree
    split = split_form(n, adj, roots)
    soff, stg = split_csr(n, *split)
    assert [sorted(stg[soff[v]:soff[v + 1]]) for v in range(n)] == [sorted(a) for a in adj]
    stree = dominator_tree(n, soff, stg, roots, array("q", sizes), array("q", attached),
                           split=split)
    assert list(stree.idom) == list(tree.idom)
    assert list(stree.retained) == list(tree.retained)
    dom = brute_dominators(n, adj, roots)
    for v in range(n):
        if v not in dom:
            assert tree.idom[v] == NONE and tree.retained[v] == 0
            continue
        got = tree.dominators_of(v)
        assert got[-1] == n
        assert set(got[:-1]) == dom[v], (v, got, dom[v])
        # immediate dominator: the strict dominator every other strict dominator dominates
        strict = dom[v] - {v}
        want_idom = next((d for d in strict if strict <= dom[d]), n)
        assert tree.idom[v] == want_idom
        want_retained = sum(sizes[w] + attached[w] for w in dom if v in dom[w])
        assert tree.retained[v] == want_retained
    assert tree.retained[n] == sum(sizes[v] + attached[v] for v in dom)
    assert sorted(tree.order[1:]) == sorted(dom)


def _check_contracted(n, adj, roots, sizes, attached, keep):
    """contracted_tree keeps the dominators and retained bytes of the ``keep`` nodes
    (old ids) that the definition gives on the whole graph."""
    old, parent, xsrc, xdst = walk_form(n, adj, roots)
    m = len(old)
    nroots = len(set(roots))
    kept = sorted({k for k in keep if k in set(old)})
    newid = {v: i for i, v in enumerate(old)}
    tree = contracted_tree(m, (parent, xsrc, xdst), range(nroots), [newid[k] for k in kept],
                           array("q", [sizes[v] for v in old]),
                           array("q", [attached[v] for v in old]))
    dom = brute_dominators(n, adj, roots)
    assert tree.objects == m == len(dom)
    assert tree.retained[tree.n] == sum(sizes[v] + attached[v] for v in dom)
    tid = {k: tree.tree_id(newid[k]) for k in kept}
    assert len(set(tid.values())) == len(kept)      # a kept node is its own tree node
    for k in kept:
        t = tid[k]
        assert tree.reachable(t)
        assert tree.retained[t] == sum(sizes[w] + attached[w] for w in dom if k in dom[w])
        # the kept nodes above it in the tree are the kept nodes that dominate it
        above = set(tree.dominators_of(t)[1:-1])
        assert above & set(tid.values()) == {tid[d] for d in dom[k] - {k} if d in tid}


@settings(max_examples=600, deadline=None)
@given(graphs())
def test_random_graphs_match_the_definition(g):
    _check_against_definition(*g)


@settings(max_examples=400, deadline=None)
@given(graphs(), st.data())
def test_contracted_tree_keeps_the_answers_of_its_nodes(g, data):
    n = g[0]
    keep = data.draw(st.lists(st.integers(0, n - 1), max_size=n))
    _check_contracted(*g, keep)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 60), st.data())
def test_contracted_tree_on_dense_graphs(n, data):
    adj = [data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)) for _ in range(n)]
    roots = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    keep = data.draw(st.lists(st.integers(0, n - 1), max_size=n))
    _check_contracted(n, adj, roots, list(range(1, n + 1)), [0] * n, keep)


def test_contracted_chain_is_one_node():
    # 0 -> 1 -> 2 -> 3 (a map at 2): 0 and 1 merge, 3 merges into 2
    tree = contracted_tree(4, (array("q", [-1, 0, 1, 2]), array("q"), array("q")), [0], [2],
                           array("q", [1, 10, 100, 1000]), array("q", [0, 0, 0, 5000]))
    assert tree.n == 2 and tree.objects == 4
    assert tree.retained[tree.tree_id(2)] == 6100 and tree.retained[tree.n] == 6111
    assert tree.tree_id(1) == tree.tree_id(0) == 0 and tree.tree_id(3) == 1


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 60), st.data())
def test_dense_graphs_with_cycles(n, data):
    # many edges: long semidominator paths and path compression at work
    adj = [data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)) for _ in range(n)]
    roots = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    sizes = list(range(1, n + 1))
    _check_against_definition(n, adj, roots, sizes, [0] * n)


def test_pair_form_equals_adjacency_form():
    adj = [[1, 2], [3], [3], [0], []]
    pairs = [(v, w) for v in range(5) for w in adj[v]]
    a = csr(5, adjacency=adj)
    b = csr(5, pairs=reversed(pairs))
    ta = dominator_tree(5, *a, [0])
    tb = dominator_tree(5, *b, [0])
    assert list(ta.idom) == list(tb.idom) == [5, 0, 0, 0, NONE, 5]


def test_a_shared_object_is_retained_by_neither_parent():
    # 0 -> 1 -> 3, 0 -> 2 -> 3: 3 is dominated by 0 alone
    offsets, targets = csr(4, adjacency=[[1, 2], [3], [3], []])
    tree = dominator_tree(4, offsets, targets, [0], sizes=[10, 100, 1000, 10000])
    assert list(tree.retained) == [11110, 100, 1000, 10000, 11110]
    assert tree.idom[3] == 0


def test_bad_root_is_refused():
    offsets, targets = csr(2, adjacency=[[1], []])
    with pytest.raises(ValueError):
        dominator_tree(2, offsets, targets, [2])


def test_a_long_chain_needs_no_recursion():
    # 300,000 nodes in one chain plus back edges: no recursion limit, linear-ish time
    n = 300_000
    adj = [[v + 1] if v + 1 < n else [] for v in range(n)]
    for v in range(10, n, 1000):
        adj[v].append(v - 7)
    offsets, targets = csr(n, adjacency=adj)
    tree = dominator_tree(n, offsets, targets, [0], sizes=array("q", [1]) * n)
    assert tree.retained[0] == n
    assert tree.retained[n - 1] == 1
    assert tree.idom[12345] == 12344
