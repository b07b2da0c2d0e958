"""The dlv watchdog: what a killed gomap-dlv cannot do itself.

A gomap-dlv killed with SIGKILL runs no cleanup.  Its dlv gets SIGTERM from
the kernel (a parent-death signal, see launch.py) and, once it serves,
detaches like on Ctrl-C; but a dlv killed earlier, while it attaches, lets
the kernel detach the program, which may stay stopped (state T) with the
SIGSTOP of the attach; and a program dlv started (``--exec``) is left
running on its own.  So gomap-dlv starts this small process first, in a
session of its own, with the read end of a pipe whose write end only
gomap-dlv holds.  gomap-dlv writes on it:

    target PID STARTTIME STOPPED   the program of --attach (STOPPED: 1 if it
                                   was already stopped or traced before)
    dlv PID STARTTIME              dlv, written by dlv's own child process
                                   before it executes dlv (so no dlv runs unseen)
    done                           gomap-dlv stopped dlv itself: nothing to do

On ``done`` the watchdog exits.  At the end of the pipe without ``done``
(gomap-dlv died) it:

1. sends SIGTERM to dlv (its Ctrl-C: detach, killing only a program it
   started; the parent-death signal may not have been set), waits at most
   GRACE seconds, then SIGKILLs every process of dlv's session (dlv runs in
   a session of its own: dlv, and the program of --exec with whatever it
   started; Delve's telemetry helper has a session of its own and exits
   with dlv);
2. waits (at most UNTRACED_WAIT seconds) until no thread of the --attach
   program is traced, then sends it SIGCONT while a thread is stopped or a
   SIGSTOP is pending, unless it was stopped or traced before gomap-dlv came;
3. exits.

It signals nothing else, and checks every pid against its start time
(/proc/PID/stat field 22), so a reused pid is left alone.  Standard library
only: it runs as ``python -I -S watchdog.py FD PARENT_PID``.  launch.py uses
``kill_session`` and ``release_target`` too, when it stops dlv itself.
"""

import os
import select
import signal
import subprocess
import sys
import time

GRACE = 3.0            # seconds dlv has to detach by itself after SIGTERM
KILL_WAIT = 5.0        # for the processes of dlv's session to die after SIGKILL
UNTRACED_WAIT = 5.0    # for the kernel to detach the --attach program
POLL = 0.01


def _stat(pid):
    """(state, session id, start time) of ``pid`` (a process or a task path), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): session is field 6, starttime field 22
    return fields[0], int(fields[3]), int(fields[19])


def start_time(pid):
    s = _stat(pid)
    return s[2] if s else None


def _tasks(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def _same(pid, start):
    """``pid`` is still the process that started at ``start`` (zombie or not)."""
    return start_time(pid) == start


def _alive(pid, start):
    """``pid`` is the same process and one of its threads has not exited."""
    if not _same(pid, start):
        return False
    for tid in _tasks(pid) or [str(pid)]:
        s = _stat(f"{pid}/task/{tid}")
        if s and s[0] not in "ZX":
            return True
    return False


def _status(path):
    fields = {}
    try:
        with open(f"/proc/{path}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        pass
    return fields


def _session(sid, start):
    """Live processes of the session ``sid`` started no earlier than its leader."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        s = _stat(entry)
        if s and s[1] == sid and s[2] >= start and s[0] not in "ZX":
            found.append(int(entry))
    return found


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(cond, timeout):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


def kill_session(sid, start):
    """SIGKILL every process of the session ``sid`` (dlv's: its pid) until none is left."""
    if start_time(sid) not in (None, start):
        return      # the pid is somebody else's now: so is any session of that number

    def killed():
        left = _session(sid, start)
        for p in left:
            _signal(p, signal.SIGKILL)
        return not left
    _wait(killed, KILL_WAIT)


