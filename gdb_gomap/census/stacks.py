"""Goroutine stacks as census roots: unwind each goroutine with the binary's
pclntab, and read every local and argument whose DWARF location can be
computed in its frame.

Unwinding, as the runtime's own traceback does it: in a frame of function
``f`` at ``pc`` with stack pointer ``sp`` and ``size = framesize(f, pc)``
(pclntab's pcsp table), the caller's sp (the frame's CFA) is ``sp + size``,
one word more on amd64 and 386, whose calls push the return address: it is at
``sp + size`` there.  On machines with a link register (arm64, arm, s390x)
the prologue saves it at ``0(sp)``; an innermost frame that has not yet made
its frame (size 0) still has it in the register (or ``sched.lr``).  A parked
goroutine starts from its saved ``sched`` pc/sp (``syscallpc/sp`` in a
syscall), a running one from its thread's registers; on amd64 a thread
interrupted by a signal is followed through ``runtime.sigtramp`` into the
signal's saved context.  Locals come from the function's DW_TAG_subprogram (found by pc in
the DWARF of the compilation unit holding it, indexed lazily per unit).
"""

import struct
from collections import Counter

from elftools.dwarf.locationlists import BaseAddressEntry, LocationEntry, LocationParser

from ..arch import AMD64
from ..dwarf.scan import sleb128, uleb128
from ..errors import GomapError, UnreadableMemory
from .goroutines import DEAD, IDLE, NoGoroutines, read_goroutines
from .model import Root, RootReport, Unread
from .pclntab import (BOTTOM, FUNCDATA_ARGS_POINTER_MAPS, FUNCDATA_LOCALS_POINTER_MAPS,
                      PCDATA_STACK_MAP_INDEX, BadPclntab)

MAX_FRAMES = 4096
# Functions the runtime's signal handler makes an interrupted goroutine "call".
INJECTED = frozenset(("runtime.sigpanic", "runtime.asyncPreempt", "runtime.debugCallV2"))
# DWARF register numbers of amd64 (the Go compiler's numbering is the psABI one;
# each machine's are Arch.dwarf_regs).
DWARF_REGS = AMD64.dwarf_regs
# sigcontext (uc_mcontext, 40 bytes into the ucontext) of linux/amd64, in order.
SIGCONTEXT = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx",
              "rdx", "rax", "rcx", "rsp", "rip")


class Frame:
    __slots__ = ("func", "pc", "sp", "cfa", "regs", "call", "arch")

    def __init__(self, func, pc, sp, cfa, regs, call, arch=AMD64):
        self.func, self.pc, self.sp, self.cfa = func, pc, sp, cfa
        self.regs = regs     # the registers, only for the innermost frame of a thread
        self.call = call     # pc is a return address: look DWARF up at pc - 1
        self.arch = arch     # the machine: register names, word size, byte order

    @property
    def lookup_pc(self):
        return self.pc - 1 if self.call else self.pc


class UnwindError(Exception):
    pass


def _word(mem, addr, arch):
    return arch.word(mem.read(addr, arch.ptr))


def unwind(target, pcln, g):
    """The frames of goroutine ``g`` (innermost first); raises UnwindError."""
    mem = target.memory
    arch = target.arch
    if g.status == 2:
        if g.regs is None:
            raise UnwindError(f"it is running on thread {g.tid} whose registers are not "
                              f"available" if g.tid else
                              "it is running but no thread names it as its current goroutine")
        try:
            frames = _walk(arch, mem, pcln, g, g.regs[arch.pc], g.regs[arch.sp],
                           dict(g.regs), False, g.regs.get(arch.lr, 0) if arch.lr else 0)
        except PartialUnwind as exc:
            own = [f for f in exc.frames if g.stack_lo <= f.sp < g.stack_hi]
            if own:
                raise PartialUnwind(str(exc), own) from None
            frames = []
        own = [f for f in frames if g.stack_lo <= f.sp < g.stack_hi]
        if own:
            return own
        # on the system stack (systemstack saved the goroutine's place in sched)
        if not g.stack_lo <= g.sp < g.stack_hi:
            raise UnwindError(f"its thread {g.tid} is outside the goroutine's stack and "
                              f"its saved sp {g.sp:#x} is too")
    if not g.pc or not g.sp:
        raise UnwindError("its saved pc/sp are zero")
    if not g.stack_lo <= g.sp <= g.stack_hi:
        raise UnwindError(f"its saved sp {g.sp:#x} lies outside its stack "
                          f"[{g.stack_lo:#x}, {g.stack_hi:#x})")
    return _walk(arch, mem, pcln, g, g.pc, g.sp, None, True, g.lr)


