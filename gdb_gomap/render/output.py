"""Where a view goes: the screen or a file (``-o``), with colour or not, as text,
JSON or an SVG picture.

One path for the three front ends (the gdb commands, the ``gomap`` CLI and
``gomap-dlv``).  A front end says only how it writes to the screen
(``gdb.write``, ``sys.stdout.write``), whether that screen takes colour, and
whether it reports the files it wrote (gdb does, in one line each); the rest
is here:

- ``-o FILE`` replaces the screen; a file that cannot be opened is a
  one-line ``UsageError`` before anything is written;
- colour (``--color auto|on|off``): ``on`` colours the text view wherever it
  goes; ``auto`` (and a gdb ``gomap color`` setting of ``on``) only the
  screen, ``auto`` only when the front end says the screen is a colour
  terminal and ``NO_COLOR`` is not set; JSON is never coloured;
- ``--svg FILE`` is drawn after the view;
- JSON, whatever the command (a snapshot, a listing, a diff, a watch log), is
  one document on one line, ended by a newline (``jq`` or
  ``python3 -m json.tool`` indent it);
- a dump's ``--json`` in walk order (no ``--sort``, ``--buckets`` or ``--svg``)
  is streamed: :func:`dump_view` gives the decode a sink that writes each batch
  of entries as it is decoded, so memory does not grow with the map.
"""

import contextlib
import dataclasses
import json
import os

from ..errors import UsageError
from . import text as text_view
from .jsonout import JsonStream, snapshot_json, write_json
from .listing import list_json, list_text, report_markdown


def open_output(path):
    """``path`` opened for writing, or a one-line UsageError."""
    try:
        return open(path, "w")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def check_writable(path):
    """A one-line UsageError now when ``path`` cannot be written later."""
    where = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a directory; name a file")
    if not os.path.isdir(where):
        raise UsageError(f"cannot write {path}: no directory {where}")
    if not os.access(path if os.path.exists(path) else where, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")


@contextlib.contextmanager
def destination(path, screen):
    """A write function: into the file ``path`` (closed after) or, with no path, ``screen``."""
    if not path:
        yield screen
        return
    f = open_output(path)
    try:
        yield f.write
    finally:
        f.close()


def write_file(path, text, what=None):
    """Write ``text`` to ``path``; a one-line UsageError ("cannot write [WHAT to] PATH")."""
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        where = f"{what} to {path}" if what else path
        raise UsageError(f"cannot write {where}: {exc.strerror}") from exc


def write_document(obj, write):
    """A JSON document other than a snapshot (a diff, a watch log), on one line."""
    write(json.dumps(obj) + "\n")


def use_color(flag, default, to_file, terminal):
    """Whether the text view is coloured.

    ``flag`` is ``--color`` as given (None when absent), ``default`` the
    mode without it (gdb's ``gomap color`` setting, the CLI's ``auto``),
    ``to_file`` whether ``-o`` was given, and ``terminal()`` whether the
    screen shows colour (asked only for ``auto``).
    """
    mode = flag or default
    if mode == "on":
        return flag == "on" or not to_file
    if mode != "auto" or to_file or os.environ.get("NO_COLOR"):
        return False
    return bool(terminal())


def emit_snapshot(snap, args, screen, terminal, default_color="auto", say=None):
    """The dump view the arguments ask for, then its ``--svg`` picture.

    ``args`` holds the view options of ``options.add_view_options``.
    ``say(line)`` is told of each file written (None: nothing is said).
    """
    color = not args.json and use_color(args.color, default_color, bool(args.output),
                                        terminal)
    with destination(args.output, screen) as write:
        if args.json:
            write_json(snap, write)
        else:
            cw = None
            if color:
                from .color import ColorWriter   # pygments loads only for colour
                cw = ColorWriter(write)
            try:
                text_view.render(snap, cw or write, entries=args.entries,
                                 buckets=args.buckets, tables=args.tables)
            except KeyboardInterrupt:   # Ctrl-C, or 'q' at gdb's pager: nothing more
                if cw is not None:
                    cw.discard()
                raise
            finally:
                if cw is not None:
                    cw.flush()
    if args.output and say:
        say(f"gomap: wrote {snap.type} ({snap.count} entries) to {args.output}\n")
    if args.svg:
        from .svg import snapshot_svg
        write_file(args.svg, snapshot_svg(snapshot_json(snap)))
        if say:
            say(f"gomap: wrote the picture to {args.svg}\n")


@contextlib.contextmanager
def dump_view(args, opts, screen, terminal, default_color="auto", say=None):
    """The view of one dump, around its decode: yields (the DumpOptions to decode
    with, ``show(snap)`` to call with the snapshot).

    A ``--json`` that streams (``DumpOptions.streams``: walk order, no bucket
    detail, no picture) opens its destination first and writes entries while
    the decode runs; ``show`` then writes the rest.  Every other view is made
    by :func:`emit_snapshot` from the whole snapshot.
    """
    sink_opts = dataclasses.replace(opts, sink=True)
    if not (args.json and not args.svg and sink_opts.streams):
        yield opts, lambda snap: emit_snapshot(snap, args, screen, terminal,
                                               default_color, say)
        return
    with destination(args.output, screen) as write:
        stream = JsonStream(write)

        def show(snap):
            stream.close(snap)
            if args.output and say:
                say(f"gomap: wrote {snap.type} ({snap.count} entries) to {args.output}\n")

        yield dataclasses.replace(opts, sink=stream), show


def emit_listing(found, args, screen, header, intro=False, markdown=False):
    """A listing of maps (``list``, ``report``): JSON, Markdown or the text table.

    With ``intro`` the text table follows the header's warnings and a line
    naming the executable, its Go release and map layout.
    """
    with destination(args.output, screen) as write:
        if args.json:
            list_json(found, write, header)
        elif markdown:
            report_markdown(found, write, header)
        else:
            if intro:
                for w in header.get("warnings", ()):
                    write(f"warning: {w}\n")
                write(f"{header['executable']}: {header['go_version']}, "
                      f"{header['layout']} maps\n")
            list_text(found, write)
