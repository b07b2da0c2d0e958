"""Dominator tree and retained bytes of the census's object graph.

The graph has nodes ``0 .. n-1`` (heap objects, map storage, roots' own
slots: whatever the walk made a node) and directed edges "points to".  A
virtual super-root, numbered ``n``, has every root as its child.  Node ``d``
dominates node ``v`` when every path from the super-root to ``v`` passes
through ``d``; the immediate dominator of ``v`` is its closest strict
dominator.  The retained bytes of a node are its own size, plus the bytes
attached to it (data the walk counted to the node without making it a node
of its own), plus the retained bytes of every node it immediately dominates:
what the garbage collector would free if the node became unreachable.  It is
the "retained size" of heap analyzers such as Eclipse MAT.

The algorithm is Lengauer and Tarjan's (the simple version, path compression
without balancing: O(E log V)), written without recursion and with the
per-node state in ``array`` arrays, so that a graph of millions of nodes costs
tens of bytes per node and no Python object per node.

Edges come in compressed-sparse-row form: ``offsets`` (n + 1 entries) and
``targets``; the successors of ``v`` are ``targets[offsets[v]:offsets[v+1]]``.
:func:`csr` builds that from an adjacency list or from edge pairs.
"""

from array import array
from collections import deque
from heapq import heappop, heappush
from itertools import accumulate, compress, islice, repeat
from operator import add, not_, sub

NONE = -1


def csr(n, adjacency=None, pairs=None):
    """(offsets, targets) arrays for ``n`` nodes, from an adjacency list
    (``adjacency[v]`` the successors of ``v``) or from ``(src, dst)`` pairs."""
    offsets = array("q", bytes(8 * (n + 1)))
    if adjacency is not None:
        targets = array("q")
        for v in range(n):
            succ = adjacency[v]
            targets.extend(succ)
            offsets[v + 1] = len(targets)
        return offsets, targets
    pairs = list(pairs or ())
    for s, _ in pairs:
        offsets[s + 1] += 1
    for v in range(n):
        offsets[v + 1] += offsets[v]
    fill = array("q", offsets)
    targets = array("q", bytes(8 * len(pairs)))
    for s, d in pairs:
        targets[fill[s]] = d
        fill[s] += 1
    return offsets, targets


def split_csr(n, parent, xsrc, xdst):
    """(offsets, targets) of a graph given as a spanning forest and the other edges:
    an edge ``parent[v] -> v`` for every ``v`` whose ``parent[v]`` is not -1, and
    ``xsrc[i] -> xdst[i]`` (how the census's walk keeps its graph: most objects
    have one referrer, the one that found them)."""
    deg = array("q", bytes(8 * (n + 1)))
    for p in parent:
        deg[p] += 1                 # a root's -1 counts in deg[n], left out below
    for s in xsrc:
        deg[s] += 1
    offsets = array("q", accumulate(deg[:n], initial=0))
    edges = offsets[n]
    # fill[-1] (a root's parent) points past the edges: roots land there, then go
    fill = array("q", offsets)
    targets = array("q", bytes(8 * (edges + parent.count(-1))))
    for v, p in enumerate(parent):
        targets[fill[p]] = v
        fill[p] += 1
    del targets[edges:]
    for s, d in zip(xsrc, xdst):
        targets[fill[s]] = d
        fill[s] += 1
    return offsets, targets


def _check(n, offsets, targets, roots):
    if len(offsets) != n + 1:
        raise ValueError(f"offsets has {len(offsets)} entries for {n} nodes (want n + 1)")
    for r in roots:
        if not 0 <= r < n:
            raise ValueError(f"root {r} is not a node (0..{n - 1})")


class DominatorTree:
    """The immediate dominators and retained bytes of a graph.

    ``idom[v]``: the immediate dominator of node ``v`` (``n``, the super-root,
    for a node no other node dominates, roots among them), :data:`NONE` when
    ``v`` is unreachable from the roots.  ``retained[v]``: bytes retained by
    ``v`` (0 when unreachable); ``retained[n]`` is the total of every
    reachable node.  ``order``: the reachable nodes in depth-first preorder
    from the super-root (``order[0] == n``); a node's immediate dominator
    comes before it.
    """

    def __init__(self, n, idom, order, retained):
        self.n = n
        self.idom = idom
        self.order = order
        self.retained = retained

    @property
    def super_root(self):
        return self.n

    @property
    def objects(self):
        """How many nodes of the graph are reachable from the roots."""
        return len(self.order) - 1

    def tree_id(self, v):
        """The node of this tree that stands for node ``v`` of the graph (``v``
        itself here; see :class:`ContractedTree`)."""
        return v

    def reachable(self, v):
        return v == self.n or self.idom[v] != NONE

    def dominators_of(self, v):
        """The nodes that dominate ``v``, ``v`` first, the super-root last."""
        if not self.reachable(v):
            return []
        out = [v]
        while v != self.n:
            v = self.idom[v]
            out.append(v)
        return out

    def children(self):
        """The dominator tree as lists: ``children()[d]`` = nodes ``d`` immediately dominates."""
        kids = [[] for _ in range(self.n + 1)]
        for v in self.order[1:]:
            kids[self.idom[v]].append(v)
        return kids


