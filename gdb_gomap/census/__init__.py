"""The census: every map a process holds, found from its roots (package
globals and every goroutine's stack) by a typed walk of the heap, with the
bytes each map holds itself and the bytes it retains (its dominator subtree).

Modules: ``model`` (what the parts exchange), ``pclntab`` and ``goroutines``
and ``stacks`` (roots), ``heap`` (object bounds from the runtime's spans),
``walk`` (the typed object graph), ``dominators`` and ``groups`` (retained
bytes and path patterns).
"""
