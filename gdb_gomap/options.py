"""Command-line options shared by ``gomap-dump`` in gdb and the ``gomap`` CLI.

Each command is declared once here with argparse; gdb splits its argument
string with ``gdb_gomap.gdb.command.split_words`` (quotes inside an expression
kept) and hands the list to the same parser.
"""

import argparse

from . import __version__
from .decoding import DumpOptions
from .errors import UsageError
from .limits import Limits

DUMP_DESCRIPTION = """\
Decode the Go map that EXPR evaluates to and show what the runtime keeps in it.

EXPR names a Go map: a local of the selected frame ('m', 'tm.v[0]'), a
package global ('main.cache'), a path through fields, pointers, indexes and
map keys ('main.srv.shards[3]', 'main.cfg["db"].pools[2]'), a map held in an
interface, '*(*map[string]int)(0xc000010000)', or any other expression the
debugger evaluates (gdb's, Delve's).
With --type, EXPR is the address of a map header and TYPE the map type
('map[string]int'); ADDR:TYPE in one word works too
('0xc000123000:map[string]int').  README: 'Naming a map'.

Views: the default is the header and a summary (counts, growth, bytes held);
--entries lists the live entries sorted by key; --buckets shows every bucket
(classic) or group (swiss) slot by slot; --json prints the whole snapshot as
JSON (schema: gdb_gomap/schema/snapshot.schema.json), its entries in walk
order unless --sort is given.  That --json is written while the map is read,
a batch of entries at a time, so its memory does not grow with the map."""

DUMP_EPILOG = """\
classic cell states: L live (tophash >= 5), 1 emptyOne, 0 emptyRest,
  X/Y evacuatedX/Y, E evacuatedEmpty.  swiss slot states: h2 byte for full,
  . empty (0x80), D deleted/tombstone (0xFE).
examples:
  gomap-dump main.cache
  gomap-dump 'main.srv.shards[3]' --entries --limit 20
  gomap-dump main.cfg["db"].pools[2]
  gomap-dump m --buckets --range 0:15
  gomap-dump main.cache --json -o /tmp/cache.json
  gomap-dump main.cache --svg /tmp/cache.svg"""


# Every --json of every command writes one document on one line (see render/output.py).
JSON_HELP = "JSON instead of text, on one line (jq or python3 -m json.tool indents it)"


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting the debugger."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see 'help {self.prog}')")

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        try:
            check_view_args(parsed)
        except UsageError as exc:
            self.error(str(exc))
        return parsed

    def exit(self, status=0, message=None):
        if message:
            raise UsageError(message.strip())
        raise _HelpShown()


class _HelpShown(Exception):
    """--help was printed; the command has nothing more to do."""


HelpShown = _HelpShown


def _window(text):
    try:
        if ":" in text:
            a, b = text.split(":", 1)
            lo, hi = int(a, 0), int(b, 0)
        else:
            lo = hi = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad range {text!r}; use FIRST:LAST, e.g. 0:15")
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError(f"bad range {text!r}; need 0 <= FIRST <= LAST")
    return lo, hi


def _positive(text):
    try:
        v = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return v


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number above 0")
    return v


