"""What the census parts hand each other: roots, and what could not be read.

A :class:`Root` is a typed place in memory the walk starts from: a package
global, or a local or argument of one frame of one goroutine.  Roots are
produced by ``goroutines``/``stacks`` (and for globals from the DWARF index)
and consumed by ``walk``.
"""

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Root:
    """A typed place the walk starts from.

    ``label`` is the readable path prefix of everything reached through it:
    ``main.cache`` for a global, ``goroutine 17 main.worker m`` for a local.
    ``pattern`` is the same with the parts that vary between instances
    replaced (``goroutine * main.worker m``); groups are made from it.
    """

    label: str
    gotype: object          # dwarf.types.GoType of the value stored at addr
    addr: int               # where the value is stored (a global's address, a stack slot)
    kind: str = "global"    # "global", "local" or "param"
    goroutine: Optional[int] = None   # goid for stack roots
    function: str = ""      # the frame's function for stack roots
    pattern: str = ""       # label with varying parts replaced; label when empty
    value: Optional[bytes] = None   # the value itself when it is not in memory (in
                                    # registers, or pieces): then addr is 0

    def __post_init__(self):
        if not self.pattern:
            self.pattern = self.label


@dataclass
class Unread:
    """Something the census could not read, and why (shown to the user)."""

    what: str               # "goroutine 12", "goroutine 12 frame 3 main.f", "main.x"
    reason: str


@dataclass
class RootReport:
    """How the roots were found: counts, and everything left out with its reason."""

    goroutines: int = 0
    goroutines_unwound: int = 0
    frames: int = 0
    locals_read: int = 0
    globals_read: int = 0
    unread: List[Unread] = field(default_factory=list)
