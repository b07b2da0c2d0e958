"""Benchmark of the census on a real server's core: gopls, driven over LSP, next to Delve.

    ~/.local/share/gomap/venv/bin/python -m benchmarks.servercore [--target-mb 1500] [--fresh]

Builds the Go language server gopls (GOPLS_VERSION, from the Go module proxy)
with Go 1.26.6 into gomap's cache, starts it on stdio and drives it over its
own protocol as an editor would: ``initialize`` on a workspace of large Go
trees (the toolchain's ``src`` and ``src/cmd``, then the module cache's
sources), ``workspace/symbol`` and ``textDocument/references`` queries that
make it load and type-check them, one folder more at a time, until its RSS
reaches ``--target-mb`` or the folders run out (the output says what it
reached).  Then gdb's ``gcore`` of the live server, and on that core, each in
a fresh process with its wall time, CPU time and peak RSS:

- ``gomap census --core ... --json`` (every map from globals and goroutine
  stacks, with retained bytes) and ``gomap list`` (the fast globals view);
- Delve: ``dlv core`` listing the goroutines (``goroutines``) and every
  goroutine's stack (``goroutines -t``): what Delve walks of the same core.

The binary and the core are kept under gomap's cache (``bench/``), so a second
run measures the same core; ``--fresh`` makes both again.  Figures are
printed, never asserted.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from gdb_gomap.cachedir import cache_dir
from benchmarks.census import DLV, measured, row
from tests import harness, toolchains

GOPLS_VERSION = "v0.23.0"
GO_VERSION = "1.26.6"


def bench_dir():
    d = Path(cache_dir()) / "bench"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_gopls(fresh):
    """The gopls executable (with its DWARF), built once per version."""
    gobin = bench_dir() / f"gopls-{GOPLS_VERSION}-go{GO_VERSION}"
    exe = gobin / "gopls"
    if exe.exists() and not fresh:
        return exe
    go = toolchains.go_binary(GO_VERSION)
    env = dict(os.environ, GOBIN=str(gobin), GOFLAGS="-mod=mod", CGO_ENABLED="0",
               GOTOOLCHAIN="local")
    print(f"building gopls {GOPLS_VERSION} with Go {GO_VERSION} ...", file=sys.stderr)
    subprocess.run([str(go), "install", f"golang.org/x/tools/gopls@{GOPLS_VERSION}"],
                   env=env, check=True, timeout=1800)
    return exe


class Lsp:
    """A minimal LSP client over a child's stdio: requests wait for their answer;
    the server's own requests (progress, configuration, registration) are answered
    so that it never waits on the client."""

    def __init__(self, argv, env, cwd):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self.next_id = 0
        self.answers = {}
        self.cond = threading.Condition()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, msg):
        body = json.dumps(msg).encode()
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    with self.cond:
                        self.cond.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(out.read(length))
            if "method" in msg and "id" in msg:       # the server asks the client
                result = None
                if msg["method"] == "workspace/configuration":
                    result = [{} for _ in msg.get("params", {}).get("items", [])]
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            elif "id" in msg:
                with self.cond:
                    self.answers[msg["id"]] = msg
                    self.cond.notify_all()

    def request(self, method, params, timeout=1800):
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self.cond:
            while rid not in self.answers:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"gopls exited ({self.proc.returncode}) during {method}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"gopls did not answer {method} in {timeout} s")
                self.cond.wait(min(left, 1.0))
            return self.answers.pop(rid)

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self):
        harness.kill_tree(self.proc.pid)
        self.proc.wait()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def folders():
    """Large Go trees on this machine, the toolchain's first."""
    goroot = toolchains.go_binary(GO_VERSION).parent.parent
    out = [goroot / "src", goroot / "src" / "cmd"]
    mod = Path(subprocess.run([str(toolchains.go_binary(GO_VERSION)), "env", "GOMODCACHE"],
                              capture_output=True, text=True).stdout.strip())
    for pattern in ("golang.org/x/tools@*", "golang.org/x/tools/gopls@*",
                    "github.com/go-delve/delve@*", "golang.org/x/net@*", "golang.org/x/sys@*"):
        out += sorted(mod.glob(pattern))[-1:]
    return [d for d in out if (d / "go.mod").exists()]


def _uri(path):
    return "file://" + str(path)


def references_of(lsp, path, needle):
    """Ask for the references of the identifier that starts ``needle`` in ``path``."""
    text = path.read_text(errors="replace")
    at = text.find(needle)
    if at < 0:
        return 0
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1) + needle.index(" ") + 1
    lsp.notify("textDocument/didOpen", {"textDocument": {
        "uri": _uri(path), "languageId": "go", "version": 1, "text": text}})
    got = lsp.request("textDocument/references", {
        "textDocument": {"uri": _uri(path)}, "position": {"line": line, "character": col},
        "context": {"includeDeclaration": True}})
    return len(got.get("result") or [])


