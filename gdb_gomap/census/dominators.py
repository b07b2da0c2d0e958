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
from itertools import repeat

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


def _dfs(n, offsets, targets, roots):
    """Preorder numbering from the super-root ``n``: (order, number, parent).

    ``order[i]`` is the node numbered ``i``; ``number[v]`` is ``v``'s number
    plus one (0: not reached); ``parent[i]`` is the number of the DFS-tree
    parent of number ``i``.  Iterative: a stack of nodes with, per node, the
    position of the next edge to follow.
    """
    number = array("q", bytes(8 * (n + 1)))
    order = array("q")
    parent = array("q")
    nxt = array("q", offsets)            # next edge position per node
    root_list = list(roots)
    order.append(n)
    parent.append(NONE)
    number[n] = 1
    # The super-root's successors are the roots: walk them by hand, the rest by CSR.
    stack = array("q")
    for r in root_list:
        if number[r]:
            continue
        number[r] = len(order) + 1
        parent.append(0)
        order.append(r)
        stack.append(r)
        while stack:
            v = stack[-1]
            pos = nxt[v]
            end = offsets[v + 1]
            while pos < end and number[targets[pos]]:
                pos += 1
            if pos == end:
                nxt[v] = end
                stack.pop()
                continue
            w = targets[pos]
            nxt[v] = pos + 1
            number[w] = len(order) + 1
            parent.append(number[v] - 1)
            order.append(w)
            stack.append(w)
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


def dominator_tree(n, offsets, targets, roots, sizes=None, attached=None):
    """The :class:`DominatorTree` of the graph of ``n`` nodes (CSR ``offsets``,
    ``targets``) seen from a super-root whose children are ``roots``.

    ``sizes[v]`` and ``attached[v]`` (either may be None: 0) give node
    ``v``'s own bytes and the bytes attached to it; retained bytes are built
    from both.
    """
    roots = list(roots)
    _check(n, offsets, targets, roots)
    order, number, parent = _dfs(n, offsets, targets, roots)
    m = len(order)
    poff, psrc = _predecessors(n, offsets, targets, number, m)
    # The super-root's edges are not in the CSR: it is a predecessor of each root.
    root_nums = set(number[r] - 1 for r in roots)

    semi = array("q", range(m))
    idom = array("q", bytes(8 * m))
    ancestor = array("q", [NONE]) * m
    label = array("q", range(m))
    # bucket[s]: the numbers whose semidominator is s, as linked lists
    bucket_head = array("q", [NONE]) * m
    bucket_next = array("q", [NONE]) * m
    path = array("q")

    def drain(p):
        """Step 3 for parent ``p``: each node whose semidominator is ``p`` gets its
        immediate dominator, or the node to take it from."""
        v = bucket_head[p]
        bucket_head[p] = NONE
        while v != NONE:
            a = ancestor[v]
            if a == NONE:
                u = v
            else:
                if ancestor[a] != NONE:
                    _compress(v, ancestor, label, semi, path)
                u = label[v]
            idom[v] = u if semi[u] < semi[v] else p
            v = bucket_next[v]

    for w in range(m - 1, 0, -1):
        p = parent[w]
        lo = poff[w]
        if poff[w + 1] - lo == 1 and w not in root_nums:
            # One way in, from the DFS parent (most heap objects): semi and idom are
            # the parent, and w's own bucket step would find exactly that.
            semi[w] = p
            idom[w] = p
            ancestor[w] = p
            if bucket_head[p] != NONE:
                drain(p)
            continue
        sw = semi[w]
        for pos in range(lo, poff[w + 1]):
            v = psrc[pos]
            a = ancestor[v]
            if a == NONE:               # eval(v) of a node not linked yet: v itself
                sv = semi[v]
            else:
                if ancestor[a] != NONE:
                    _compress(v, ancestor, label, semi, path)
                sv = semi[label[v]]
            if sv < sw:
                sw = sv
        if w in root_nums:
            sw = 0                      # the super-root is a predecessor of every root
        semi[w] = sw
        bucket_next[w] = bucket_head[sw]
        bucket_head[sw] = w
        ancestor[w] = p                 # link(parent, w)
        if bucket_head[p] != NONE:
            drain(p)
    for w in range(1, m):
        if idom[w] != semi[w]:
            idom[w] = idom[idom[w]]
    idom[0] = 0

    # Back to node ids.
    node_idom = array("q", [NONE]) * (n + 1)
    for i in range(1, m):
        node_idom[order[i]] = order[idom[i]]
    node_idom[n] = n

    retained = array("q", bytes(8 * (n + 1)))
    for i in range(1, m):
        v = order[i]
        retained[v] = (sizes[v] if sizes is not None else 0) + \
            (attached[v] if attached is not None else 0)
    # A node's immediate dominator has a smaller number: sum up in reverse preorder.
    for i in range(m - 1, 0, -1):
        v = order[i]
        retained[node_idom[v]] += retained[v]
    return DominatorTree(n, node_idom, order, retained)


def _compress(v, ancestor, label, semi, path):
    """Path compression of Lengauer-Tarjan's EVAL, without recursion."""
    del path[:]
    x = v
    while ancestor[ancestor[x]] != NONE:
        path.append(x)
        x = ancestor[x]
    for i in range(len(path) - 1, -1, -1):
        x = path[i]
        a = ancestor[x]
        if semi[label[a]] < semi[label[x]]:
            label[x] = label[a]
        ancestor[x] = ancestor[a]
