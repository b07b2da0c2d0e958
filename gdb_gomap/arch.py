"""The machine a Go program was built for, from its ELF header.

Nothing about a map depends on the machine gomap runs on: DWARF gives every
size and offset.  What does depend on the target's machine is here, in one
table: the pointer size and byte order (ELF class and data encoding), the
highest user address, and the registers the runtime gives a job (the g
register of Go's internal ABI, the stack pointer, the link register of the
machines whose calls leave the return address in one) with where a core's
``NT_PRSTATUS`` note keeps them.

A machine not in the table is refused with one line: gomap reads what it knows.
"""

import struct
from dataclasses import dataclass
from typing import Dict, Literal, Optional, Tuple

from .errors import NotGoBinary


Order = Literal["little", "big"]


@dataclass(frozen=True)
class Arch:
    goarch: str              # GOARCH
    machine: int             # ELF e_machine
    ptr: int                 # pointer size in bytes
    order: Order             # "little" or "big"
    user_top: int            # user addresses are below this
    pc: str                  # register names as gomap records them (the core note's,
    sp: str                  # gdb's for the same machine)
    g: Optional[str]         # the register holding the current g (None: in TLS, 386)
    lr: Optional[str]        # the link register of a machine whose calls use one
    min_frame: int           # sys.MinFrameSize: the saved LR slot at the bottom of a frame
    frame_pointer: bool      # the Go compiler keeps a frame pointer (amd64, arm64)
    prstatus_pid: int        # offset of pr_pid in NT_PRSTATUS
    prstatus_regs: int       # offset of pr_reg
    regs: Tuple[str, ...]    # pr_reg, in order, each ``reg_size`` bytes
    reg_size: int = 0        # defaults to ptr
    # what a signal handler's faked call adds below the interrupted frame's sp on a
    # link-register machine: alignUp(MinFrameSize, StackAlign)
    injected_frame: int = 0
    dwarf_regs: Tuple[str, ...] = ()   # DWARF register number -> name

    @property
    def uses_lr(self) -> bool:
        return self.lr is not None

    @property
    def native(self) -> bool:
        """Eight-byte little-endian words: the layout the fast paths read with
        memoryview casts on this (little-endian) host."""
        return self.ptr == 8 and self.order == "little"

    @property
    def word_code(self) -> str:
        """struct code of one pointer-sized word, byte order included."""
        return ("<" if self.order == "little" else ">") + ("Q" if self.ptr == 8 else "I")

    @property
    def mask(self) -> int:
        return (1 << (8 * self.ptr)) - 1

    def word(self, buf, off: int = 0) -> int:
        """The pointer-sized word at ``buf[off:]``."""
        return int.from_bytes(buf[off:off + self.ptr], self.order)

    def uint(self, buf, off: int, size: int, signed: bool = False) -> int:
        return int.from_bytes(buf[off:off + size], self.order, signed=signed)

    def words(self, buf) -> list:
        """Every whole word of ``buf``."""
        n = len(buf) // self.ptr
        return list(struct.unpack_from(f"{self.word_code[0]}{n}{self.word_code[1]}", buf))

    def plausible(self, addr: int) -> bool:
        """True when ``addr`` could be a user-space pointer (non-nil, below the top)."""
        return 4096 <= addr < self.user_top

    def prstatus(self, desc: bytes) -> Optional[Tuple[int, Dict[str, int]]]:
        """(tid, registers) from one NT_PRSTATUS note's descriptor, or None if short."""
        size = self.reg_size or self.ptr
        need = self.prstatus_regs + size * len(self.regs)
        if len(desc) < need:
            return None
        end = "<" if self.order == "little" else ">"
        tid, = struct.unpack_from(end + "i", desc, self.prstatus_pid)
        code = {4: "I", 8: "Q"}[size]
        vals = struct.unpack_from(f"{end}{len(self.regs)}{code}", desc, self.prstatus_regs)
        regs = dict(zip(self.regs, vals))
        if self.goarch == "s390x":    # pswa is the pc; mask off the addressing-mode bit
            regs["pc"] = regs["pswa"] & 0x7FFFFFFFFFFFFFFF
        return tid, regs


_X = tuple(f"x{i}" for i in range(31))
_R = tuple(f"r{i}" for i in range(16))

AMD64 = Arch("amd64", 62, 8, "little", 1 << 47, "rip", "rsp", "r14", None, 0, True, 32, 112,
             ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
              "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
              "gs_base", "ds", "es", "fs", "gs"),
             dwarf_regs=("rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
                         "r10", "r11", "r12", "r13", "r14", "r15"))
ARM64 = Arch("arm64", 183, 8, "little", 1 << 48, "pc", "sp", "x28", "x30", 8, True, 32, 112,
             _X + ("sp", "pc", "pstate"), dwarf_regs=_X + ("sp",), injected_frame=16)
ARM = Arch("arm", 40, 4, "little", 1 << 32, "pc", "sp", "r10", "lr", 4, False, 24, 72,
           tuple(f"r{i}" for i in range(13)) + ("sp", "lr", "pc", "cpsr", "orig_r0"),
           dwarf_regs=tuple(f"r{i}" for i in range(13)) + ("sp", "lr", "pc"), injected_frame=4)
S390X = Arch("s390x", 22, 8, "big", 1 << 53, "pc", "r15", "r13", "r14", 8, False, 32, 112,
             ("pswm", "pswa") + _R, dwarf_regs=_R, injected_frame=8)
I386 = Arch("386", 3, 4, "little", 1 << 32, "eip", "esp", None, None, 0, False, 24, 72,
            ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "xds", "xes", "xfs", "xgs",
             "orig_eax", "eip", "xcs", "eflags", "esp", "xss"),
            dwarf_regs=("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"))

ARCHES = {a.machine: a for a in (AMD64, ARM64, ARM, S390X, I386)}
BY_GOARCH = {a.goarch: a for a in ARCHES.values()}


def for_elf(machine: int, elfclass: int, little: bool, path: str = "the executable") -> Arch:
    """The Arch of an ELF file's (e_machine, class, data); NotGoBinary when gomap
    does not know that machine, or the header contradicts the table."""
    arch = ARCHES.get(machine)
    if arch is None:
        known = ", ".join(sorted(BY_GOARCH))
        raise NotGoBinary(f"{path} is built for ELF machine {machine}, which gomap does not "
                          f"know; it reads Go programs for linux/{{{known}}}")
    if elfclass != arch.ptr * 8 or little != (arch.order == "little"):
        raise NotGoBinary(f"{path} says machine {arch.goarch} but is ELF{elfclass} "
                          f"{'little' if little else 'big'}-endian; give an unmodified Go "
                          f"executable")
    return arch