def stop_dlv(pid, start):
    """SIGTERM, GRACE seconds, then SIGKILL to everything left in dlv's session."""
    if _alive(pid, start):
        _signal(pid, signal.SIGTERM)
        _wait(lambda: not _alive(pid, start), GRACE)
    kill_session(pid, start)


def _traced(pid):
    return any(_status(f"{pid}/task/{t}").get("TracerPid", "0") != "0" for t in _tasks(pid))


def _held(pid):
    """A thread of ``pid`` has a SIGSTOP pending or is stopped.

    The pending signals are read first: a SIGSTOP taken off the queue in
    between has already stopped its thread (the kernel does both under one
    lock)."""
    for t in _tasks(pid):
        st = _status(f"{pid}/task/{t}")
        for key in ("SigPnd", "ShdPnd"):
            if int(st.get(key, "0"), 16) & (1 << (signal.SIGSTOP - 1)):
                return True
        s = _stat(f"{pid}/task/{t}")
        if s and s[0] in "Tt":
            return True
    return False


def release_target(pid, start):
    """Once no thread of the program is traced, SIGCONT it while it is held stopped.

    Returns at once for a running program that nobody traces."""
    if not _wait(lambda: not _same(pid, start) or not _traced(pid), UNTRACED_WAIT):
        return      # still traced: by somebody else than our dlv, which is gone
    quiet, deadline = 0, time.monotonic() + UNTRACED_WAIT
    while quiet < 3 and _same(pid, start) and time.monotonic() < deadline:
        if _traced(pid):
            return
        if _held(pid):
            _signal(pid, signal.SIGCONT)
            quiet = 0
        else:
            quiet += 1
        time.sleep(POLL)


def target_facts(pid):
    """(start time, held) of the process ``pid`` before dlv attaches, or None.

    ``held``: it is stopped or traced already (by somebody else): then it is
    none of our business to let it run."""
    s = _stat(pid)
    if s is None:
        return None
    held = s[0] in "Tt" or _status(pid).get("TracerPid", "0") != "0"
    return s[2], held


def read_orders(fd, parent):
    """The orders gomap-dlv wrote, and whether it said ``done``, once it is gone or done."""
    orders, buf = {}, b""
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if os.getppid() != parent:   # died, and the pipe is held by someone else too
                return orders, False
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return orders, False
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            words = line.decode(errors="replace").split()
            if words == ["done"]:
                return orders, True
            if len(words) >= 3 and words[0] in ("target", "dlv"):
                orders[words[0]] = [int(w) for w in words[1:]]


class Watchdog:
    """gomap-dlv's end of it: the watchdog process and the pipe to it."""

    def __init__(self):
        self.proc = None
        self.fd = None      # the write end (not inherited: dlv's child writes before exec)

    def start(self):
        """Start the watchdog; with no Python to run it (an embedded one) there is none."""
        if not sys.executable:
            return self
        r, w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", os.path.abspath(__file__), str(r), str(os.getpid())],
                pass_fds=(r,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            os.close(w)
        else:
            self.fd = w
        finally:
            os.close(r)
        return self

    def tell(self, *words):
        if self.fd is not None:
            try:
                os.write(self.fd, (" ".join(map(str, words)) + "\n").encode())
            except OSError:
                pass

    def done(self):
        """dlv is stopped and everything released: the watchdog exits without acting."""
        if self.fd is None:
            return
        self.tell("done")
        os.close(self.fd)
        self.fd = None
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass


def main(argv):
    fd, parent = int(argv[0]), int(argv[1])
    for sig in (signal.SIGINT, signal.SIGHUP):      # a terminal's, not ours (own session)
        signal.signal(sig, signal.SIG_IGN)
    # gomap-dlv starts us with Ctrl-C, SIGTERM and SIGHUP held: SIGTERM may end us
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    orders, done = read_orders(fd, parent)
    if done:
        return 0
    if "dlv" in orders:
        stop_dlv(*orders["dlv"][:2])
    if "target" in orders:
        pid, start, stopped = orders["target"][:3]
        if not stopped:
            release_target(pid, start)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
