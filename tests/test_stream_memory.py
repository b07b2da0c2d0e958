"""The CLI's peak memory does not grow with the map it writes as ``--json``
(issue 16): from 1M to 4M entries of a map[int64]int64 (benchmarks/progs/scalemaps,
Go 1.23.9 classic and 1.26.6 swiss, read with ``--pid``), the peak RSS of
``gomap dump --json``, the process's own high-water mark, grows by less than
80 MB, where keeping the entries would cost several hundred.  The output is
checked against the count and sums the program wrote.  A property of memory,
not a timing: no time is asserted.
"""

import json
import subprocess
import sys

import pytest

from tests import harness, toolchains
from tests.test_stream import BUILDS, SCALEMAPS

SIZES = (1_000_000, 4_000_000)
BOUND_MB = 80


def _peak_json(binary, n, out):
    """The peak RSS in MB of ``gomap dump --pid --json`` of a map of ``n`` entries,
    whose output (in ``out``) must hold the program's entries."""
    with harness.start_example(binary, args=(n, 0), timeout=120) as ex:
        argv = harness.peak_argv([sys.executable, "-m", "gdb_gomap.cli.main", "dump",
                                  "--pid", ex.pid, "main.Ints", "--json", "-o", out])
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                           cwd=harness.REPO, stdin=subprocess.DEVNULL)
        err, peak_kb = harness.split_peak(r.stderr)
        assert r.returncode == 0 and peak_kb, err
        truth = ex.truth
    text = out.read_text()
    doc = json.loads(text)
    assert len(doc["entries"]) == truth["ints"] == n
    assert sum(e["key"] for e in doc["entries"]) == truth["int_key_sum"]
    assert doc["entries_complete"] and doc["warnings"] == []
    print(f"{n:,} entries: peak {peak_kb / 1024:.0f} MB")
    return peak_kb / 1024


@pytest.mark.parametrize("build", BUILDS, ids=[b.id for b in BUILDS])
def test_peak_memory_stays_flat_from_1m_to_4m_entries(build, tmp_path):
    binary = toolchains.build_for(SCALEMAPS, build)
    peaks = {n: _peak_json(binary, n, tmp_path / f"{n}.json") for n in SIZES}
    small, large = peaks[SIZES[0]], peaks[SIZES[1]]
    assert large < small + BOUND_MB, (
        f"peak RSS {small:.0f} MB at {SIZES[0]:,} entries, {large:.0f} MB at "
        f"{SIZES[1]:,}: memory grows with the map")
