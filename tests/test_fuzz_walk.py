"""Corrupt heap memory never hangs, crashes or blows up the census walk.

The memory a census walk of tests/progs/heapwalk reads (one classic and one
swiss build) is recorded from the live program once and kept in pytest's cache
directory; tests/fuzz_walk.py then corrupts its pointers (other objects,
cycles, the middle of objects, outside the heap, garbage, huge lengths) and
every walk must end in time with a result or a one-line GomapError, its memory
growth bounded.  ``python -m tests.fuzz_walk --cases N`` runs many more.
"""

import pytest

from tests import fuzz_decoders
from tests import fuzz_walk as W

CASES = 60     # per layout


@pytest.fixture(scope="module", params=sorted(fuzz_decoders.BUILDS))
def fx(request):
    return W.load_fixture(fuzz_decoders.BUILDS[request.param],
                          request.config.cache.mkdir("gomap-replay"))


def test_clean_recording_walks_like_the_process(fx):
    assert fx.clean.ok and fx.clean.kind == "result", fx.clean
    assert fx.clean.detail.startswith(f"{fx.meta['maps']} maps, {fx.meta['objects']} objects")
    assert len(fx.pointers) > 1000


def test_corrupt_walks_end_bounded(fx):
    kinds, failures, slowest = W.fuzz(fx, CASES, seed=14)
    assert not failures, "\n".join(f"{out.kind}: {what}\n{out.detail}"
                                   for what, out in failures[:3])
    assert sum(v for k, v in kinds.items() if k != "changed") == CASES
    # the corruption reaches the walk: most cases change what it finds
    assert kinds["changed"] >= CASES // 3, kinds