class PartialUnwind(Exception):
    """The unwind stopped before the bottom of the stack; ``frames`` are those read."""

    def __init__(self, why, frames):
        super().__init__(why)
        self.frames = frames


def _walk(arch, mem, pcln, g, pc, sp, regs, call, lr=0):
    """The frames from ``pc``/``sp`` (``lr``: the link register's value, for an
    innermost frame that has not saved it yet)."""
    frames = []
    P = arch.ptr
    push = 0 if arch.uses_lr else P     # the call pushed the return address
    on_stack = regs is None     # from sched: every frame must lie on the goroutine's stack
    while len(frames) < MAX_FRAMES:
        func = pcln.find(pc)
        if func is None:
            if not frames:
                raise UnwindError(f"its pc {pc:#x} is outside the program's text")
            raise PartialUnwind(f"a return address ({pc:#x}) is outside the program's text",
                                frames)
        try:
            size = pcln.frame_size(func, pc - 1 if call and pc > func.entry else pc)
        except BadPclntab as exc:
            if not frames:
                raise UnwindError(str(exc)) from exc
            raise PartialUnwind(str(exc), frames) from exc
        if func.name == "runtime.sigtramp" and arch is AMD64:
            # the kernel called it with the ucontext of the interrupted code above
            # its return address: continue there, with all its registers
            ctx = sp + size + 8 + 40
            try:
                vals = struct.unpack(f"<{len(SIGCONTEXT)}Q", mem.read(ctx, 8 * len(SIGCONTEXT)))
            except UnreadableMemory as exc:
                raise PartialUnwind(f"the signal context at {ctx:#x} is unreadable",
                                    frames) from exc
            regs = dict(zip(SIGCONTEXT, vals))
            pc, sp, call = regs["rip"], regs["rsp"], False
            continue
        cfa = sp + size + push
        frames.append(Frame(func, pc, sp, cfa, regs, call, arch))
        if func.name in BOTTOM:
            return frames
        at = sp if arch.uses_lr else sp + size
        if arch.uses_lr and size == 0 and lr:
            pc = lr             # a leaf, or a prologue: the return address is in LR
        else:
            try:
                pc = _word(mem, at, arch)
            except UnreadableMemory as exc:
                raise PartialUnwind(f"the return address of {func.name} at {at:#x} is "
                                    f"unreadable", frames) from exc
        sp, regs, call, lr = cfa, None, True, 0
        if func.name in INJECTED:
            # a call the signal handler faked (preemption, a fault): the frame above
            # was interrupted at pc, not calling; on a link-register machine the
            # handler pushed that frame's LR below its sp (runtime's pushCall)
            call = False
            if arch.uses_lr:
                try:
                    saved = _word(mem, cfa, arch)
                except UnreadableMemory as exc:
                    raise PartialUnwind(f"the link register {func.name} saved at {cfa:#x} "
                                        f"is unreadable", frames) from exc
                sp = cfa + arch.injected_frame
                above = pcln.find(pc)
                if above is not None and pcln.frame_size(above, pc) == 0:
                    lr = saved
        if on_stack and not g.stack_lo < sp <= g.stack_hi:
            raise PartialUnwind(f"the caller of {func.name} would have its sp {sp:#x} "
                                f"outside the stack", frames)
    raise PartialUnwind(f"the stack is deeper than {MAX_FRAMES} frames", frames)


# --- DWARF: subprograms by pc, and their variables -------------------------------------

