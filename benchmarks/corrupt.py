"""Corrupt maps: time and peak memory of `gomap dump` on forged cores, by default.

    ~/.local/share/gomap/venv/bin/python -m benchmarks.corrupt

Forges the cases of tests/test_corrupt_budget.py into real gcores of
tests/progs/corrupt (Go 1.26.6 swiss, 1.23.9 classic) and prints, for each,
the wall time (of the CLI process alone, not the forging) and the peak RSS of the CLI with its default budget, for the
summary and for --json.  The target: every answer within 5 s and 300 MB.
"""

import argparse
import tempfile
from pathlib import Path

from tests.test_corrupt_budget import make_forge

CASES = {
    "1.26.6": [
        ("160 tables of 8,192 groups over zeros", lambda f: f.swiss(160, 8192)),
        ("2^20 tables of 8,192 groups", lambda f: f.swiss(1 << 20, 8192)),
        ("4,096 plausible tables over zeros", lambda f: f.swiss(4096, 128)),
        ("65,536 tables sharing one group array", lambda f: f.swiss(1 << 16, 128, share=True)),
    ],
    "1.23.9": [
        ("2^19 buckets, every cell live, count 10", lambda f: f.classic(19, 10)),
    ],
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args(argv)
    rows = []
    for version, cases in CASES.items():
        with tempfile.TemporaryDirectory(dir="/tmp") as d:
            f = make_forge(Path(d), version)
            for label, forge in cases:
                writes = forge(f)
                for view in ([], ["--json"], ["--buckets"]):
                    rc, out, err, peak, secs = f.gomap(*view, "-o", "/dev/null",
                                                       writes=writes)
                    rows.append((f"go{version} {f.L.kind}", label, " ".join(view) or "summary",
                                 secs, peak, rc))
    print(f"| {'core':<16} | {'forgery':<40} | {'view':<9} | seconds | peak MB | exit |")
    print(f"|{'-' * 18}|{'-' * 42}|{'-' * 11}|---------|---------|------|")
    for core, label, view, secs, peak, rc in rows:
        print(f"| {core:<16} | {label:<40} | {view:<9} | {secs:7.2f} | {peak:7d} | {rc:4d} |")


if __name__ == "__main__":
    main()
