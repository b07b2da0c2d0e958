"""How gomap's cost grows with the map: time and peak memory per size.

    ~/.local/share/gomap/venv/bin/python -m benchmarks.scaling [--sizes 10k,100k,1M,10M]

Runs benchmarks/progs/scalemaps built with Go 1.23.9 (classic maps) and 1.26.6
(swiss maps) holding a map[int64]int64 of each size, and times, in a fresh
process each, ``gomap dump --pid PID main.Ints --json -o FILE`` and the default
summary, with the process's own peak RSS (its high-water mark, through
harness.PEAK_LAUNCHER).  Then a 2M-entry map[string]string to JSON.  Prints one
table; the time per entry should stay flat and the peak memory should not grow
with the map.  Timings are measured here, never asserted in tests.
"""

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

from benchmarks.run import timed_peak
from tests import harness, toolchains

SCALEMAPS = Path(__file__).resolve().parent / "progs" / "scalemaps"
VERSIONS = {"1.23.9": "classic", "1.26.6": "swiss"}
SUFFIX = {"k": 1_000, "M": 1_000_000}


def count(text):
    """'10k' -> 10000, '1M' -> 1000000, '500' -> 500."""
    return int(text[:-1]) * SUFFIX[text[-1]] if text[-1] in SUFFIX else int(text)


def gomap_dump(pid, expr, *view):
    """(seconds, peak MB) of one ``gomap dump --pid`` in a fresh process."""
    secs, peak, r = timed_peak([sys.executable, "-m", "gdb_gomap.cli.main", "dump", "--pid",
                                str(pid), expr, *view])
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return secs, peak


def measure(binary, ints, strs, out, repeats):
    """Rows for one running scalemaps: JSON and summary of main.Ints (when ints),
    JSON of main.Strs (when strs); each the best of ``repeats`` runs."""
    rows = []
    with harness.start_example(binary, args=(ints, strs), timeout=600) as ex:
        plan = []
        if ints:
            plan += [("map[int64]int64", ints, "--json", ("main.Ints", "--json", "-o", out)),
                     ("map[int64]int64", ints, "summary", ("main.Ints", "-o", os.devnull))]
        if strs:
            plan.append(("map[string]string", strs, "--json",
                         ("main.Strs", "--json", "-o", out)))
        for what, n, view, argv in plan:
            runs = [gomap_dump(ex.pid, *argv) for _ in range(repeats)]
            secs = min(s for s, _ in runs)
            peak = max(m for _, m in runs)
            rows.append((what, n, view, secs, peak))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1M,10M",
                    help="entries of the map[int64]int64, comma-separated (default %(default)s)")
    ap.add_argument("--strings", default="2M", help="entries of the map[string]string "
                    "(0 for none; default %(default)s)")
    ap.add_argument("--repeats", type=int, default=2, help="runs per measurement (best)")
    args = ap.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB, "
          f"{platform.platform()}, Python {platform.python_version()}")
    rows = []
    with tempfile.TemporaryDirectory(dir="/tmp") as w:
        out = str(Path(w) / "out.json")
        for version, layout in VERSIONS.items():
            binary = toolchains.build_example(SCALEMAPS, version)
            for n in map(count, args.sizes.split(",")):
                rows += [(f"go{version} ({layout})", *r)
                         for r in measure(binary, n, 0, out, args.repeats)]
            if count(args.strings):
                rows += [(f"go{version} ({layout})", *r)
                         for r in measure(binary, 0, count(args.strings), out, args.repeats)]
    print(f"\n| {'target':<18} | {'map':<17} | {'entries':>10} | {'view':<7} | seconds | "
          f"µs/entry | peak MB |")
    print(f"|{'-' * 20}|{'-' * 19}|{'-' * 12}|{'-' * 9}|---------|----------|---------|")
    for tag, what, n, view, secs, peak in rows:
        print(f"| {tag:<18} | {what:<17} | {n:>10,} | {view:<7} | {secs:7.2f} | "
              f"{secs / n * 1e6:8.3f} | {peak:7.0f} |")


if __name__ == "__main__":
    main()