def drive(exe, target_mb):
    """Start gopls and load folders until its RSS reaches target_mb: (Lsp, what it did)."""
    go = toolchains.go_binary(GO_VERSION)
    env = dict(os.environ, PATH=f"{go.parent}:{os.environ.get('PATH', '')}",
               GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    todo = folders()
    first = todo.pop(0)
    lsp = Lsp([str(exe), "serve"], env, first)
    log = []
    lsp.request("initialize", {"processId": os.getpid(), "rootUri": _uri(first),
                               "workspaceFolders": [{"uri": _uri(first), "name": first.name}],
                               "capabilities": {"window": {"workDoneProgress": True},
                                                "workspace": {"workspaceFolders": True,
                                                              "configuration": True}}})
    lsp.notify("initialized", {})
    loaded = [first]
    while True:
        t = time.perf_counter()
        syms = lsp.request("workspace/symbol", {"query": "Map"}).get("result") or []
        refs = references_of(lsp, first / "errors" / "errors.go", "func New(") \
            if (first / "errors" / "errors.go").exists() else 0
        mb = rss_mb(lsp.proc.pid)
        log.append(f"{len(loaded)} folders ({loaded[-1]}): {len(syms)} symbols, {refs} "
                   f"references, RSS {mb:,.0f} MB after {time.perf_counter() - t:.0f} s")
        print(log[-1], file=sys.stderr)
        if mb >= target_mb or not todo:
            return lsp, log
        nxt = todo.pop(0)
        lsp.notify("workspace/didChangeWorkspaceFolders", {"event": {
            "added": [{"uri": _uri(nxt), "name": nxt.name}], "removed": []}})
        loaded.append(nxt)


def take_core(exe, target_mb, fresh):
    """(core, notes): gcore of gopls driven to target_mb, kept between runs."""
    core = bench_dir() / f"gopls-{GOPLS_VERSION}-go{GO_VERSION}-{target_mb}mb.core"
    notes = bench_dir() / (core.name + ".json")
    if core.exists() and notes.exists() and not fresh:
        return core, json.loads(notes.read_text())
    lsp, log = drive(exe, target_mb)
    try:
        rss = rss_mb(lsp.proc.pid)
        t = time.perf_counter()
        harness.gdb_batch(["-p", str(lsp.proc.pid)], [f"gcore {core}"], timeout=3600,
                          check_loaded=False)
        info = {"rss_mb": rss, "gcore_s": time.perf_counter() - t, "log": log}
    finally:
        lsp.close()
    notes.write_text(json.dumps(info))
    return core, info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target-mb", type=int, default=1500,
                    help="drive gopls until its RSS reaches this (default 1500)")
    ap.add_argument("--fresh", action="store_true", help="build gopls and take the core again")
    args = ap.parse_args(argv)
    if shutil.which("gdb") is None:
        ap.error("gdb is needed for gcore")
    exe = build_gopls(args.fresh)
    core, info = take_core(exe, args.target_mb, args.fresh)
    size = core.stat().st_size / (1 << 20)
    work = bench_dir() / "servercore-out"
    work.mkdir(exist_ok=True)
    tag = f"gopls {GOPLS_VERSION}"
    rows = []
    out = work / "census.json"
    figures = measured([sys.executable, "-m", "gdb_gomap.cli.main", "census", "--core", core,
                        "--exe", exe, "--json", "-o", out], cwd=harness.REPO)
    doc = json.loads(out.read_text())
    walk = doc.get("walk", {})
    roots = doc.get("roots", {})
    note = (f"{sum(g['maps'] for g in doc['groups']):,} maps in {len(doc['groups']):,} groups; "
            f"{roots.get('goroutines', '?')} goroutines; {walk.get('objects', '?')} objects")
    row(rows, tag, "gomap census --core --json", figures, note)
    figures = measured([sys.executable, "-m", "gdb_gomap.cli.main", "list", "--core", core,
                        "--exe", exe, "--json"], cwd=harness.REPO, stdout=work / "list.json")
    row(rows, tag, "gomap list --core --json (globals only)", figures)
    if DLV.exists():
        for cmd in ("goroutines", "goroutines -t"):
            init = work / "dlv-init"
            init.write_text(f"{cmd}\nexit\n")
            figures = measured([DLV, "core", exe, core, "--init", init,
                                "--allow-non-terminal-interactive=true"],
                               stdout=work / "dlv.out")
            row(rows, tag, f"dlv core: {cmd}", figures)
    print(f"\n{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}; "
          f"gopls at {info['rss_mb']:,.0f} MB RSS, core {size:,.0f} MB "
          f"(gcore {info['gcore_s']:.0f} s)")
    for line in info["log"]:
        print("  " + line)
    print(f"\n| {'target':<14} | {'measurement':<42} | wall s |  CPU s | peak MB | notes |")
    print(f"|{'-' * 16}|{'-' * 44}|--------|--------|---------|-------|")
    for tag_, what, wall, cpu, mb, note in rows:
        print(f"| {tag_:<14} | {what:<42} | {wall} | {cpu} | {mb} | {note} |")


if __name__ == "__main__":
    main()
