"""A small client for Delve's JSON-RPC API, version 2, over TCP on loopback.

The wire format is Go's ``net/rpc/jsonrpc``: one JSON object per request,
``{"method": "RPCServer.Eval", "params": [ARGS], "id": N}``, and one per
answer, ``{"id": N, "result": ..., "error": null | "message"}``.  Delve's
server writes each answer followed by a newline (Go's ``json.Encoder``), and
a JSON text never holds a raw newline, so answers are read line by line.
Requests may be pipelined: several are written before their answers are read
(``call_many``), which is how memory is read in 64 KiB pieces without paying
a round trip for each.

Only what gomap needs is wrapped here; the argument and result shapes are
those of ``service/rpc2/server.go`` and ``service/api/types.go`` in Delve.
"""

import base64
import ipaddress
import json
import select
import socket
import time

from .errors import DelveConnectionError, DelveError, DelveGone, DelveRefused, DelveTimeout

# reflect.Kind numbers that api.Variable.kind carries.
KIND_PTR = 22
KIND_MAP = 21
KIND_STRUCT = 25
KIND_INTERFACE = 20

# Delve gives variables that live in registers or are composed of pieces a
# fake address with this top half (pkg/proc/target.go): never process memory.
FAKE_ADDRESS_MASK = 0xFFFF000000000000
FAKE_ADDRESSES = (0xBEED000000000000, 0xBEEF000000000000)

# Delve's ExamineMemory refuses more than this many bytes per call
# (rpc2.ExamineMemoryLengthLimit, 1 << 16).
EXAMINE_LIMIT = 1 << 16

CURRENT_GOROUTINE = -1

# Loads nothing below the variable itself: for a map, its type, len and the
# header address (Base), not its entries.
LOAD_SHALLOW = {"FollowPointers": False, "MaxVariableRecurse": 0, "MaxStringLen": 0,
                "MaxArrayValues": 0, "MaxStructFields": 0}


def is_fake_address(addr):
    return (addr & FAKE_ADDRESS_MASK) in FAKE_ADDRESSES


