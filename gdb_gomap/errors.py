"""The exceptions gomap raises.

Every failure a user can cause or meet is a :class:`GomapError` whose ``str()``
is one line saying what is wrong and what to do.  Front ends print that line
and nothing else (a traceback only on request).  Subclasses carry the data a
script may want (an address, a name) as attributes.
"""


class GomapError(Exception):
    """Base class of every error gomap reports to a user."""


class UnreadableMemory(GomapError):
    """A read of target memory failed."""

    def __init__(self, addr, size, reason=""):
        self.addr = addr
        self.size = size
        self.reason = reason
        extra = f" ({reason})" if reason else ""
        super().__init__(
            f"cannot read {size} bytes at {addr:#x}{extra}: the address is not mapped "
            f"in the target; check the expression or the core file")


class ShortRead(UnreadableMemory):
    """Part of a range was readable, the rest was not (a truncated core, say)."""


class TargetGone(GomapError):
    """The process went away while gomap was reading it."""

    def __init__(self, pid, detail=""):
        self.pid = pid
        super().__init__(f"process {pid} is gone{': ' + detail if detail else ''}; "
                         f"nothing to read")


class NoDwarf(GomapError):
    """The executable has no DWARF, or not the part gomap needs."""


class NotGoBinary(GomapError):
    """The file is not a Go executable."""


class NoSuchName(GomapError):
    """An expression or type name names nothing gomap can find."""


class NotAMap(GomapError):
    """The value is not a Go map."""


class BadLayout(GomapError):
    """The DWARF of a map type does not have the shape gomap knows."""


class UsageError(GomapError):
    """A command was called with wrong arguments."""