class ContractedTree(DominatorTree):
    """The dominator tree of a graph whose nodes with one way in were merged into
    the node they hang from (see :func:`contracted_tree`).  Its nodes are the
    kept nodes, numbered ``0 .. n-1`` in the order of their ids in the graph;
    ``index[v]`` is the tree node that stands for graph node ``v`` (for a kept
    node, itself); ``objects`` counts the graph's reachable nodes."""

    def __init__(self, tree, index, objects):
        super().__init__(tree.n, tree.idom, tree.order, tree.retained)
        self.index = index
        self._objects = objects

    @property
    def objects(self):
        return self._objects

    def tree_id(self, v):
        return self.index[v]


def contracted_tree(n, split, roots, keep=(), sizes=None, attached=None):
    """The :class:`ContractedTree` of the graph of ``n`` nodes given in ``split``
    form (parent, xsrc, xdst: see split_csr) whose ``parent[v]`` is always a node
    made before ``v`` (smaller), -1 for the ``roots`` alone, as the census's walk
    makes them.  The dominators and retained bytes of the ``keep`` nodes (and of
    the roots and of every node some ``xdst`` edge enters) are those of the whole
    graph; the other nodes are merged into them.

    Why this is exact: a node ``v`` whose one way in is its parent's edge
    ``u -> v`` is dominated by ``u``, and merging it into ``u`` (``v``'s edges
    become ``u``'s) changes no other node's dominators: a path that avoids some
    node ``x`` other than ``u`` and ``v`` maps to one in the merged graph and back
    (a path that avoids ``u`` also avoids ``v``).  Every byte of ``v`` counts to
    ``u`` instead, and ``u`` retains it anyway.  Merged nodes by the walk's order
    (parents before children), each node ends in its nearest kept ancestor along
    ``parent``; on a census's graph that leaves the objects with two referrers or
    more, the maps and the roots: a sixth of the nodes, for the same answers.
    """
    parent, xsrc, xdst = split
    roots = list(roots)
    kept = bytearray(n)
    for seq in (xdst, keep, roots):
        deque(map(kept.__setitem__, seq, repeat(1)), maxlen=0)
    # the tree node of each kept node: how many kept nodes come before it
    rep = array("i" if n < 1 << 31 else "q", islice(accumulate(kept, initial=-1), 1, None))
    k = (rep[-1] + 1) if n else 0
    own = array("q", _own_bytes(sizes, attached, n))
    weight = array("q", compress(own, kept))
    for v in compress(range(n), map(not_, kept)):     # parents first: rep[parent] is set
        r = rep[v] = rep[parent[v]]
        weight[r] += own[v]
    kparent = array("q", map(rep.__getitem__, compress(parent, kept)))
    kroots = [rep[r] for r in roots]
    for r in kroots:
        kparent[r] = NONE           # (a root's parent, -1, read rep[-1] above)
    ksrc = array("q", map(rep.__getitem__, xsrc))
    kdst = array("q", map(rep.__getitem__, xdst))
    offsets, targets = split_csr(k, kparent, ksrc, kdst)
    tree = dominator_tree(k, offsets, targets, kroots, weight, None,
                          split=(kparent, ksrc, kdst))
    if tree.objects == k:
        objects = n                 # every kept node reached, so every node
    else:
        objects = sum(1 for r in rep if tree.idom[r] != NONE)
    return ContractedTree(tree, rep, objects)


