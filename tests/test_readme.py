"""README.md's sample outputs are what the tool prints now (tests/readme_samples.py
makes them; addresses, seeds and seed-dependent counts aside)."""

import pytest

from tests import readme_samples as RS

TEXT = RS.README.read_text()
FOUND = RS.samples(TEXT)


def test_every_sample_is_in_the_readme_and_known():
    names = [n for n, _, _ in FOUND]
    assert sorted(names) == sorted(RS.SAMPLES), names


@pytest.mark.parametrize("name,start,end", FOUND, ids=[n for n, _, _ in FOUND])
def test_sample_matches_the_tool(name, start, end, gdb_path):
    shown = RS.normalize(TEXT[start:end], name)
    now = RS.normalize(RS.generate(name), name)
    assert now, f"the tool printed nothing for {name}"
    assert shown == now, (f"README.md's sample {name!r} is stale: run "
                          f"'python -m tests.readme_samples'")
