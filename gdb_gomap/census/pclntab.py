"""The Go runtime's own function table (``.gopclntab``), read without a debugger.

Gives, for a program counter, the function that holds it (name, entry) and the
size of its stack frame there (the ``pcsp`` pc-value table), which is all a
Go unwinder needs (census/stacks.py says how each machine uses it).  Layout of
Go 1.18+ (magic 0xfffffff0) and 1.20+ (0xfffffff1), in the executable's byte
order and pointer size.
"""

import bisect
import struct

from ..errors import GomapError

MAGICS = (0xFFFFFFF1, 0xFFFFFFF0)
# Functions an unwind stops at: the bottom of a goroutine or thread stack.
BOTTOM = frozenset(("runtime.goexit", "runtime.mstart", "runtime.mstart0", "runtime.rt0_go",
                    "runtime.mcall", "runtime.morestack", "runtime.systemstack_switch",
                    "runtime.sigtramp", "runtime.sigreturn__sigaction"))


class BadPclntab(GomapError):
    """The executable's .gopclntab is missing or not one gomap can read."""


# Indexes of the runtime's pc-value tables and function data (runtime/symtab.go).
PCDATA_STACK_MAP_INDEX = 1
FUNCDATA_ARGS_POINTER_MAPS = 0
FUNCDATA_LOCALS_POINTER_MAPS = 1
FUNCDATA_STACK_OBJECTS = 2


class Func:
    __slots__ = ("entry", "end", "name", "pcsp", "args", "offset")

    def __init__(self, entry, end, name, pcsp, args, offset=0):
        self.entry, self.end, self.name, self.pcsp, self.args = entry, end, name, pcsp, args
        self.offset = offset    # of its _func record in .gopclntab

    def __repr__(self):
        return f"Func({self.name!r}, {self.entry:#x}-{self.end:#x})"


def _uvarint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise BadPclntab("a pc-value table of .gopclntab runs past its end")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise BadPclntab("a varint of .gopclntab is longer than 10 bytes")


