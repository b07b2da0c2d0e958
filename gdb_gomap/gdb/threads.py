"""The registers of every thread of gdb's inferior (live or core), for the census's
unwinder: ``{tid: {register: value}}`` in the names of ``user_regs_struct``.

Only reads registers: the selected thread and frame are put back afterwards.
"""

import gdb

REGISTERS = ("rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
             "r10", "r11", "r12", "r13", "r14", "r15")


def thread_registers(inferior=None):
    """{tid: registers} of the stopped threads; the selected thread and frame stay selected."""
    inferior = inferior or gdb.selected_inferior()
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
                regs = {name: int(frame.read_register(name)) & ((1 << 64) - 1)
                        for name in REGISTERS}
            except (gdb.error, ValueError):
                continue
            out[thread.ptid[1] or thread.ptid[0]] = regs
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame_selected is not None and frame_selected.is_valid():
                frame_selected.select()
    return out