class SubprogramIndex:
    """pc -> DW_TAG_subprogram, built per compilation unit on first use."""

    def __init__(self, dwarf):
        self.dwarf = dwarf
        self._units = None      # [(low, high, cu)]
        self._funcs = {}        # cu offset -> [(low, high, die)]
        self._loc = None
        self._loclists = {}     # DIE offset -> [(low, high, expression)]
        self._vars = {}         # (scope DIE offset, pc) -> variables
        self._found = {}        # pc -> subprogram DIE or None
        self.decls = {}         # variable DIE offset -> (name, GoType) (see _declaration)

    def _cu_ranges(self, cu):
        top = cu.get_top_DIE()
        at = top.attributes
        out = []
        base = at["DW_AT_low_pc"].value if "DW_AT_low_pc" in at else 0
        if "DW_AT_ranges" in at:
            return self._range_list(at["DW_AT_ranges"].value, cu, base) or []
        if "DW_AT_high_pc" in at:
            high = at["DW_AT_high_pc"]
            hv = high.value if high.form == "DW_FORM_addr" else base + high.value
            out.append((base, hv))
        return out

    def _all_units(self):
        if self._units is None:
            self._units = []
            for cu in self.dwarf.iter_CUs():
                for lo, hi in self._cu_ranges(cu):
                    self._units.append((lo, hi, cu))
        return self._units

    def _die_ranges(self, die):
        """[(low, high)] of a DIE with low/high pc or DW_AT_ranges; None when it has none."""
        at = die.attributes
        if "DW_AT_low_pc" in at and "DW_AT_high_pc" in at:
            lo = at["DW_AT_low_pc"].value
            high = at["DW_AT_high_pc"]
            return [(lo, high.value if high.form == "DW_FORM_addr" else lo + high.value)]
        if "DW_AT_ranges" in at:
            top = die.cu.get_top_DIE().attributes
            base = top["DW_AT_low_pc"].value if "DW_AT_low_pc" in top else 0
            return self._range_list(at["DW_AT_ranges"].value, die.cu, base)
        return None

    def _range_list(self, offset, cu, base):
        """[(low, high)] of the DW_AT_ranges list at ``offset`` of ``cu``, whose
        entries are absolute, base-address selections, or offsets from ``base`` (the
        unit's low pc until an entry changes it); None without range lists."""
        rl = self.dwarf.range_lists()
        if rl is None:
            return None
        out = []
        for e in rl.get_range_list_at_offset(offset, cu=cu):
            if hasattr(e, "base_address"):
                base = e.base_address
            elif getattr(e, "is_absolute", False):
                out.append((e.begin_offset, e.end_offset))
            else:
                out.append((base + e.begin_offset, base + e.end_offset))
        return out

    def _die_range(self, die):
        r = self._die_ranges(die)
        return (min(lo for lo, _ in r), max(hi for _, hi in r)) if r else None

    def _covers(self, die, pc):
        r = self._die_ranges(die)
        return r is not None and any(lo <= pc < hi for lo, hi in r)

    def find(self, pc):
        if pc in self._found:
            return self._found[pc]
        self._found[pc] = die = self._find(pc)
        return die

    def _find(self, pc):
        for lo, hi, cu in self._all_units():
            if lo <= pc < hi:
                funcs = self._funcs.get(cu.cu_offset)
                if funcs is None:
                    funcs = []
                    for die in cu.get_top_DIE().iter_children():
                        if die.tag == "DW_TAG_subprogram":
                            r = self._die_range(die)
                            if r:
                                funcs.append((r[0], r[1], die))
                    self._funcs[cu.cu_offset] = funcs
                for flo, fhi, die in funcs:
                    if flo <= pc < fhi:
                        return die
        return None

    def variables(self, sub, pc):
        """(DIE, kind, inlined function name or None) of the variables and parameters
        in scope at ``pc``: the function's own, those of the lexical blocks holding
        ``pc``, and those of the functions inlined there."""
        key = (sub.offset, pc)
        out = self._vars.get(key)
        if out is not None:
            return out
        out = self._vars[key] = []
        todo = [(sub, None)]
        while todo:
            die, inlined = todo.pop()
            for child in die.iter_children():
                if child.tag == "DW_TAG_formal_parameter":
                    out.append((child, "param", inlined))
                elif child.tag == "DW_TAG_variable":
                    out.append((child, "local", inlined))
                elif child.tag == "DW_TAG_lexical_block":
                    if self._covers(child, pc):
                        todo.append((child, inlined))
                elif child.tag == "DW_TAG_inlined_subroutine":
                    if self._covers(child, pc):
                        todo.append((child, _name(origin(child)) or "?"))
        return out

    def location(self, die, pc):
        """The location expression (list of bytes) of ``die`` at ``pc``; None when it
        has none there."""
        attr = die.attributes.get("DW_AT_location")
        if attr is None:
            return None
        if attr.form == "DW_FORM_exprloc" or isinstance(attr.value, list):
            return attr.value
        ranges = self._loclists.get(die.offset)
        if ranges is None:
            ranges = self._loclists[die.offset] = self._parse_loclist(die, attr)
        for lo, hi, expr in ranges:
            if lo <= pc < hi:
                return expr
        return None

    def _parse_loclist(self, die, attr):
        if self._loc is None:
            self._loc = LocationParser(self.dwarf.location_lists())
        cu = die.cu
        top = cu.get_top_DIE().attributes
        base = top["DW_AT_low_pc"].value if "DW_AT_low_pc" in top else 0
        out = []
        for e in self._loc.parse_from_attribute(attr, cu.header.version, die):
            if isinstance(e, BaseAddressEntry):
                base = e.base_address
            elif isinstance(e, LocationEntry):
                lo, hi = e.begin_offset, e.end_offset
                if not getattr(e, "is_absolute", False):
                    lo, hi = base + lo, base + hi
                out.append((lo, hi, e.loc_expr))
        return out


