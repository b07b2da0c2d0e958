"""The registers of every thread of gdb's inferior (live or core), for the census's
unwinder: ``{tid: {register: value}}`` in the names gdb and a core's NT_PRSTATUS
use for the target's machine (:mod:`gdb_gomap.arch`).

Only reads registers: the selected thread and frame are put back afterwards.
"""

import gdb

from ..arch import AMD64


def registers(arch):
    """The registers the unwinder and the locals of an innermost frame need."""
    names = (arch.pc, arch.sp) + ((arch.lr,) if arch.lr else ()) + arch.dwarf_regs
    return tuple(dict.fromkeys(names))


def thread_registers(inferior=None, arch=AMD64):
    """{tid: registers} of the stopped threads; the selected thread and frame stay selected."""
    inferior = inferior or gdb.selected_inferior()
    names = registers(arch)
    out = {}
    try:
        selected = gdb.selected_thread()
        frame_selected = gdb.selected_frame()
    except gdb.error:
        selected = frame_selected = None
    try:
        for thread in inferior.threads():
            if not thread.is_valid() or thread.is_running():
                continue
            try:
                thread.switch()
                frame = gdb.newest_frame()
                regs = {name: int(frame.read_register(name)) & arch.mask for name in names}
            except (gdb.error, ValueError):
                continue
            out[thread.ptid[1] or thread.ptid[0]] = regs
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame_selected is not None and frame_selected.is_valid():
                frame_selected.select()
    return out
