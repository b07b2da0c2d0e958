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
MARKER = re.compile(r"^( *)<!-- sample: ([\w-]+) -->\n\1```[^\n]*\n(.*?)^\1```$", re.M | re.S)


class Sample(NamedTuple):
    version: str            # the Go release of the example's build (optimized)
    commands: List[str]     # gdb commands at the first stop; stdout is the sample
    errors: bool = False    # the sample is the 'gomap:' lines of stderr instead
    example: str = "mapstates"        # examples/EXAMPLE, run as EXAMPLE TRUTH ARGS
    args: str = ""
    stop: str = "main.checkpoint"
    volatile: str = ""      # a regex of further text the hash seed decides
    setup: List[str] = []   # gdb commands before the sample's, their output not shown


SAMPLES: Dict[str, Sample] = {
    # examples/demo.sh's first map, on the newest swiss release of the matrix
    "demo-swiss": Sample("1.26.6", [
        r"echo --- gomap-dump main.GTomb  (200 inserts, then 120 deletes)\n",
        "gomap-dump main.GTomb"]),
    # a classic map caught in the middle of a doubling grow
    "demo-classic": Sample("1.23.9", ["gomap-dump main.GGrowing"]),
    "error-nosuch": Sample("1.26.6", ["gomap-dump main.nosuch"], errors=True),
    "error-sideeffect": Sample("1.26.6", ["gomap-dump main.Big = main.Small"], errors=True),
    # deletehalf: 100 keys inserted (step 1), the 50 even ones deleted (step 2)
    "diff-deletehalf": Sample("1.26.6", ["gomap-diff before after --limit 1"],
                              example="scenarios", args="deletehalf", stop="main.step",
                              volatile=r"(full->)?\b(empty|deleted|full)\b",
                              setup=["gomap-snap before main.MInt", "continue",
                                     "gomap-snap after main.MInt"]),
    "watch-deletehalf": Sample("1.26.6", ["gomap-watch main.MInt --events delete --count 2"],
                               example="scenarios", args="deletehalf", stop="main.step"),
}

BEGIN, END = "@@sample-begin@@", "@@sample-end@@"


def generate(name: str) -> str:
    """What the tool prints for sample ``name`` now."""
    s = SAMPLES[name]
    build = next(b for b in toolchains.MATRIX
                 if b.version == s.version and not b.experiment and b.opt == "opt")
    binary = toolchains.build_for(harness.REPO / "examples" / s.example, build)
    with tempfile.TemporaryDirectory(prefix="gomap-sample-") as d:
        # every breakpoint hit reported once (gomap-watch says so otherwise)
        r = harness.gdb_batch([binary], [
            "set pagination off", f"break {s.stop}",
            f"run {d}/truth.json {s.args} > /dev/null", *s.setup, rf"echo {BEGIN}\n",
            *s.commands,
            rf"echo {END}\n", "kill"], env={"GODEBUG": "asyncpreemptoff=1"})
    if s.errors:
        return "".join(line + "\n" for line in r.stderr.splitlines()
                       if line.startswith("gomap:"))
    if BEGIN not in r.stdout or END not in r.stdout:
        raise RuntimeError(f"sample {name}: gdb did not reach {s.stop}:\n"
                           f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    out = r.stdout.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
    # gdb's own lines about the program stopping again ('continue')
    return "".join(line for line in out.splitlines(True)
                   if line.strip() and not re.match(r"(Thread \d|Continuing|\d+\t|\[)", line))


def samples(text: str) -> List[Tuple[str, int, int]]:
    """(name, start, end) of each sample's body in README text."""
    return [(m.group(2), m.start(3), m.end(3)) for m in MARKER.finditer(text)]


def indent_of(text: str, start: int) -> str:
    """The indentation of the sample's block (a sample inside a list item)."""
    line = text[text.rfind("\n", 0, start - 1) + 1:start]
    return line[:len(line) - len(line.lstrip(" "))]


# What differs from run to run: addresses and seeds (hex), and, since the hash seed
# places keys, the counts of empty, deleted, evacuated cells and so on.  Numbers are
# masked; the words, fields and lines must be the same.
_NUMBER = re.compile(r"0x[0-9a-f]+|(?<![\w.])[-+]?\d[\d,.]*")   # not go1.26.6
_DELTA = re.compile(r" \(N\)")     # gomap-watch's change of a field, when it changed


def normalize(text: str, name: str = "") -> List[str]:
    volatile = SAMPLES[name].volatile if name in SAMPLES else ""
    out = []
    for line in text.strip().splitlines():
        if volatile:
            line = re.sub(volatile, "V", line)
        out.append(" ".join(_DELTA.sub("", _NUMBER.sub("N", line)).split()))
    return out


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
        pad = indent_of(text, start)
        new = "".join(pad + line for line in generate(name).splitlines(True))
        if normalize(new, name) != normalize(text[start:end], name):
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