def origin(die):
    """The DIE that gives ``die`` its name and type (DW_AT_abstract_origin), or itself."""
    if "DW_AT_abstract_origin" in die.attributes:
        return die.get_DIE_from_attribute("DW_AT_abstract_origin")
    return die


def _name(die):
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return ""
    v = attr.value
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


class NotAddressable(Exception):
    """The value is not in memory at this pc (its reason is the message)."""


def evaluate(expr, frame):
    """The address a location expression names in ``frame``."""
    addr, value = locate(expr, frame, None, 0)
    if value is not None:
        raise NotAddressable("in a register")
    return addr


def locate(expr, frame, memory, size):
    """(address, None) when the expression names a place in memory, or (0, bytes)
    when it gives the value itself: one register, or pieces (DW_OP_piece) of
    registers and memory, assembled into ``size`` bytes (read with ``memory``)."""
    if not expr:
        raise NotAddressable("optimized away (empty location)")
    arch = frame.arch
    stack, pos, reg, pieces = [], 0, None, []
    while pos < len(expr):
        op = expr[pos]
        pos += 1
        if op == 0x9C:                        # DW_OP_call_frame_cfa
            stack.append(frame.cfa)
        elif op == 0x91:                      # DW_OP_fbreg (frame base is the CFA in Go)
            off, pos = sleb128(expr, pos)
            stack.append(frame.cfa + off)
        elif op == 0x11:                      # DW_OP_consts
            v, pos = sleb128(expr, pos)
            stack.append(v)
        elif op == 0x10:                      # DW_OP_constu
            v, pos = uleb128(expr, pos)
            stack.append(v)
        elif op == 0x22:                      # DW_OP_plus
            if len(stack) < 2:
                raise NotAddressable("malformed location expression")
            b, a = stack.pop(), stack.pop()
            stack.append(a + b)
        elif op == 0x23:                      # DW_OP_plus_uconst
            v, pos = uleb128(expr, pos)
            if not stack:
                raise NotAddressable("malformed location expression")
            stack.append(stack.pop() + v)
        elif op == 0x03:                      # DW_OP_addr
            stack.append(arch.word(bytes(expr[pos:pos + arch.ptr])))
            pos += arch.ptr
        elif 0x70 <= op <= 0x7F:              # DW_OP_bregN
            off, pos = sleb128(expr, pos)
            stack.append(_reg(frame, op - 0x70) + off)
        elif 0x50 <= op <= 0x6F:              # DW_OP_regN: the value is in a register
            reg = _reg(frame, op - 0x50)
        elif op == 0x93:                      # DW_OP_piece
            n, pos = uleb128(expr, pos)
            if memory is None:
                raise NotAddressable("split in pieces (DW_OP_piece)")
            if reg is not None:
                pieces.append(_reg_bytes(reg, n, arch))
            elif len(stack) == 1:
                pieces.append(memory.read(stack[0], n))
            elif not stack:
                raise NotAddressable("a piece of it is optimized away")
            else:
                raise NotAddressable("malformed location expression")
            stack, reg = [], None
        else:
            raise NotAddressable(f"location operation {op:#x} not supported")
    if pieces:
        if stack or reg is not None:
            raise NotAddressable("malformed location expression")
        value = b"".join(pieces)
        if len(value) != size:
            raise NotAddressable(f"its pieces make {len(value)} bytes, its type {size}")
        return 0, value
    if reg is not None:
        if stack or size > arch.ptr:
            raise NotAddressable("in a register, but larger than one")
        return 0, _reg_bytes(reg, size, arch)
    if len(stack) != 1:
        raise NotAddressable("malformed location expression")
    return stack[0], None