def add_view_options(p):
    """The view and bound options every dump-like command takes."""
    v = p.add_argument_group("views")
    v.add_argument("--entries", action="store_true", help="list the live entries")
    v.add_argument("--buckets", "--groups", dest="buckets", action="store_true",
                   help="show every bucket (classic) or group (swiss) with its slots")
    v.add_argument("--range", dest="window", type=_window, metavar="FIRST:LAST",
                   help="with --buckets (or --svg): only buckets (classic) or groups "
                        "(swiss, counted across tables) FIRST..LAST; an error without them")
    v.add_argument("--tables", action="store_true",
                   help="one line per swiss table however many (by default a map of more "
                        "than 64 tables shows their fill histogram, fullest and emptiest)")
    v.add_argument("--limit", type=_positive, metavar="N",
                   help="decode at most N entries (the first N in memory order)")
    v.add_argument("--json", action="store_true",
                   help="print the snapshot as JSON, on one line (entries included; with "
                        "--buckets also every bucket or group)")
    v.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the screen")
    v.add_argument("--svg", metavar="FILE",
                   help="also draw the buckets (classic) or groups (swiss) as an SVG picture, "
                        "one square per slot coloured by its state")
    v.add_argument("--sort", dest="sort", action="store_true", default=None,
                   help="sort entries by key (the default for the text views); with "
                        "--json it keeps every entry in memory to sort them (about 150 "
                        "bytes an entry) instead of writing them as they are read")
    v.add_argument("--no-sort", dest="sort", action="store_false",
                   help="keep entries in walk order (the default for --json, where "
                        "sorting a million keys would double the time)")
    v.add_argument("--color", choices=("auto", "on", "off"), default=None,
                   help="colour the text view (default: the gomap color setting)")
    b = p.add_argument_group("bounds (corrupt memory never hangs the debugger)")
    d = Limits()
    b.add_argument("--max-string", type=_positive, default=d.max_string, metavar="N",
                   help=f"bytes shown of one string (default {d.max_string})")
    b.add_argument("--max-items", type=_positive, default=d.max_items, metavar="N",
                   help=f"items decoded of one slice (default {d.max_items}); a longer "
                        f"one keeps its len and the warning names it")
    b.add_argument("--max-chain", type=_positive, default=d.max_chain, metavar="N",
                   help=f"overflow buckets followed per chain (default {d.max_chain})")
    b.add_argument("--max-buckets", type=_positive, default=d.max_buckets, metavar="N",
                   help=f"buckets or groups walked per array (default {d.max_buckets})")
    b.add_argument("--max-depth", type=_positive, default=d.max_depth, metavar="N",
                   help=f"nesting depth of values (default {d.max_depth})")
    b.add_argument("--budget-seconds", type=_positive_float, default=d.budget_seconds,
                   metavar="S", help=f"once a map looks corrupt, stop walking it after S "
                   f"seconds (default {d.budget_seconds:g}); a consistent map is never cut")
    b.add_argument("--budget-mb", type=_positive, default=d.budget_mb, metavar="MB",
                   help=f"once a map looks corrupt, stop walking it after MB of memory "
                   f"growth (default {d.budget_mb})")
    return p


def add_version(p):
    """``--version``: print ``gomap VERSION`` (``gdb_gomap.__version__``) and stop."""
    p.add_argument("--version", action="version", version=f"gomap {__version__}",
                   help="print gomap's version and stop")


def simple_parser(prog, description):
    """A parser for a small command, with the same no-exit behaviour."""
    return _Parser(prog=prog, description=description,
                   formatter_class=argparse.RawDescriptionHelpFormatter)


def dump_parser(prog="gomap-dump"):
    p = _Parser(prog=prog, description=DUMP_DESCRIPTION, epilog=DUMP_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter, add_help=True)
    p.add_argument("expr", nargs="+", metavar="EXPR", help="expression whose value is a map")
    p.add_argument("--type", metavar="TYPE",
                   help="treat EXPR as an address of a map header of this map type")
    add_version(p)
    add_view_options(p)
    return p


def check_view_args(args):
    """A one-line UsageError for view options that do nothing as given (``--range``
    without ``--buckets`` or ``--svg``, the views it narrows)."""
    if getattr(args, "window", None) is not None and not (
            getattr(args, "buckets", False) or getattr(args, "svg", None)):
        raise UsageError("--range FIRST:LAST chooses the buckets or groups that --buckets "
                         "(or --svg) shows: add --buckets")


def limits_from(args):
    d = Limits()
    return Limits(max_entries=d.max_entries, max_buckets=args.max_buckets,
                  max_chain=args.max_chain, max_tables=d.max_tables,
                  max_string=args.max_string, max_items=args.max_items,
                  max_depth=args.max_depth, max_read=d.max_read,
                  budget_seconds=args.budget_seconds, budget_mb=args.budget_mb)


def dump_options_from(args):
    """DumpOptions for the view the arguments ask for (a UsageError when they disagree)."""
    check_view_args(args)
    svg = bool(getattr(args, "svg", None))
    want_entries = args.entries or args.json or args.buckets or svg
    sort = (not args.json) if args.sort is None else args.sort
    detail = args.buckets or svg
    return DumpOptions(entries=want_entries, limit=args.limit, detail=detail,
                       window=args.window, sort=sort,
                       json_bytes=bool(args.json and not detail and not sort))
