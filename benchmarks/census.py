"""Benchmark of the census: a core of 260,000 maps and 12.9M entries, next to Delve.

    ~/.local/share/gomap/venv/bin/python -m benchmarks.census [--quick] [--against REV]

Builds benchmarks/progs/censusmaps with Go 1.23.9 (classic maps) and 1.26.6
(swiss maps): one 10M-entry map[int64]int64, a 2M-entry map[string]string,
200,000 small maps in a slice, 10,000 maps as values of a map, 50,000 maps in
structs pointed to by a map's values.  Takes a core of each (the kernel's, as
the tests do; gdb's gcore where the kernel's core_pattern sends cores
elsewhere), runs ``gomap census --core ... --json --expand '*'`` in a fresh
process and prints its wall time, CPU time (user + system: on a busy machine
the wall time counts other processes' turns) and peak RSS, and checks its
groups against the truth the program wrote.  Then ``gomap report --html`` of
the same core: its figures, the page's size, and how long a headless Chromium
takes to open it (navigation to the load event).  Then Delve on the same core:
``dlv core`` listing every goroutine with its stack (``goroutines -t``), and
``print`` of the 2M-entry string map (its first 200,000 entries:
max-array-values raised that far; Delve's memory grows with each entry),
with the same three figures and the ratios.  ``--quick`` divides every count by
ten.  ``--against REV`` also runs the census of git revision REV (its files
from ``git archive``) on the same core: its figures, and whether its JSON is
byte for byte the same as this checkout's.  Figures are printed, never asserted.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import harness, toolchains
from tests.browser import Browser, chromium_path

HERE = Path(__file__).resolve().parent
PROG = HERE / "progs" / "censusmaps"
VERSIONS = {"1.23.9": "classic", "1.26.6": "swiss"}
DLV = Path.home() / ".cache" / "gomap" / "bin" / "dlv"
# Entries of main.strs Delve prints at most: it takes about 4.5 KB of memory per
# entry printed (900 MB for 200,000), so the whole 2M map would not fit here
DLV_PRINT_MAX = 200_000

# Started as ``python -c MEASURE OUT argv...``: runs argv as its only child, its
# stdout to the file OUT, and prints wall seconds, the child's user + system CPU
# seconds, its peak RSS (kB) and its exit status.  A fresh small process, so that
# the child's peak is its own (Linux keeps a forked parent's high-water mark
# across exec).
MEASURE = ("import resource, subprocess, sys, time\n"
           "t = time.perf_counter()\n"
           "with open(sys.argv[1], 'w') as out:\n"
           "    r = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out)\n"
           "wall = time.perf_counter() - t\n"
           "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss, r.returncode)\n")


def measured(argv, cwd=None, stdout=None, timeout=3600):
    """(wall s, CPU s, peak RSS MB) of ``argv`` run in a fresh process; its
    stdout to the file ``stdout`` (else discarded).  A non-zero exit raises."""
    r = subprocess.run([sys.executable, "-c", MEASURE, str(stdout or os.devnull),
                        *map(str, argv)], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    lines = r.stdout.strip().splitlines()
    if r.returncode or not lines:
        raise RuntimeError(f"{argv[:4]}: {r.stderr[-2000:]}")
    wall, cpu, rss, rc = lines[-1].split()
    if rc != "0":
        raise RuntimeError(f"{argv[:4]} exited {rc}: {r.stderr[-2000:]}")
    return float(wall), float(cpu), int(rss) / 1024


def take_core(binary, work, scale):
    """(core, truth) of ``binary`` run to READY in ``work``: the kernel's core
    (SIGQUIT, GOTRACEBACK=crash), or gdb's gcore of the live process."""
    truth_path = work / "truth.json"
    if not harness.kernel_core_pattern_problem():
        run = work / "run"
        run.mkdir()
        core, truth, _ = harness.kernel_core([binary, truth_path, scale], run, truth_path)
        if core is not None:
            return Path(core), truth, "kernel core"
    core = work / "gcore.core"
    with harness.start_example(binary, truth_path, args=[scale]) as ex:
        harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {core}"], timeout=1800)
        truth = ex.truth
    return core, truth, "gcore"


def census(binary, core, out, repo=harness.REPO):
    """(wall, CPU, peak MB) of ``gomap census --json`` of ``core`` from the
    gomap checkout at ``repo``, its JSON written to ``out``."""
    return measured([sys.executable, "-m", "gdb_gomap.cli.main", "census", "--core", core,
                     "--exe", binary, "--json", "--expand", "*", "-o", out], cwd=repo)


def page(binary, core, work):
    """(wall, CPU, peak MB) of ``gomap report --html`` of ``core``, and the page's
    size and load time in a headless Chromium (tests/browser.py), or None there
    when there is no chromium."""
    html = work / "report.html"
    figures = measured([sys.executable, "-m", "gdb_gomap.cli.main", "report", "--core", core,
                        "--exe", binary, "--html", html, "-o", work / "report.md"],
                       cwd=harness.REPO)
    opened = None
    if chromium_path():
        with Browser() as b:
            p = b.open(html.as_uri())
            rects = p.eval("document.querySelectorAll('rect.tm-group').length")
            opened = (p.load_seconds, rects, p.errors)
    return figures, html.stat().st_size, opened