def _reg(frame, n):
    if frame.regs is None:
        raise NotAddressable("in a register of a frame that is not innermost")
    names = frame.arch.dwarf_regs
    if n >= len(names) or names[n] not in frame.regs:
        raise NotAddressable(f"in register {n}, not saved")
    return frame.regs[names[n]]


def _reg_bytes(reg, n, arch):
    """The ``n`` bytes a value held in a register has in memory: its low bytes, in
    the machine's order (zero bytes past the register's width)."""
    k = min(n, arch.ptr)
    return (reg & ((1 << (8 * k)) - 1)).to_bytes(k, arch.order).ljust(n, b"\0")


def can_hold_pointer(t, depth=0):
    if depth > 32 or t is None:
        return False
    if t.kind in ("ptr", "unsafe.Pointer", "map", "chan", "func", "string", "slice",
                  "interface"):
        return True
    if t.kind == "struct":
        return any(can_hold_pointer(f.type, depth + 1) for f in t.fields)
    if t.kind == "array":
        return t.count > 0 and can_hold_pointer(t.elem, depth + 1)
    return False


# --- liveness: the garbage collector's own stack maps ------------------------------------

class Liveness:
    """Which stack words of a frame hold live pointers, as the runtime's stack maps
    say (pclntab's PCDATA_StackMapIndex selects a bitmap of FUNCDATA_LocalsPointerMaps
    and FUNCDATA_ArgsPointerMaps); the garbage collector scans nothing else, so a slot
    they call dead holds no root even where DWARF still places a variable in it (a
    ``-N -l`` build keeps one location for the whole function).  Stack objects
    (variables whose address is taken) are outside the bitmaps and count as live.

    The maps hold only where the frame stopped at a call: the innermost frame of a
    running thread, and one interrupted by a signal or an asynchronous preemption,
    are at an arbitrary instruction and keep every slot DWARF gives them."""

    def __init__(self, pcln):
        self.pcln = pcln
        self._maps = {}        # (function entry, stack map index) -> the maps read

    def _read(self, func, index):
        key = (func.entry, index)
        got = self._maps.get(key)
        if got is None:
            pcln = self.pcln
            got = self._maps[key] = (
                pcln.stack_map(func, index, FUNCDATA_LOCALS_POINTER_MAPS),
                pcln.stack_map(func, index, FUNCDATA_ARGS_POINTER_MAPS),
                pcln.stack_objects(func))
        return got

    def frame(self, frame, inner):
        """A FrameLiveness for ``frame`` (``inner`` is the frame it called, or None),
        or None when the stack maps do not apply or cannot be read there."""
        if not frame.call or frame.regs is not None or (
                inner is not None and inner.func.name.startswith("runtime.asyncPreempt")):
            return None
        func, pcln = frame.func, self.pcln
        try:
            index = pcln.pcdata(func, PCDATA_STACK_MAP_INDEX, frame.lookup_pc)
            if index < 0:
                index = 0      # the runtime's choice too: a prologue uses map 0
            locals_map, args_map, objects = self._read(func, index)
        except BadPclntab:
            return None
        if locals_map is None and args_map is None:
            return None        # no maps (assembly): DWARF describes nothing there either
        return FrameLiveness(frame, locals_map, args_map, objects)


