"""String keys and values through every path of gomap-dump --json (issue 7's
bytes path and the per-string encoders), against the bytes the program holds.

tests/progs/strmaps fills a map[string]string of plain strings (every chunk
takes the bytes path), and a map[string]string, a map[string]int64 and a
map[int64]string with strings that JSON has to escape (quotes, backslashes,
control bytes, non-ASCII UTF-8, invalid UTF-8), empty strings and strings
longer than --max-string, and writes every key and value as hex.  Each JSON
string gomap writes is turned back into bytes (UTF-8, invalid bytes kept by
surrogateescape) and compared with those.
"""

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests import harness, toolchains

STRMAPS = harness.REPO / "tests" / "progs" / "strmaps"
MAPS = ("main.Plain", "main.StrStr", "main.StrInt", "main.IntStr")
BUILDS = [b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")]


def _bytes(v):
    return v.encode("utf-8", "surrogateescape").hex() if isinstance(v, str) else v


def _cut(v, limit):
    """A truth value (hex or a number) as gomap shows it with --max-string limit."""
    return v[:2 * limit] if isinstance(v, str) else v


def _entries(doc):
    return Counter((_bytes(e["key"]), _bytes(e["value"])) for e in doc["entries"])


def _truth(ex, name, limit):
    return Counter((_cut(k, limit), _cut(v, limit)) for k, v in ex.truth[name])


@pytest.fixture(scope="module", params=BUILDS, ids=[b.id for b in BUILDS])
def strmaps(request):
    return toolchains.build_for(STRMAPS, request.param)


def test_json_strings_equal_the_programs_bytes(strmaps, tmp_path, gdb_path):
    with harness.start_example(strmaps) as ex:
        cmds = []
        for name in MAPS:
            base = tmp_path / name
            cmds += [f"gomap-dump {name} --json -o {base}.json",
                     f"gomap-dump {name} --json --sort -o {base}.sorted.json",
                     f"gomap-dump {name} --json --max-string 8192 -o {base}.whole.json"]
        res = harness.gdb_batch(["-p", str(ex.pid)], cmds)
        assert "Traceback" not in res.stderr and "error" not in res.stderr.lower(), res.stderr
        cli = {}
        for name in MAPS:
            r = subprocess.run([sys.executable, "-m", "gdb_gomap.cli.main", "dump", "--pid",
                                str(ex.pid), name, "--json"], capture_output=True, text=True,
                               cwd=harness.REPO, timeout=300, stdin=subprocess.DEVNULL)
            assert r.returncode == 0, r.stderr
            cli[name] = r.stdout
        for name in MAPS:
            base = tmp_path / name
            doc = json.loads((tmp_path / f"{name}.json").read_text())
            n = len(ex.truth[name])
            assert doc["count"] == n and len(doc["entries"]) == n
            assert _entries(doc) == _truth(ex, name, 4096), name
            if name != "main.Plain":
                assert any("longer than 4096 bytes are cut" in w for w in doc["warnings"]), \
                    doc["warnings"]
            whole = json.loads((tmp_path / f"{name}.whole.json").read_text())
            assert _entries(whole) == _truth(ex, name, 1 << 30), name
            assert not any("are cut" in w for w in whole["warnings"]), whole["warnings"]
            # --sort takes the per-string path: the same entries, in key order
            srt = json.loads((tmp_path / f"{name}.sorted.json").read_text())
            assert _entries(srt) == _entries(doc)
            keys = [e["key"] for e in srt["entries"]]
            assert keys == sorted(keys)
            # the CLI writes the very same text as gdb
            assert cli[name] == (tmp_path / f"{name}.json").read_text(), name


def test_bytes_chunks():
    """The bytes path writes what the per-entry encoders write, and gives way to
    them (None) on a string JSON must escape or on a value that is not bytes."""
    from gdb_gomap.render import jsonout

    def bytes_chunk(chunk, kq, vq):   # _bytes_chunk takes the keys and the values apart
        return jsonout._bytes_chunk([k for k, _ in chunk], [v for _, v in chunk], kq, vq)

    chunk = [(b"k1", b"v 1"), (b"", b"x/y:z"), (b"~!@#", b"")]
    want = ", ".join('{"key": %s, "value": %s}' % (json.dumps(k.decode()), json.dumps(v.decode()))
                     for k, v in chunk)
    assert bytes_chunk(chunk, b'"', b'"') == want
    assert bytes_chunk([(b"a", -5), (b"b", 7)], b'"', b"") == \
        '{"key": "a", "value": -5}, {"key": "b", "value": 7}'
    assert bytes_chunk([(3, b"x")], b"", b'"') == '{"key": 3, "value": "x"}'
    for odd in (b'q"', b"b\\s", b"\n", b"\x7f", "é".encode(), b"\xff", "str"):
        assert bytes_chunk([(b"k", b"v"), (b"k2", odd)], b'"', b'"') is None, odd


def test_text_view_shows_strings_as_go_does(strmaps, gdb_path):
    """The text view quotes the odd strings like Go's %q: escapes, \\x for invalid bytes."""
    with harness.start_example(strmaps) as ex:
        res = harness.gdb_batch(["-p", str(ex.pid)],
                                ["gomap-dump main.StrStr --entries --color off"])
    out = res.stdout
    assert '"key-97 \\"quoted\\""' in out, out[-2000:]
    assert '"key-101\\\\back\\\\slash"' in out
    assert '"key-103\\n\\t\\x01\\x7f"' in out
    assert '"key-107 é 日本"' in out
    assert '"key-109\\xff\\xfe invalid"' in out
    assert "...(len 5008)" in out


def test_decode_strings_paths(monkeypatch):
    """decode_strings on laid-out memory: the dense read, the block runs, holes,
    nil and bad headers, cut strings, invalid UTF-8, bytes mode, and the
    one-by-one path when the blocks would be too many."""
    from gdb_gomap import strread, values
    from gdb_gomap.errors import UnreadableMemory
    from gdb_gomap.replay import ReplayMemory

    texts = [b"plain", "é 日本".encode(), b"\xff\xfe bad", b"x" * 5000, b"", b"q\"uote"]
    near, far = 0x10000, 0x40000000          # two regions 1 GiB apart: not dense
    regions, ptrs, lens, want = [], [], [], []
    for base in (near, far):
        blob, pos = bytearray(), []
        for t in texts:
            pos.append(base + len(blob))
            blob += t + b"\0" * 3
        regions.append((base, bytes(blob)))
        ptrs += pos
        lens += [len(t) for t in texts]
        want += texts
    mem = ReplayMemory(regions)
    warned = []

    def run(ptrs, lens, as_bytes=False, max_string=4096):
        return strread.decode_strings(mem, ptrs, lens, max_string, warned.append, as_bytes)

    def as_text(b, limit=4096):
        return b[:limit].decode("utf-8", "surrogateescape")

    out, clean = run(ptrs, lens)
    assert clean and out == [as_text(t) for t in want]
    assert out[3].full_len == 5000 and "longer than 4096" in warned[-1]
    out, _ = run(ptrs, lens, as_bytes=True)
    assert [o if isinstance(o, bytes) else o.encode() for o in out] == \
        [t[:4096] for t in want]
    assert type(out[0]) is bytes and type(out[3]) is values.GoStr
    # only the near strings: one dense read
    out, clean = run(ptrs[:6], lens[:6])
    assert clean and out == [as_text(t) for t in texts]
    # a nil pointer with length 0, a bad header, a pointer into nothing
    out, clean = run([0, 0x20, 0x7000_0000_0000, *ptrs], [0, 5, 3, *lens])
    assert out[0] == "" and not clean
    assert isinstance(out[1], values.Unreadable) and "bad string header" in out[1].why
    assert isinstance(out[2], values.Unreadable)
    assert out[3:] == [as_text(t) for t in want]
    # a negative Go length (len >= 2^63) is a bad header, not a huge read
    out, clean = run([near], [(1 << 64) - 1])
    assert not clean and "len=-1" in out[0].why
    # too many blocks for one bulk buffer: every string read one by one, same result
    monkeypatch.setattr(strread, "BULK_MAX", 1 << 16)
    reads = []
    orig = ReplayMemory.read_many

    def spy(self, reqs):
        reads.append(len(reqs))
        return orig(self, reqs)

    monkeypatch.setattr(ReplayMemory, "read_many", spy)
    out, clean = run(ptrs, lens)
    assert clean and out == [as_text(t) for t in want] and reads
    with pytest.raises(UnreadableMemory):
        mem.read(0x7000_0000_0000, 1)