def _dfs(n, offsets, targets, roots):
    """Preorder numbering from the super-root ``n``: (order, number, parent).

    ``order[i]`` is the node numbered ``i``; ``number[v]`` is ``v``'s number
    plus one (0: not reached); ``parent[i]`` is the number of the DFS-tree
    parent of number ``i``.  Iterative: a node's successors are pushed at once
    (with its number, their parent's) and a node is numbered when popped
    unnumbered; everything pushed above a node is popped before it, so a node's
    successors are all numbered inside its subtree or before it, which makes this
    a depth-first search.
    """
    number = array("q", bytes(8 * (n + 1)))
    order = array("q", [n])
    parent = array("q", [NONE])
    number[n] = 1
    stack = array("q", reversed(roots))      # the first root is popped first
    pstack = array("q", bytes(8 * len(stack)))
    pop, ppop = stack.pop, pstack.pop
    push, ppush = stack.extend, pstack.extend
    add_order, add_parent = order.append, parent.append
    i = 0
    while stack:
        w = pop()
        p = ppop()
        if number[w]:
            continue
        i += 1
        number[w] = i + 1
        add_order(w)
        add_parent(p)
        lo, hi = offsets[w], offsets[w + 1]
        if hi > lo:
            push(targets[lo:hi])
            ppush(repeat(i, hi - lo))
    return order, number, parent


def _predecessors(n, offsets, targets, number, m):
    """Reverse CSR among the ``m`` reached nodes, in DFS numbers: (poff, psrc).

    Edges of unreached nodes are left out: they are on no path from the roots.
    """
    # Per edge: its target's number + 1 (0: not reached), its source's the same.
    tnum = array("q", map(number.__getitem__, targets))
    snum = array("q")
    for v in range(n):
        deg = offsets[v + 1] - offsets[v]
        if deg:
            snum.extend(repeat(number[v], deg))
    poff = array("q", bytes(8 * (m + 1)))
    for s, t in zip(snum, tnum):
        if s:
            poff[t] += 1          # t is number + 1: the count lands one slot later
    for i in range(m):
        poff[i + 1] += poff[i]
    fill = array("q", poff)
    psrc = array("q", bytes(8 * poff[m]))
    for s, t in zip(snum, tnum):
        if s:
            t -= 1
            psrc[fill[t]] = s - 1
            fill[t] += 1
    return poff, psrc


def _predecessors_split(split, order, number, m, roots):
    """What _predecessors gives, from the graph's ``split`` form (parent, xsrc,
    xdst: see split_csr), with the predecessors of only the nodes that need them:
    a reached node whose one way in is its parent's edge takes the fast path of
    dominator_tree, which never reads its list; the others' lists hold the parent
    (roots have none) and their other edges' sources."""
    parent, xsrc, xdst = split
    xs = array("q", map(number.__getitem__, xsrc))      # numbers + 1; 0: not reached
    xd = array("q", map(number.__getitem__, xdst))
    cnt = array("q", [1]) * m
    cnt[0] = 0                                          # the super-root
    for r in roots:
        cnt[number[r] - 1] = 0
    for s, t in zip(xs, xd):
        if s:
            cnt[t - 1] += 1
    poff = array("q", accumulate(cnt, initial=0))
    fill = array("q", poff)
    psrc = array("q", bytes(8 * poff[m]))
    join = bytearray(m)                     # 1: more than one way in
    for s, t in zip(xs, xd):
        if not s:
            continue
        t -= 1
        at = fill[t]
        if at == poff[t]:                   # the node's first other edge: its parent too
            join[t] = 1
            p = parent[order[t]]
            if p >= 0:
                psrc[at] = number[p] - 1
                at += 1
        psrc[at] = s - 1
        fill[t] = at + 1
    return poff, psrc, join