class FrameLiveness:
    """The live pointer words and stack objects of one frame (see Liveness)."""

    def __init__(self, frame, locals_map, args_map, objects):
        # As the runtime's frame.varp and frame.argp: on amd64 the return address is
        # just below the CFA; with frame pointers (amd64, arm64) the saved one is
        # below that when the frame has any size.  Locals end at varp, arguments
        # start MinFrameSize above the CFA (the callee's saved-LR slot).
        arch = frame.arch
        P = self.P = arch.ptr
        varp = frame.cfa - (0 if arch.uses_lr else P)
        if varp > frame.sp and arch.frame_pointer:
            varp -= P
        argp = frame.cfa + arch.min_frame
        self.live = set()
        self.regions = []      # (low, high) the bitmaps speak for
        if locals_map is not None:
            nbit, bits = locals_map
            low = varp - P * nbit
            self.regions.append((low, varp))
            self.live.update(low + P * i for i in range(nbit) if bits[i >> 3] >> (i & 7) & 1)
        if args_map is not None:
            nbit, bits = args_map
            self.regions.append((argp, argp + P * nbit))
            self.live.update(argp + P * i for i in range(nbit) if bits[i >> 3] >> (i & 7) & 1)
        self.objects = [((varp if off < 0 else argp) + off,
                         (varp if off < 0 else argp) + off + size) for off, size in objects]

    def holds(self, addr, size):
        """False when the stack maps say no word of [addr, addr+size) is a live
        pointer and no stack object covers it; True otherwise (also for a place the
        maps do not speak for)."""
        end = addr + max(size, 1)
        if any(lo < end and addr < hi for lo, hi in self.objects):
            return True
        if not any(lo <= addr and end <= hi for lo, hi in self.regions):
            return True
        P = self.P
        first = addr - addr % P
        return any(w in self.live for w in range(first, end, P))


# --- the roots -----------------------------------------------------------------------

def _top_function(frames):
    """The innermost frame outside the runtime; for the runtime's own goroutines the
    function the goroutine runs (its outermost frame below runtime.goexit)."""
    for f in frames:
        if not f.func.name.startswith("runtime."):
            return f.func.name
    for f in reversed(frames):
        if f.func.name not in BOTTOM:
            return f.func.name
    return frames[0].func.name if frames else ""


def unwind_all(target, goroutines, unread):
    """Unwind each goroutine in place (``g.frames``, ``g.top_function``); what cannot
    be unwound is added to ``unread``.  Returns the Pclntab."""
    pcln = target.pclntab()
    for g in goroutines:
        try:
            g.frames = unwind(target, pcln, g)
        except PartialUnwind as exc:
            g.frames = exc.frames
            unread.append(Unread(f"goroutine {g.goid}", f"unwound {len(exc.frames)} frames "
                                 f"only: {exc}"))
        except (UnwindError, BadPclntab) as exc:
            unread.append(Unread(f"goroutine {g.goid}", f"cannot unwind its stack: {exc}"))
            g.frames = []
        except UnreadableMemory as exc:
            unread.append(Unread(f"goroutine {g.goid}", f"cannot unwind its stack: {exc}"))
            g.frames = []
        g.top_function = _top_function(g.frames)
    return pcln


