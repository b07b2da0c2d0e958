"""The exceptions gomap raises.

Every failure a user can cause or meet is a :class:`GomapError` whose ``str()``
is one line saying what is wrong and what to do.  Front ends print that line
and nothing else (a traceback only on request).  Subclasses carry the data a
script may want (an address, a name) as attributes.
"""

from typing import Optional

# Characters that would break a message into lines (str.splitlines' breaks) or
# drive a terminal: names and bytes from a corrupt binary or core can hold them.
_ESCAPE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, 0x85)}
_ESCAPE.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


class GomapError(Exception):
    """Base class of every error gomap reports to a user.  ``str()`` escapes
    control characters, so the message stays one line whatever it quotes."""

    def __str__(self):
        return super().__str__().translate(_ESCAPE)


class UnreadableMemory(GomapError):
    """A read of target memory failed because the address is not mapped in the
    target.  Each subclass names another cause and says what to do about it; raise
    the one whose cause is known where the read fails."""

    advice = "the address is not mapped in the target; check the expression or the core file"

    def __init__(self, addr: int, size: int, reason: str = "") -> None:
        self.addr = addr
        self.size = size
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        extra = f" ({self.reason})" if self.reason else ""
        return f"cannot read {self.size} bytes at {self.addr:#x}{extra}: {self.advice}"


class ShortRead(UnreadableMemory):
    """Part of a range was readable, the rest was not (a truncated core, say).

    The address is mapped: its bytes are missing from the file, so the message
    says that rather than "not mapped"."""

    def _message(self) -> str:
        return (f"cannot read {self.size} bytes at {self.addr:#x}: "
                f"{self.reason or 'the file ends before them'}; give the whole core file")


class NotInCore(UnreadableMemory):
    """The process had the memory, but the core file does not hold its bytes (a
    segment listed without them, or left out), and the executable cannot stand in."""

    advice = ("the process had this memory but the core file does not hold it; give a "
              "complete core (gdb's gcore writes every mapping)")


class NotRecorded(UnreadableMemory):
    """A replay (gdb_gomap.replay) was asked for bytes its recording does not hold."""

    advice = ("the recording holds only what the recorded decode read; record this "
              "decode against the live process or core")


class BadPointer(UnreadableMemory):
    """A pointer read from a map (an indirect key or elem cell) is nil or not a
    user-space address, so there is nothing to read behind it."""

    def __init__(self, addr: int, size: int, what: str) -> None:
        self.what = what
        super().__init__(addr, size)

    def _message(self) -> str:
        nil = "nil" if self.addr == 0 else "not a user-space address"
        return (f"the {self.what} pointer {self.addr:#x} is {nil}: the map was being "
                f"written when it was read, or its memory is corrupt")


class TargetGone(GomapError):
    """The process went away while gomap was reading it (``pid`` None or 0 when
    it is not known any more)."""

    def __init__(self, pid: Optional[int], detail: str = "") -> None:
        self.pid = pid
        who = f"process {pid}" if pid else "the process"
        super().__init__(f"{who} is gone{': ' + detail if detail else ''}; nothing to read")


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


class CorruptDwarf(NoDwarf):
    """The executable's DWARF cannot be read: a section that does not decompress,
    or that would inflate past gomap's cap, or bytes that do not parse as DWARF.

    ``section`` and ``offset`` say where, when known (``offset`` is into the
    decompressed section).
    """

    def __init__(self, detail, section=None, offset=None, path=None):
        self.detail = " ".join(str(detail).split())[:200]
        self.section = section
        self.offset = offset
        self.path = path
        where = section or "an unknown place"
        if section and offset is not None:
            where = f"{section} offset {offset:#x}"
        exe = path or "the program"
        super().__init__(
            f"the executable's DWARF is corrupt at {where} ({self.detail}); rebuild {exe}, "
            f"or give the unmodified executable the process or core came from")


class SideEffect(UsageError):
    """An expression would change the program (an assignment, ``++``, a call):
    refused before any debugger evaluates it (see ``gdb_gomap.exprcheck``)."""

    def __init__(self, expr, what, token, pos):
        self.expr, self.what, self.token, self.pos = expr, what, token, pos
        super().__init__(
            f"{expr!r} has {what} ({token!r} at character {pos + 1}); gomap only reads "
            f"memory: give an expression without side effects")


class BadCoreFile(GomapError):
    """A core file gomap cannot use: not a regular file, not a core, corrupt
    program headers, or of another class, byte order or machine."""


class WrongExecutable(GomapError):
    """The executable given is not the one the core or the process was made from
    (their build IDs differ).  ``detail`` says what differs, ``advice`` what to do
    (a front end without --exe or --force-exe gives its own)."""

    def __init__(self, detail: str, advice: str) -> None:
        self.detail, self.advice = detail, advice
        super().__init__(f"{detail}: {advice}")


class NotPermitted(GomapError):
    """The system does not let gomap read the process (ptrace access mode)."""


class ExprSyntax(UsageError):
    """An expression gomap's grammar (``gdb_gomap.expr``) cannot read: ``pos`` is
    the 0-based character where ``expected`` was expected."""

    def __init__(self, expr, expected, pos):
        self.expr, self.expected, self.pos = expr, expected, pos
        found = repr(expr[pos]) if pos < len(expr) else "the end"
        super().__init__(f"cannot parse {expr!r}: expected {expected} at character {pos + 1} "
                         f"(found {found}); see 'Naming a map' in the README")


class NoSuchKey(NoSuchName):
    """A map lookup (``m["k"]``) found no live entry with that key."""
