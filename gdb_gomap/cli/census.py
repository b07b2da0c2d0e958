"""``gomap census``: every map of a core or a live process, grouped by path
pattern, with the bytes each group holds and retains (gdb_gomap.census)."""

import argparse
import json
import sys

from .. import options
from ..errors import UsageError
from ..census import run as census_run
from ..render import census as census_view
from ..render import output

DESCRIPTION = """\
Every map the process holds, found from its roots (every package global and
every goroutine's stack) by a typed walk of the heap, grouped by path pattern
(main.many[*]: all the maps of that slice).  Per group: maps, entries, own
bytes (the maps' storage), retained bytes (what would be freed if the group's
maps became unreachable: the maps' dominator subtrees in the object graph),
and that as a share of the walked heap.  The header says what was walked and
what could not be read, and why."""


def _bytes(text):
    t = text.strip().upper()
    mult = 1
    for suffix, m in (("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30),
                      ("M", 1 << 20), ("K", 1 << 10), ("B", 1)):
        if t.endswith(suffix):
            t, mult = t[:-len(suffix)], m
            break
    try:
        v = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a byte count (e.g. 4096, 64K, 10M)")
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return v


def add_census_options(p):
    """The options of ``gomap census`` and ``gomap-census``."""
    p.add_argument("--top", type=options._positive, metavar="N",
                   help="show the N groups that retain most (default: all)")
    p.add_argument("--min-bytes", type=_bytes, metavar="BYTES",
                   help="show only groups retaining at least BYTES (4096, 64K, 10M)")
    p.add_argument("--expand", metavar="PATTERN",
                   help="also list the maps of the group PATTERN (exact, or a shell glob "
                        "such as 'main.many*')")
    p.add_argument("--json", action="store_true",
                   help="JSON (schema gomap-census/1: gdb_gomap/schema/census.schema.json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    p.add_argument("--html", metavar="FILE",
                   help="also write the report page to FILE: one self-contained HTML file "
                        "(treemap, groups table that sorts and filters, the largest maps "
                        "drawn); opens in any browser without a network")
    b = p.add_argument_group("budget (the output says when it stopped the walk)")
    b.add_argument("--budget-seconds", type=options._positive_float, default=None,
                   metavar="S", help="stop walking the heap after S seconds (default: none)")
    b.add_argument("--budget-mb", type=options._positive, default=None, metavar="MB",
                   help="stop walking after MB of growth of its own memory (a core's "
                        "pages, read through a mapping, not counted; default: none)")
    return p


def add_parser(sub, source_args):
    """Add ``census`` to the ``gomap`` subcommands."""
    q = sub.add_parser("census", help="every map of the process, grouped, with retained bytes",
                       description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    source_args(q)
    add_census_options(q)
    return q


REPORT_DESCRIPTION = """\
A post-mortem of every map, built on the census (see 'gomap census'): what was
walked and what could not be read, the groups of maps by path pattern with
their own and retained bytes, the largest maps one by one, and the nil maps
and the groups of empty maps counted in one line each (--all lists them).
Markdown by default (--text, --json).

--html FILE also writes the report as one page that opens in any browser
without a network: a treemap of where the maps' memory is, coloured by the
share of dead cells; the groups table, which sorts and filters; and each of
the largest maps drawn (cells, fill histogram, its groups or buckets).

--globals gives the older, fast view instead: the maps reachable from package
globals only, with dead space and maps caught growing or mid-write."""


def add_report_parser(sub, source_args, globals_help):
    """Add ``report`` to the ``gomap`` subcommands."""
    q = sub.add_parser("report", help="post-mortem of every map (the census, in Markdown)",
                       description=REPORT_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    source_args(q)
    add_census_options(q)
    q.add_argument("--text", action="store_true", help="plain text instead of Markdown")
    q.add_argument("--maps", type=options._positive, default=10, metavar="N",
                   help="list the N maps that retain most (default 10)")
    q.add_argument("--all", action="store_true",
                   help="list every nil map and every group of empty maps (default: a "
                        "count of each); with --globals, include the runtime's and the "
                        "standard library's globals")
    q.add_argument("--globals", action="store_true", help=globals_help)
    return q


def globals_view_conflicts(args):
    """The census options given with ``report --globals``, which has none of them."""
    given = [opt for opt, on in (("--text", args.text), ("--html", args.html is not None),
                                 ("--top", args.top is not None),
                                 ("--min-bytes", args.min_bytes is not None),
                                 ("--expand", args.expand is not None),
                                 ("--maps", args.maps != 10),
                                 ("--budget-seconds", args.budget_seconds is not None),
                                 ("--budget-mb", args.budget_mb is not None)) if on]
    if given:
        raise UsageError(f"{', '.join(given)}: not with --globals (the globals view has "
                         f"only --json, --all and -o); drop --globals for the census report")


def cmd_report(args, open_target):
    """``gomap report``: the census as a post-mortem (Markdown, --text or --json)."""
    c, info = _run(args, open_target)
    kw = dict(top=args.top, min_bytes=args.min_bytes, expand=args.expand, maps=args.maps,
              all_nil=args.all)
    with output.destination(args.output, sys.stdout.write) as write:
        if args.json:
            write(json.dumps(census_view.report_json(c, info, **kw)) + "\n")
        elif args.text:
            census_view.report_text(c, info, write, **kw)
        else:
            census_view.report_markdown(c, info, write, **kw)


def budget_from(args):
    return census_run.CensusBudget(args.budget_seconds, args.budget_mb)


def emit(c, info, args, write):
    kw = dict(top=args.top, min_bytes=args.min_bytes, expand=args.expand)
    if args.json:
        census_view.write_json(c, info, write, **kw)
    else:
        census_view.write_text(c, info, write, **kw)


def _run(args, open_target):
    """(Census, info) of the target of ``args`` (--core/--exe or --pid); with --html,
    the page is written while the target is still open (its largest maps are read
    again for their pictures).  A live process goes on before anything is printed."""
    if args.html:
        output.check_writable(args.html)       # before a walk of minutes, not after
    progress = census_run.Progress(sys.stderr)
    try:
        with open_target(args) as (target, info):
            c = census_run.run(target, budget_from(args), progress)
            info = dict(info, go_version=target.go_version, layout=target.map_kind,
                        arch=target.arch.goarch, build_id=target.binary.build_id())
            if args.html:
                progress(phase="drawing the page")
                write_html(c, info, target, args)
    finally:
        progress.done()
    if args.html:
        print(f"gomap: wrote the report page ({len(c.groups):,} groups) to {args.html}",
              file=sys.stderr)
    return c, info


def write_html(c, info, target, args):
    """``--html FILE``: the report page (render/page.py) of census ``c``."""
    from ..census import topmaps
    from ..render import page
    maps = topmaps.describe_all(target, census_view.largest_maps(c, getattr(args, "maps", 10)))
    with output.destination(args.html, None) as write:
        page.write_page(c, info, write, maps, all_nil=getattr(args, "all", False),
                        top=args.top, min_bytes=args.min_bytes, expand=args.expand)


def cmd_census(args, open_target):
    """Run the census on the target of ``args`` (--core/--exe or --pid)."""
    c, info = _run(args, open_target)
    with output.destination(args.output, sys.stdout.write) as write:
        emit(c, info, args, write)