class Pclntab:
    """Parsed ``.gopclntab`` of a GoBinary (functions are decoded lazily)."""

    def __init__(self, binary):
        sec = binary.elf.get_section_by_name(".gopclntab")
        if sec is None:
            raise BadPclntab(f"{binary.path} has no .gopclntab section; give an unstripped "
                             f"Go executable (ELF, Go 1.18 or later)")
        self.data = data = sec.data()
        arch = binary.arch
        self.E = E = "<" if arch.order == "little" else ">"
        if len(data) < 8 + 8 * arch.ptr:
            raise BadPclntab(".gopclntab is too short for its header")
        magic, = struct.unpack_from(E + "I", data, 0)
        if magic not in MAGICS:
            raise BadPclntab(f".gopclntab has magic {magic:#x}; gomap reads the Go 1.18+ "
                             f"layouts ({MAGICS[1]:#x}, {MAGICS[0]:#x})")
        self.magic = magic
        self.binary = binary
        self._gofunc = None
        self.min_lc, ptr = data[6], data[7]
        if ptr != arch.ptr:
            raise BadPclntab(f".gopclntab is for {ptr}-byte pointers, not {arch.goarch}'s "
                             f"{arch.ptr}")
        self.ptr = ptr
        (self.nfunc, _nfiles, self.text_start, funcname, _cu, _filetab, pctab,
         pcln) = struct.unpack_from(E + 8 * ("Q" if ptr == 8 else "I"), data, 8)
        self.funcname_off, self.pctab_off, self.functab_off = funcname, pctab, pcln
        if not self.text_start:
            # the linker leaves it 0 in the file: it is runtime.text, the start of
            # .text (the section header is read: the symbol table is slow to search)
            sec = binary.elf.get_section_by_name(".text")
            text = sec["sh_addr"] if sec is not None else binary.symbol("runtime.text")
            if not text:
                raise BadPclntab(f"{binary.path} has no .text section to place its "
                                 f"function table")
            self.text_start = text
        need = pcln + (2 * self.nfunc + 1) * 4
        if need > len(data) or self.nfunc == 0:
            raise BadPclntab(f".gopclntab's function table ({self.nfunc} functions) does "
                             f"not fit in its {len(data)} bytes")
        raw = struct.unpack_from(f"{E}{2 * self.nfunc + 1}I", data, pcln)
        self._entries = [self.text_start + raw[2 * i] for i in range(self.nfunc + 1)]
        self._funcoffs = [raw[2 * i + 1] for i in range(self.nfunc)]
        self._funcs = {}
        self.text_end = self._entries[-1]

    def _func(self, i):
        f = self._funcs.get(i)
        if f is None:
            off = self.functab_off + self._funcoffs[i]
            if off + 40 > len(self.data):
                raise BadPclntab(f"_func record {i} lies past the end of .gopclntab")
            _entry, nameoff, args, _defer, pcsp = struct.unpack_from(self.E + "IiiII",
                                                                     self.data, off)
            start = self.funcname_off + nameoff
            end = self.data.find(b"\0", start, start + 4096)
            name = self.data[start:end if end >= 0 else start].decode("utf-8", "replace")
            f = Func(self._entries[i], self._entries[i + 1], name, pcsp, args, off)
            self._funcs[i] = f
        return f

    def find(self, pc):
        """The Func holding ``pc``, or None when it is outside the text."""
        if pc < self._entries[0] or pc >= self.text_end:
            return None
        i = bisect.bisect_right(self._entries, pc) - 1
        if i < 0 or i >= self.nfunc:
            return None
        return self._func(i)

    def pcvalue(self, func, table_off, pc):
        """The value of pc-value table ``table_off`` (an offset into pctab) at ``pc``;
        None when the table does not cover it."""
        data = self.data
        pos = self.pctab_off + table_off
        val, cur, first = -1, func.entry, True
        while True:
            uv, pos = _uvarint(data, pos)
            if uv == 0 and not first:
                return None
            first = False
            val += ~(uv >> 1) if uv & 1 else (uv >> 1)
            pcd, pos = _uvarint(data, pos)
            cur += pcd * self.min_lc
            if pc < cur:
                return val
            if cur > func.end:
                return None

    def frame_size(self, func, pc):
        """Bytes between sp and the return address at ``pc`` in ``func`` (pcsp)."""
        if func.pcsp == 0:
            return 0
        v = self.pcvalue(func, func.pcsp, pc)
        if v is None or v < 0 or v > 1 << 24:
            raise BadPclntab(f"no frame size for pc {pc:#x} in {func.name}")
        return v

    # --- the garbage collector's view of a frame: pcdata and funcdata ------------------

    def _counts(self, func):
        """(npcdata, nfuncdata, size of the _func record before its pcdata array)."""
        if self.magic == 0xFFFFFFF0:            # Go 1.18-1.19: no startLine
            fixed, nfd = 40, 39
        else:
            fixed, nfd = 44, 43
        if func.offset + fixed > len(self.data):
            raise BadPclntab(f"the _func record of {func.name} lies past .gopclntab's end")
        npcdata, = struct.unpack_from(self.E + "I", self.data, func.offset + 28)
        return npcdata, self.data[func.offset + nfd], fixed

    def pcdata(self, func, table, pc):
        """The value of pc-value table number ``table`` (PCDATA_*) at ``pc``; -1 when the
        function has no such table or it does not cover ``pc`` (as the runtime reads it)."""
        npcdata, _, fixed = self._counts(func)
        if table >= npcdata:
            return -1
        off, = struct.unpack_from(self.E + "I", self.data, func.offset + fixed + 4 * table)
        if off == 0:
            return -1
        v = self.pcvalue(func, off, pc)
        return -1 if v is None else v

    def gofunc(self):
        """Address funcdata offsets count from (the linker's go:func.* symbol)."""
        if self._gofunc is None:
            for name in ("go:func.*", "go.func.*"):
                addr = self.binary.symbol(name)
                if addr:
                    self._gofunc = addr
                    break
            else:
                self._gofunc = 0
        return self._gofunc

    def funcdata(self, func, index):
        """Address of function data number ``index`` (FUNCDATA_*) of ``func``; None when
        it has none (or the executable does not say where go:func.* is)."""
        npcdata, nfuncdata, fixed = self._counts(func)
        if index >= nfuncdata:
            return None
        pos = func.offset + fixed + 4 * npcdata + 4 * index
        if pos + 4 > len(self.data):
            raise BadPclntab(f"the funcdata of {func.name} lies past .gopclntab's end")
        off, = struct.unpack_from(self.E + "I", self.data, pos)
        base = self.gofunc()
        if off == 0xFFFFFFFF or not base:
            return None
        return base + off

    def stack_map(self, func, index, which):
        """Bitmap number ``index`` of ``func``'s args (FUNCDATA_ARGS_POINTER_MAPS) or
        locals (FUNCDATA_LOCALS_POINTER_MAPS) pointer maps, as (number of words, bytes:
        bit i set when word i holds a live pointer); None when the function has none."""
        addr = self.funcdata(func, which)
        if addr is None:
            return None
        head = self.binary.read_file_bytes(addr, 8)
        if head is None:
            raise BadPclntab(f"the stack maps of {func.name} lie outside the executable")
        n, nbit = struct.unpack(self.E + "ii", head)
        if nbit == 0:
            return 0, b""
        if not 0 <= index < n or nbit < 0 or nbit > 1 << 24:
            raise BadPclntab(f"stack map {index} of {func.name} is not among its {n}")
        per = (nbit + 7) // 8
        bits = self.binary.read_file_bytes(addr + 8 + index * per, per)
        if bits is None:
            raise BadPclntab(f"the stack maps of {func.name} lie outside the executable")
        return nbit, bits

    def stack_objects(self, func):
        """[(offset, size)] of ``func``'s stack objects (variables whose address is
        taken: the collector finds them through pointers, not the bitmaps); offsets
        are from varp (negative) or argp (non-negative)."""
        addr = self.funcdata(func, FUNCDATA_STACK_OBJECTS)
        if addr is None:
            return []
        P = self.ptr
        head = self.binary.read_file_bytes(addr, P)
        if head is None:
            return []
        n, = struct.unpack(self.E + ("Q" if P == 8 else "I"), head)
        if n > 4096:
            raise BadPclntab(f"{func.name} claims {n} stack objects")
        # stackObjectRecord: off int32, size int32, ptrdata int32 (1.21+: uint32), gcdataoff uint32
        raw = self.binary.read_file_bytes(addr + P, 16 * n) or b""
        return [struct.unpack_from(self.E + "ii", raw, 16 * i) for i in range(len(raw) // 16)]
