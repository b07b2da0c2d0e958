"""Opening the files a user names (an executable, a core): regular files only.

A FIFO would block ``open()`` until a writer comes, a device or ``/proc`` file
is endless or empty, a directory is no file at all.  :func:`open_regular`
refuses them with one line before a byte is read: it looks at the path with
``stat`` first (opening some devices has effects), then opens it without
blocking and checks that what it opened is the same regular file (a FIFO
swapped in between the two would otherwise block the first read).
"""

import fcntl
import os
import stat

from .errors import GomapError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))
# Kernel file systems: their regular files say size 0 or 4096 whatever they hold,
# and some (/proc/PID/mem) are a process's memory, not a file.
_KERNEL_DIRS = ("/proc/", "/sys/")


def file_kind(st):
    """'a FIFO', 'a directory', ... for what ``st`` describes, or None for a regular file."""
    for test, name in _KINDS:
        if test(st.st_mode):
            return name
    return None if stat.S_ISREG(st.st_mode) else "not a regular file"


def _refusal(path, st):
    kind = file_kind(st)
    if kind:
        return kind
    real = os.path.realpath(path)
    if real.startswith(_KERNEL_DIRS):
        return f"a file of the kernel ({real})"
    if st.st_size == 0:
        return "empty"
    return None


def open_regular(path, what, should_be, advice, error=GomapError):
    """``path`` opened for binary reading, if it is a non-empty regular file.

    Else ``error`` with one line: "cannot open WHAT PATH: it is a FIFO, not
    SHOULD_BE; ADVICE".
    """
    def refuse(reason):
        return error(f"cannot open {what} {path}: {reason}; {advice}")

    try:
        before = os.stat(path)
    except (OSError, ValueError) as exc:
        raise refuse(getattr(exc, "strerror", None) or str(exc)) from exc
    kind = _refusal(path, before)
    if kind:
        raise refuse(f"it is {kind}, not {should_be}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise refuse(exc.strerror) from exc
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or file_kind(now):
            raise refuse(f"it was replaced while gomap opened it (by "
                         f"{file_kind(now) or 'another file'}), not {should_be}")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