def stack_roots(target, threads=None):
    """(list of Root, RootReport) for every local and argument of every frame of
    every live goroutine that can hold a pointer and whose place is known.
    ``threads`` ({tid: {register: value}}) gives the threads' registers when the
    memory source cannot (gdb: :func:`gdb_gomap.gdb.threads.thread_registers`)."""
    report = RootReport()
    try:
        gs, bad = read_goroutines(target, threads)
    except NoGoroutines as exc:
        report.unread.append(Unread("goroutines", str(exc)))
        return [], report
    for gp, why in bad:
        report.unread.append(Unread(f"goroutine at {gp:#x}", f"its g is unreadable: {why}"))
    live = [g for g in gs if g.status not in (DEAD, IDLE)]
    report.goroutines = len(live)
    try:
        pcln = unwind_all(target, live, report.unread)
    except GomapError as exc:
        report.unread.append(Unread("goroutines", str(exc)))
        return [], report
    index = subprograms(target)
    liveness = Liveness(pcln)
    roots, skipped = [], Counter()
    for g in live:
        if not g.frames:
            continue
        report.goroutines_unwound += 1
        inner = None
        for frame in g.frames:
            report.frames += 1
            _frame_roots(target, index, g, frame, roots, skipped, report,
                         liveness.frame(frame, inner))
            inner = frame
    for why, n in sorted(skipped.items()):
        report.unread.append(Unread(f"{n} locals", why))
    return roots, report


def subprograms(target):
    """The target's SubprogramIndex (built once, kept on the target)."""
    index = getattr(target, "_census_subprograms", None)
    if index is None:
        index = target._census_subprograms = SubprogramIndex(target.dwarf)
    return index


def variable_type(target, die):
    """(name, GoType) of a variable DIE, its type the one its own DIE names (each
    instantiation of a generic function has its own); ("reason", None) when
    unreadable; ("", None) when unnamed or untyped."""
    try:
        decl = origin(die)
        name = _name(decl)
        if not name or "DW_AT_type" not in decl.attributes:
            return "", None
        return name, target.types.get(decl.get_DIE_from_attribute("DW_AT_type").offset)
    except Exception:
        return "its type is unreadable", None


def _declaration(target, die):
    """(name, GoType) of a variable DIE; (name, False) when its type holds no
    pointer; ("reason", None) when unreadable; ("", None) when unnamed or untyped."""
    name, gotype = variable_type(target, die)
    if gotype is None:
        return name, None
    return name, (gotype if can_hold_pointer(gotype) else False)


def _frame_roots(target, index, g, frame, roots, skipped, report, live):
    pc = frame.lookup_pc
    try:
        sub = index.find(pc)
    except Exception as exc:   # DWARF pyelftools cannot parse: say so, go on
        report.unread.append(Unread(f"goroutine {g.goid} {frame.func.name}",
                                    f"its DWARF is unreadable ({type(exc).__name__}: {exc})"))
        return
    if sub is None:
        return
    try:
        variables = index.variables(sub, pc)
    except Exception as exc:   # a DIE tree pyelftools cannot parse: say so, go on
        report.unread.append(Unread(f"goroutine {g.goid} {frame.func.name}",
                                    f"its DWARF is unreadable ({type(exc).__name__}: {exc})"))
        return
    for die, kind, inlined in variables:
        fname = inlined or frame.func.name
        decl = index.decls.get(die.offset)
        if decl is None:
            decl = index.decls[die.offset] = _declaration(target, die)
        name, gotype = decl
        if gotype is None:
            if name:
                skipped[name] += 1     # name is the reason here
            continue
        if gotype is False:            # cannot hold a pointer
            continue
        try:
            expr = index.location(die, pc)
            if expr is None:
                skipped["no location at the frame's pc (not live there)"] += 1
                continue
            addr, value = locate(expr, frame, target.memory, gotype.size)
        except NotAddressable as exc:
            skipped[str(exc)] += 1
            continue
        except Exception as exc:
            skipped[f"location unreadable ({type(exc).__name__})"] += 1
            continue
        if value is None and live is not None and not live.holds(addr, gotype.size):
            skipped["dead at the frame's pc (the runtime's stack maps)"] += 1
            continue
        report.locals_read += 1
        roots.append(Root(label=f"goroutine {g.goid} {fname} {name}",
                          pattern=f"goroutine * {fname} {name}", gotype=gotype, addr=addr,
                          kind=kind, goroutine=g.goid, function=fname, value=value))
