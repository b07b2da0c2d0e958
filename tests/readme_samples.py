"""The sample outputs in README.md, made by running the tool.

A sample in README.md is the fenced block right after a marker line
``<!-- sample: NAME -->``; NAME is one of SAMPLES below, which says how to make
it (a Go build of examples/mapstates, run under gdb to main.checkpoint, and the
gdb commands whose output the sample is).

    python -m tests.readme_samples            # rewrite README.md's samples
    python -m tests.readme_samples --check    # say which samples differ

tests/test_readme.py checks that README.md's samples are what the tool prints,
up to what changes from run to run (addresses, hash seeds, and the counts that
depend on the seed): see ``normalize``.
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

from tests import harness, toolchains

README = harness.REPO / "README.md"
MAPSTATES = harness.REPO / "examples" / "mapstates"
MARKER = re.compile(r"^<!-- sample: ([\w-]+) -->\n```[^\n]*\n(.*?)^```$", re.M | re.S)


class Sample(NamedTuple):
    version: str            # the Go release of the mapstates build (optimized)
    commands: List[str]     # gdb commands at main.checkpoint; stdout is the sample
    errors: bool = False    # the sample is the 'gomap:' lines of stderr instead


SAMPLES: Dict[str, Sample] = {
    # examples/demo.sh's first map, on the newest swiss release of the matrix
    "demo-swiss": Sample("1.26.6", [
        r"echo --- gomap-dump main.GTomb  (200 inserts, then 120 deletes)\n",
        "gomap-dump main.GTomb"]),
    # a classic map caught in the middle of a doubling grow
    "demo-classic": Sample("1.23.9", ["gomap-dump main.GGrowing"]),
    "error-nosuch": Sample("1.26.6", ["gomap-dump main.nosuch"], errors=True),
    "error-sideeffect": Sample("1.26.6", ["gomap-dump main.Big = main.Small"], errors=True),
}

BEGIN, END = "@@sample-begin@@", "@@sample-end@@"


def generate(name: str) -> str:
    """What the tool prints for sample ``name`` now."""
    s = SAMPLES[name]
    build = next(b for b in toolchains.MATRIX
                 if b.version == s.version and not b.experiment and b.opt == "opt")
    binary = toolchains.build_for(MAPSTATES, build)
    with tempfile.TemporaryDirectory(prefix="gomap-sample-") as d:
        r = harness.gdb_batch([binary], [
            "set pagination off", "break main.checkpoint",
            f"run {d}/truth.json > /dev/null", rf"echo {BEGIN}\n", *s.commands,
            rf"echo {END}\n", "kill"])
    if s.errors:
        return "".join(line + "\n" for line in r.stderr.splitlines()
                       if line.startswith("gomap:"))
    if BEGIN not in r.stdout or END not in r.stdout:
        raise RuntimeError(f"sample {name}: gdb did not reach main.checkpoint:\n"
                           f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout.split(BEGIN + "\n", 1)[1].split(END, 1)[0]


def samples(text: str) -> List[Tuple[str, int, int]]:
    """(name, start, end) of each sample's body in README text."""
    return [(m.group(1), m.start(2), m.end(2)) for m in MARKER.finditer(text)]


# What differs from run to run: addresses and seeds (hex), and, since the hash seed
# places keys, the counts of empty, deleted, evacuated cells and so on.  Numbers are
# masked; the words, fields and lines must be the same.
_NUMBER = re.compile(r"0x[0-9a-f]+|(?<![\w.])\d[\d,.]*")   # not go1.26.6


def normalize(text: str) -> List[str]:
    return [" ".join(_NUMBER.sub("N", line).split()) for line in text.strip().splitlines()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.readme_samples",
                                description=__doc__.split("\n\n")[1])
    p.add_argument("--check", action="store_true",
                   help="only say which samples differ from the tool's output")
    args = p.parse_args(argv)
    text = README.read_text()
    found = samples(text)
    unknown = [n for n, _, _ in found if n not in SAMPLES]
    if unknown:
        print(f"README.md has samples no one makes: {', '.join(unknown)}", file=sys.stderr)
        return 1
    out, last, stale = [], 0, []
    for name, start, end in found:
        new = generate(name)
        if normalize(new) != normalize(text[start:end]):
            stale.append(name)
        out += [text[last:start], new if name in stale else text[start:end]]
        last = end
    out.append(text[last:])
    if args.check:
        print("stale: " + ", ".join(stale) if stale else "every sample is current")
        return 1 if stale else 0
    README.write_text("".join(out))
    print(f"rewrote {len(stale)} of {len(found)} samples: {', '.join(stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