def against_truth(doc, truth):
    """'' when every truth group's maps and entries are the census's, else what differs."""
    bad = []
    for t in truth["groups"]:
        rx = re.compile(t["match"])
        rows = [g for g in doc["groups"] if rx.search(g["pattern"])]
        got = (sum(g["maps"] for g in rows), sum(g["entries"] for g in rows))
        if got != (t["maps"], t["entries"]):
            bad.append(f"{t['name']}: census {got}, truth {(t['maps'], t['entries'])}")
    return "; ".join(bad)


def outside_truth(doc, truth):
    """The census's groups that no truth group matches (maps of the standard
    library, such as encoding/json's sync.Map, whose map exists on Go <= 1.23)."""
    rxs = [re.compile(t["match"]) for t in truth["groups"]]
    return [f"{g['pattern']} ({g['maps']:,})" for g in doc["groups"]
            if not any(rx.search(g["pattern"]) for rx in rxs)]


def delve(binary, core, commands, work):
    """(wall, CPU, peak MB, stdout) of ``dlv core`` running ``commands``."""
    init = work / "dlv-init"
    init.write_text("\n".join(commands + ["exit"]) + "\n")
    out = work / "dlv.out"
    # Delve checks the release it supports (1.25 and later for Delve 1.27); an
    # older one is tried all the same, and the output says how it went
    figures = measured([DLV, "core", binary, core, "--init", init,
                        "--check-go-version=false",
                        "--allow-non-terminal-interactive=true"], stdout=out)
    return figures + (out.read_text(errors="replace"),)


def checkout(rev, dest):
    """The files of git revision ``rev`` of this repository, in ``dest``."""
    archive = subprocess.run(["git", "-C", str(harness.REPO), "archive", rev],
                             capture_output=True, check=True).stdout
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def row(rows, tag, what, figures, note=""):
    wall, cpu, mb = figures[:3]
    rows.append((tag, what, f"{wall:8.1f}", f"{cpu:8.1f}", f"{mb:7.0f}", note))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="every count divided by ten")
    ap.add_argument("--against", metavar="REV",
                    help="also run the census of git revision REV and compare its JSON")
    ap.add_argument("--versions", default=",".join(VERSIONS),
                    help="Go releases to build with (default: %(default)s)")
    args = ap.parse_args(argv)
    scale = "10" if args.quick else "1"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, load "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
          f"Delve {'present' if DLV.is_file() else 'absent'}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="gomap-census-bench-", dir="/tmp") as w:
        work = Path(w)
        other = checkout(args.against, work / "against") if args.against else None
        for version in args.versions.split(","):
            layout = VERSIONS.get(version, "?")
            binary = toolchains.build_example(PROG, version)
            d = work / version
            d.mkdir()
            core, truth, how = take_core(binary, d, scale)
            tag = f"go{version} ({layout})"
            print(f"{tag}: {truth['maps']:,} maps, {truth['entries']:,} entries; "
                  f"{how} of {core.stat().st_size / 1e6:,.0f} MB", flush=True)
            out = d / "census.json"
            ours = census(binary, core, out)
            doc = json.loads(out.read_text())
            wrong = against_truth(doc, truth)
            extra = outside_truth(doc, truth)
            row(rows, tag, "gomap census --json (all maps)", ours,
                f"{doc['walk']['maps']:,} maps, truth: " + (wrong or "equal") +
                (f"; outside the program's truth: {', '.join(extra)}" if extra else ""))
            figures, size, opened = page(binary, core, d)
            row(rows, tag, "gomap report --html (the page)", figures,
                f"page {size / 1e6:.1f} MB; " +
                ("no chromium to open it" if opened is None else
                 f"opens in Chromium in {opened[0]:.2f} s (load event), {opened[1]:,} "
                 f"treemap rectangles, {len(opened[2])} script errors"))
            if other is not None:
                out2 = d / "against.json"
                theirs = census(binary, core, out2, repo=other)
                same = out.read_bytes() == out2.read_bytes()
                row(rows, tag, f"gomap census --json at {args.against}", theirs,
                    f"JSON {'identical' if same else 'DIFFERENT'}; "
                    f"{theirs[0] / ours[0]:.1f}x wall, {theirs[1] / ours[1]:.1f}x CPU")
            if DLV.is_file():
                g = delve(binary, core, ["goroutines -t"], d)
                n = len(re.findall(r"^\s*\*?\s*Goroutine \d+", g[3], re.M))
                row(rows, tag, "dlv core: goroutines -t", g,
                    f"{n} goroutines; {g[0] / ours[0]:.2f}x the census's wall")
                strs = next(t for t in truth["groups"] if t["name"] == "strings")["entries"]
                shown = min(strs, DLV_PRINT_MAX)
                p = delve(binary, core, [f"config max-array-values {shown}",
                                         "print main.strs"], d)
                printed = p[3].count('":"') + p[3].count('": "')
                row(rows, tag, f"dlv core: print main.strs ({shown:,} of {strs:,} entries)", p,
                    f"{printed:,} entries printed; {p[0] / ours[0]:.2f}x the census's wall")
            shutil.rmtree(d)
    head = ("target", "measurement", "wall s", "CPU s", "peak MB", "")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    print()
    print("| " + " | ".join(h.ljust(wd) for h, wd in zip(head, widths)) + " | notes |")
    print("|" + "|".join("-" * (wd + 2) for wd in widths) + "|-------|")
    for r in rows:
        print("| " + " | ".join(c.ljust(wd) for c, wd in zip(r, widths)) + f" | {r[5]} |")


if __name__ == "__main__":
    main()