def parse_address(text):
    """'127.0.0.1:4040', '[::1]:4040', 'localhost:4040' or ':4040' -> (host, port).

    Only loopback is accepted: Delve's API is neither authenticated nor
    encrypted, and gomap reads memory through it.
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise DelveConnectionError(f"bad address {text!r}; give HOST:PORT on loopback, "
                                   f"e.g. 127.0.0.1:4040")
    host = host.strip("[]") or "127.0.0.1"
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DelveConnectionError(f"cannot resolve {host!r}: {exc.strerror}") from exc
    for _, _, _, _, sockaddr in infos:
        if ipaddress.ip_address(sockaddr[0].split("%")[0]).is_loopback:
            return sockaddr[0], int(port)
    raise DelveConnectionError(f"{host} is not a loopback address; gomap-dlv talks to a dlv "
                               f"on this machine only (127.0.0.1 or ::1), since Delve's API "
                               f"has no authentication")


class DelveClient:
    """One JSON-RPC connection to a headless dlv.

    ``alive`` (optional) is called while waiting for an answer; when it
    returns False the wait ends with DelveGone (used for a dlv we started:
    if it exits, say so instead of waiting forever).
    """

    def __init__(self, host, port, connect_timeout=10.0, alive=None):
        self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._alive = alive
        try:
            self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        except ConnectionRefusedError:
            raise DelveConnectionError(
                f"connection refused at {self.address}: no dlv listens there; start one with "
                f"'dlv exec|attach|core ... --headless --accept-multiclient --api-version=2 "
                f"--listen={self.address}'") from None
        except OSError as exc:
            raise DelveConnectionError(f"cannot connect to dlv at {self.address}: "
                                       f"{exc.strerror or exc}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)   # sends block; reads wait in select (see _read_line)
        self._buf = bytearray()
        self._next_id = 0
        self._answers = {}
        self._pending = set()
        self._deadline = None
        # With a dlv somebody else runs (--connect), a request can wait for a
        # program that runs and never stops: give up after this many seconds
        # without a byte from dlv (None: wait).  continue_ waits without it.
        self.idle_limit = None
        self._last_rx = time.monotonic()
        self.closed = False

    def deadline_in(self, seconds):
        """Give up waiting for answers after ``seconds`` (None: wait as long as it takes)."""
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def busy(self):
        """True while a request has no answer yet (e.g. a continue cut short by Ctrl-C)."""
        return bool(self._pending)

    # --- wire ---------------------------------------------------------------

    def _send(self, method, params):
        self._next_id += 1
        msg = {"method": "RPCServer." + method, "params": [params], "id": self._next_id}
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as exc:
            raise DelveGone(f"while sending {method}: {exc.strerror or exc}") from None
        if not self._pending:   # the wait for an answer starts now
            self._last_rx = time.monotonic()
        self._pending.add(self._next_id)
        return self._next_id

    def _read_line(self):
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                if line.strip():
                    return line
                continue
            try:
                if not select.select([self.sock], [], [], 0.5)[0]:
                    if self._alive is not None and not self._alive():
                        raise DelveGone("dlv exited")
                    if self._deadline is not None and time.monotonic() > self._deadline:
                        raise DelveTimeout(f"dlv at {self.address} did not answer in time")
                    if self.idle_limit is not None and \
                            time.monotonic() - self._last_rx > self.idle_limit:
                        raise DelveTimeout(
                            f"dlv at {self.address} has not answered for "
                            f"{self.idle_limit:.0f} s: the program is running or dlv is "
                            f"busy; stop the program in dlv (halt, or Ctrl-C in its client) "
                            f"and try again")
                    continue
                chunk = self.sock.recv(1 << 20)
                self._last_rx = time.monotonic()
            except OSError as exc:
                raise DelveGone(exc.strerror or str(exc)) from None
            if not chunk:
                raise DelveGone()
            self._buf += chunk

    def _wait(self, req_id):
        while req_id not in self._answers:
            try:
                ans = json.loads(self._read_line())
            except ValueError as exc:
                raise DelveError(f"dlv sent something that is not JSON-RPC ({exc}); is "
                                 f"{self.address} a dlv started with --api-version=2?") from None
            self._answers[ans.get("id")] = ans
            self._pending.discard(ans.get("id"))
        return self._answers.pop(req_id)

    def call_many(self, requests, window=16):
        """Send the ``(method, params)`` requests ahead of their answers.

        At most ``window`` requests are outstanding at once, so neither side
        ever blocks on a full socket buffer.  Returns a list of ``(result,
        error message or None)`` in request order.
        """
        ids, out = [], []
        for method, params in requests:
            if len(ids) - len(out) >= window:
                ans = self._wait(ids[len(out)])
                out.append((ans.get("result"), ans.get("error")))
            ids.append(self._send(method, params))
        while len(out) < len(ids):
            ans = self._wait(ids[len(out)])
            out.append((ans.get("result"), ans.get("error")))
        return out

    def call(self, method, **params):
        """One request; its result (a dict) or DelveError with Delve's message."""
        result, err = self.call_many([(method, params)])[0]
        if err:
            raise DelveRefused(f"dlv: {method}: {err}")
        return result

    def drain(self):
        """Read (and drop) the answers of every outstanding request."""
        while self._pending:
            self._wait(min(self._pending))
        self._answers.clear()

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    # --- the calls gomap makes ------------------------------------------------

    def version(self):
        return self.call("GetVersion")

    def state(self, nonblocking=True):
        return self.call("State", NonBlocking=nonblocking)["State"]

    def process_pid(self):
        return self.call("ProcessPid")["Pid"]

    def build_id(self):
        return self.call("BuildID")["BuildID"]

    def targets(self):
        return self.call("ListTargets")["Targets"]

    def is_multiclient(self):
        return self.call("IsMulticlient")["IsMulticlient"]

    def eval(self, expr, goroutine=CURRENT_GOROUTINE, frame=0, cfg=None):
        """api.Variable (a dict) of ``expr`` in the goroutine and frame."""
        res = self.call("Eval", Scope={"GoroutineID": goroutine, "Frame": frame,
                                       "DeferredCall": 0},
                        Expr=expr, Cfg=cfg or LOAD_SHALLOW)
        return res["Variable"]

    def package_vars(self, filter_re="", cfg=None):
        return self.call("ListPackageVars", Filter=filter_re,
                         Cfg=cfg or LOAD_SHALLOW)["Variables"]

    def local_vars(self, goroutine=CURRENT_GOROUTINE, frame=0, cfg=None):
        scope = {"GoroutineID": goroutine, "Frame": frame, "DeferredCall": 0}
        return self.call("ListLocalVars", Scope=scope, Cfg=cfg or LOAD_SHALLOW)["Variables"]

    def stacktrace(self, goroutine=CURRENT_GOROUTINE, depth=64, cfg=None):
        """Frames of the goroutine with their locals and arguments (loaded shallowly)."""
        return self.call("Stacktrace", Id=goroutine, Depth=depth, Full=True,
                         Cfg=cfg or LOAD_SHALLOW)["Locations"]

    def examine(self, addr, size):
        """``size`` bytes at ``addr`` (at most EXAMINE_LIMIT); DelveError if unreadable."""
        res = self.call("ExamineMemory", Address=addr, Length=size)
        return base64.b64decode(res["Mem"] or "")

    def examine_many(self, ranges):
        """Pipelined ExamineMemory calls: a list of bytes or the error message."""
        out = []
        for res, err in self.call_many([("ExamineMemory", {"Address": a, "Length": n})
                                        for a, n in ranges]):
            out.append(err if err else base64.b64decode(res["Mem"] or ""))
        return out

    def find_location(self, location, goroutine=CURRENT_GOROUTINE, frame=0):
        """api.Location list for a linespec (DelveError 'location ... not found')."""
        return self.call("FindLocation", Scope={"GoroutineID": goroutine, "Frame": frame,
                                                "DeferredCall": 0},
                         Loc=location, IncludeNonExecutableLines=False)["Locations"]

    def create_breakpoint(self, location):
        return self.call("CreateBreakpoint", Breakpoint={}, LocExpr=location)["Breakpoint"]

    def clear_breakpoint(self, bp_id):
        return self.call("ClearBreakpoint", Id=bp_id)

    def continue_(self):
        """Resume until a breakpoint, a signal or the end; the new DebuggerState."""
        limit, self.idle_limit = self.idle_limit, None   # a breakpoint may take long
        try:
            return self.call("Command", name="continue")["State"]
        finally:
            self.idle_limit = limit

    def halt(self):
        """Ask a running target to stop (answered when it has)."""
        return self._send("Command", {"name": "halt"})

    def detach(self, kill):
        return self.call("Detach", Kill=bool(kill))