def dominator_tree(n, offsets, targets, roots, sizes=None, attached=None, split=None):
    """The :class:`DominatorTree` of the graph of ``n`` nodes (CSR ``offsets``,
    ``targets``) seen from a super-root whose children are ``roots``.

    ``sizes[v]`` and ``attached[v]`` (either may be None: 0) give node
    ``v``'s own bytes and the bytes attached to it; retained bytes are built
    from both.  ``split``: None, or the same graph as (parent, xsrc, xdst) (see
    split_csr; every reached node but the roots must have a reached parent),
    from which the predecessors are found faster.
    """
    roots = list(roots)
    _check(n, offsets, targets, roots)
    order, number, parent = _dfs(n, offsets, targets, roots)
    m = len(order)
    if split is not None:
        poff, psrc, join = _predecessors_split(split, order, number, m, roots)
    else:
        poff, psrc = _predecessors(n, offsets, targets, number, m)
        join = bytearray(map((1).__ne__, map(sub, poff[1:], poff[:-1])))
    # The super-root's edges are not in the CSR: it is a predecessor of each root.
    root_nums = set(number[r] - 1 for r in roots)

    # Numbers are handled from the last to the first.  A node with one way in (most
    # heap objects) has its DFS parent as semidominator and immediate dominator:
    # set here for all, and never visited.  The others ("joins", roots among them)
    # are visited in that order; a node counts as linked into the forest of
    # Lengauer and Tarjan's EVAL once the visit has gone below its number, so
    # ``ancestor`` starts as the DFS parent of every node.  The bucket of a node
    # (the nodes whose semidominator it is) is emptied when the visit reaches it,
    # all nodes above it linked and it not: as step 3 after its last child's link.
    semi = array("q", parent)
    semi[0] = 0
    idom = array("q", semi)
    ancestor = array("q", semi)
    label = array("q", range(m))
    bucket_head = array("q", [NONE]) * m    # bucket[s] as linked lists
    bucket_next = array("q", [NONE]) * m
    path = array("q")
    join[0] = 0
    for r in root_nums:
        join[r] = 1
    joins = list(compress(range(m - 1, -1, -1), reversed(join)))
    due = []                                # numbers whose bucket waits, negated (a heap)
    j, nj = 0, len(joins)
    while True:
        w = joins[j] if j < nj else NONE
        d = -due[0] if due else NONE
        if d >= w:
            if d == NONE:
                break
            heappop(due)
            v = bucket_head[d]
            bucket_head[d] = NONE
            while v != NONE:                # v > d: linked; EVAL(v) is its label
                if ancestor[v] > d:
                    _compress(v, ancestor, label, semi, path, d)
                u = label[v]
                idom[v] = u if semi[u] < semi[v] else d
                v = bucket_next[v]
            if d != w:
                continue
        j += 1
        sw = w
        for pos in range(poff[w], poff[w + 1]):
            v = psrc[pos]
            if v > w:                       # linked: EVAL(v)
                if ancestor[v] > w:
                    _compress(v, ancestor, label, semi, path, w)
                sv = semi[label[v]]
            else:                           # not linked yet: EVAL(v) is v, semi v
                sv = v
            if sv < sw:
                sw = sv
        if w in root_nums:
            sw = 0                          # the super-root is a predecessor of every root
        semi[w] = sw
        if bucket_head[sw] == NONE:
            heappush(due, -sw)
        bucket_next[w] = bucket_head[sw]
        bucket_head[sw] = w
    for w in reversed(joins):               # step 4, in increasing numbers
        if idom[w] != semi[w]:
            idom[w] = idom[idom[w]]

    # Back to node ids.
    node_idom = array("q", [NONE]) * (n + 1)
    for v, d in zip(order, map(order.__getitem__, idom)):
        node_idom[v] = d
    node_idom[n] = n

    # Retained bytes in preorder numbers first: a node's immediate dominator has a
    # smaller number, so one pass in reverse preorder sums them up.
    ret = array("q", [0])
    ret.extend(_own_bytes(sizes, attached, m - 1, lambda: islice(order, 1, None)))
    for i, d in zip(range(m - 1, 0, -1), reversed(idom)):
        ret[d] += ret[i]
    retained = array("q", bytes(8 * (n + 1)))
    for v, r in zip(order, ret):
        retained[v] = r
    return DominatorTree(n, node_idom, order, retained)


def _own_bytes(sizes, attached, count, nodes=None):
    """The own bytes, ``sizes[v] + attached[v]`` (either may be None: 0), of the
    ``count`` nodes ``nodes()`` gives (a function: each array reads them once), or
    of nodes ``0 .. count-1`` when ``nodes`` is None; an iterator."""
    arrays = [a for a in (sizes, attached) if a is not None]
    if nodes is not None:
        arrays = [map(a.__getitem__, nodes()) for a in arrays]
    if len(arrays) == 2:
        return map(add, *arrays)
    return iter(arrays[0]) if arrays else repeat(0, count)


def _compress(v, ancestor, label, semi, path, cur):
    """Path compression of Lengauer-Tarjan's EVAL, without recursion: nodes
    numbered above ``cur`` are the linked ones."""
    del path[:]
    x = v
    while ancestor[x] > cur:
        path.append(x)
        x = ancestor[x]
    for i in range(len(path) - 1, -1, -1):
        x = path[i]
        a = ancestor[x]
        if semi[label[a]] < semi[label[x]]:
            label[x] = label[a]
        ancestor[x] = ancestor[a]
