"""The Delve gomap-dlv is tested with, and how to install it.

    python -m delve_bridge.install            # install the pinned dlv if missing
    python -m delve_bridge.install --path     # print where it is (install first)

(``python`` being the interpreter gomap is installed in, e.g. install.sh's
venv: :func:`install_command` names it by its absolute path in hints.)

The pinned release is the newest on the Go module proxy when this was
written.  Delve refuses executables built by a Go release outside the range
in its ``pkg/goversion/compat.go`` unless started with
``--check-go-version=false``; for the pinned release that range is
``GO_RELEASES``.  Building Delve itself needs Go ``BUILD_GO`` or newer (its
go.mod says so, and DWARF 5 executables need a Delve built with 1.25+).

dlv goes to ``bin/dlv`` under gomap's cache directory
(:func:`gdb_gomap.cachedir.cache_dir`: ``$GOMAP_CACHE``, else
``$XDG_CACHE_HOME/gomap``, else ``~/.cache/gomap``), installed with
``go install github.com/go-delve/delve/cmd/dlv@VERSION`` (module downloads
and build cache under the same directory, so ``install.sh --uninstall
--purge-cache`` removes them), under a lock so parallel callers install once.
"""

import argparse
import contextlib
import fcntl
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gdb_gomap.cachedir import cache_dir
from gdb_gomap.errors import GomapError

DELVE_MODULE = "github.com/go-delve/delve"
DELVE_VERSION = "v1.27.2"
# Go releases Delve v1.27.2 accepts: pkg/goversion/compat.go, Min/MaxSupportedVersionOfGo.
GO_RELEASES = ((1, 25), (1, 27))
BUILD_GO = (1, 25)


class InstallError(GomapError):
    """Delve could not be installed."""


def install_command():
    """The command that installs the pinned dlv, as a user can paste it: this
    interpreter by its absolute path (the ``python`` on PATH may be one without
    gomap, e.g. when gomap-dlv runs from install.sh's venv)."""
    return f"{shlex.quote(sys.executable or 'python3')} -m delve_bridge.install"


def dlv_path():
    """Where the pinned dlv lives (it may not be there yet)."""
    return cache_dir() / "bin" / "dlv"


def installed_dlv():
    """The cached dlv's path if it is installed, else None."""
    p = dlv_path()
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def accepts_go(version):
    """True if the pinned Delve debugs executables of Go ``version`` ('go1.26.6', '1.25')."""
    m = re.match(r"(?:go)?(\d+)\.(\d+)", version or "")
    if not m:
        return False
    v = (int(m.group(1)), int(m.group(2)))
    return GO_RELEASES[0] <= v <= GO_RELEASES[1]


def accepted_releases_text():
    (a, b), (c, d) = GO_RELEASES
    return f"Go {a}.{b} to {c}.{d}"


def dlv_version(path):
    """'v1.27.2' from ``dlv version``, or None if it does not run."""
    try:
        out = subprocess.run([str(path), "version"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"Version: (\S+)", out)
    return ("v" + m.group(1).lstrip("v")) if m else None


def _go_version(go):
    try:
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL,
                             env=dict(os.environ, GOTOOLCHAIN="local")).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"go(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def find_go():
    """A ``go`` new enough to build Delve: $GOMAP_GO, PATH, /usr/local/go, the test toolchains."""
    cands = [os.environ.get("GOMAP_GO"), shutil.which("go"), "/usr/local/go/bin/go"]
    cached = glob.glob(str(cache_dir() / "go" / "*" / "go" / "bin" / "go"))

    def key(p):
        return [int(x) for x in re.findall(r"\d+", Path(p).parents[2].name)]
    cands += sorted(cached, key=key, reverse=True)
    seen = []
    for go in dict.fromkeys(c for c in cands if c):
        if not os.access(go, os.X_OK):
            continue
        v = _go_version(go)
        seen.append(f"{go} ({'go%d.%d' % v if v else 'unusable'})")
        if v and v >= BUILD_GO:
            return go
    raise InstallError(f"building Delve {DELVE_VERSION} needs Go {BUILD_GO[0]}.{BUILD_GO[1]} "
                       f"or newer; found " + (", ".join(seen) or "no go at all") +
                       "; set GOMAP_GO to one")


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on ``path`` (created if needed) for the block; the
    installs of dlv here and of Go toolchains in tests/toolchains.py share it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_dlv(log=None):
    """Path of the pinned dlv, installing it into the cache first if it is missing
    (or another version).  ``log`` (a callable) hears what is being done."""
    target = dlv_path()
    if installed_dlv() and dlv_version(target) == DELVE_VERSION:
        return str(target)
    with locked(target.parent / ".dlv.lock"):
        if installed_dlv() and dlv_version(target) == DELVE_VERSION:
            return str(target)   # another process installed it while we waited
        go = find_go()
        if log:
            log(f"installing Delve {DELVE_VERSION} with {go} into {target.parent}")
        cache = cache_dir()
        tmp = Path(tempfile.mkdtemp(prefix=".dlv-", dir=target.parent))
        env = {k: v for k, v in os.environ.items()
               if k not in ("GOROOT", "GOEXPERIMENT", "GOFLAGS", "GOPATH", "GOWORK", "GOBIN",
                            "GOOS", "GOARCH", "CGO_ENABLED")}
        env.update(GOBIN=str(tmp), GOTOOLCHAIN="local", GOFLAGS="-modcacherw",
                   GOPATH=str(cache / "gopath"), GOCACHE=str(cache / "gocache"))
        try:
            proc = subprocess.run([go, "install", f"{DELVE_MODULE}/cmd/dlv@{DELVE_VERSION}"],
                                  capture_output=True, text=True, env=env,
                                  stdin=subprocess.DEVNULL, cwd=str(tmp))
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise InstallError(f"go install {DELVE_MODULE}/cmd/dlv@{DELVE_VERSION} failed "
                                   f"(exit {proc.returncode}): {last}")
            built = tmp / "dlv"
            if not built.is_file():
                raise InstallError(f"go install left no dlv in {tmp}")
            os.replace(built, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    got = dlv_version(target)
    if got != DELVE_VERSION:
        raise InstallError(f"{target} reports version {got}, expected {DELVE_VERSION}")
    return str(target)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m delve_bridge.install",
                                 description=f"Install Delve {DELVE_VERSION} for gomap-dlv into "
                                             f"bin/ under $GOMAP_CACHE (default $XDG_CACHE_HOME/gomap, "
                                             f"else ~/.cache/gomap).")
    ap.add_argument("--path", action="store_true", help="print only the path of dlv")
    args = ap.parse_args(argv)
    try:
        had = installed_dlv() and dlv_version(dlv_path()) == DELVE_VERSION
        path = ensure_dlv(log=None if args.path else
                          (lambda m: print(f"gomap: {m}", flush=True)))
    except GomapError as exc:
        print(f"gomap: {exc}", file=sys.stderr)
        return 1
    if args.path:
        print(path)
    else:
        print(f"gomap: Delve {DELVE_VERSION} {'already in' if had else 'installed into'} "
              f"{path} (debugs executables of {accepted_releases_text()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
