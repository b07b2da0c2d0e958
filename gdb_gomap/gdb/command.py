"""A gdb command declared by an argparse parser and the function that does its work.

``Command(parser, run)`` is the whole of a gomap command's gdb side; the
command modules (``gdb_gomap.gdb.commands``) only build a parser and write
``run(args)``.  From the parser come:

- the name (``parser.prog``) and the text of ``help NAME`` (the parser's
  description and epilog, after an optional heading);
- the argument handling: gdb's argument string split by ``split_words``
  (as ``gdb.string_to_argv`` does, but quotes inside a word stay:
  ``m["a b"]``) and parsed; ``--help`` prints the parser's help, a bad
  argument is a one-line usage error (``options._Parser``);
- completion: the parser's option names after ``-``; otherwise package
  globals by prefix and gdb's expression completer (or the command's own
  ``operands`` completer).

Each command has two names: ``gomap dump`` (a subcommand of the ``gomap``
prefix, ``Prefix``) and ``gomap-dump`` (the older name, kept).  A parser whose
prog is ``gomap-X`` makes both: the ``Command`` named ``gomap-X`` makes its twin
``gomap X``, with a copy of the parser under that prog, the same ``run``, the
same completion and the same help, which ends naming both.  So a command
module declares one command, and ``help gomap`` lists it.

Every run goes through one error handler, under the read-only guard
(``readonly.read_only``) and without the cycle collector: a ``GomapError``
is one line (``gomap: ...``), a bug in gomap is one line too ("internal
error"); ``set gomap verbose on`` or ``GOMAP_DEBUG=1`` adds the traceback.
"""

import copy
import sys
import traceback

import gdb

from .. import options
from ..errors import ExprSyntax, GomapError, SideEffect, UsageError
from ..nogc import no_gc
from . import settings
from .program import current_target
from .readonly import read_only


PREFIX = "gomap"


class Prefix(gdb.Command):
    """``gomap``: the prefix of every gomap command; ``help gomap`` lists them."""

    def __init__(self):
        self.__doc__ = ("gomap: decode Go maps in the program gdb debugs.\n\n"
                        "Each subcommand is also known by its older one-word name "
                        "(gomap dump = gomap-dump).\nSettings: 'help set gomap'.")
        super().__init__(PREFIX, gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, True)

    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError(f"gomap: no subcommand {arg.split()[0]!r}; "
                               f"'help gomap' lists them")
        gdb.execute("help gomap", from_tty)


class Command(gdb.Command):
    """The gdb command ``parser.prog``: parse the arguments, then ``run(args)``.

    ``heading`` goes before the parser's description in ``help NAME``;
    ``operands(token)`` completes a word that is not an option (default:
    an expression); ``completes=False`` turns completion off.  A prog
    ``gomap-X`` also makes the subcommand ``gomap X`` (``self.twin``).
    """

    def __init__(self, parser, run, category=gdb.COMMAND_DATA, heading=None, operands=None,
                 completes=True, _twin_of=None):
        self.parser = parser
        self._run = run
        self._operands = operands or complete_expression
        names = _twin_of.names if _twin_of is not None else twin_names(parser.prog)
        self.names = names
        self.__doc__ = help_text(parser, heading, names)
        if completes:
            super().__init__(parser.prog, category)
        else:
            super().__init__(parser.prog, category, gdb.COMPLETE_NONE)
        self.twin = None
        if _twin_of is None and len(names) == 2:
            twin_parser = copy.copy(parser)
            twin_parser.prog = names[0]
            self.twin = Command(twin_parser, run, category, heading, operands, completes,
                                _twin_of=self)

    def invoke(self, arg, from_tty):
        run_guarded(self._parse_and_run, arg)

    def _parse_and_run(self, arg):
        try:
            args = self.parser.parse_args(split_words(arg))
        except options.HelpShown:   # --help was printed
            return
        self._run(args)

    def complete(self, text, word):
        token = text.split()[-1] if text and not text[-1].isspace() else ""
        if token.startswith("-"):
            return _cut(self.option_names(token), token, word)
        got = self._operands(token)
        if isinstance(got, int):    # one of gdb's own completers
            return got
        return _cut(got, token, word)

    def option_names(self, prefix):
        """The parser's option strings that start with ``prefix``, sorted."""
        return sorted(o for a in self.parser._actions for o in a.option_strings
                      if o.startswith(prefix))


def split_words(arg):
    """gdb's argument string as words, as ``gdb.string_to_argv`` splits it, except
    that quotes inside a word stay (``m["a b"]``, ``m['x']`` reach the expression
    grammar whole); a word quoted from end to end loses its quotes (``-o 'a b'``)."""
    words, cur, quote, depth, started = [], [], None, 0, False
    for c in arg:
        if quote:
            cur.append(c)
            if c == quote and (len(cur) < 2 or cur[-2] != "\\"):
                quote = None
            continue
        if c.isspace() and not depth:
            if started:
                words.append(_unquote("".join(cur)))
            cur, started = [], False
            continue
        started = True
        cur.append(c)
        if c in "\"'`":
            quote = c
        elif c in "[(":
            depth += 1
        elif c in "])" and depth:
            depth -= 1
    if started:
        words.append(_unquote("".join(cur)))
    return words


def _unquote(word):
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'" and \
            word[0] not in word[1:-1]:
        return word[1:-1]
    return word


def twin_names(prog):
    """The names of one command: ``("gomap X", "gomap-X")`` for ``gomap-X``, else ``(prog,)``."""
    head, dash, rest = prog.partition("-")
    if head == PREFIX and dash and rest and " " not in rest:
        return (f"{PREFIX} {rest}", prog)
    return (prog,)


def help_text(parser, heading=None, names=()):
    """What ``help NAME`` shows: the heading, the parser's description and epilog, and
    the command's two names when it has two."""
    also = (f"Names: {names[0]} or {names[1]} (the same command)."
            if len(names) == 2 else None)
    return "\n\n".join(p for p in (heading, parser.description, parser.epilog, also) if p)


def _cut(names, token, word):
    """Completions as gdb wants them: each from where ``word`` (gdb's last word) starts."""
    cut = len(token) - len(word or "")
    return [n[cut:] for n in names]


def complete_expression(token):
    """Package globals starting with ``token``, else gdb's expression completer."""
    try:
        target = current_target()
    except Exception:  # completion must never raise
        return gdb.COMPLETE_EXPRESSION
    names = sorted(v for v in target.index.variables if v.startswith(token))
    if not token or not names:
        return gdb.COMPLETE_EXPRESSION
    return names[:200]


def run_guarded(fn, *a):
    """Run a command body; turn every failure into a one-line gdb error."""
    try:
        # The whole command without the cycle collector: the snapshot's millions
        # of objects are freed before it runs again, so it never walks them.
        with read_only(), no_gc():
            fn(*a)
    except KeyboardInterrupt:
        raise gdb.GdbError("gomap: interrupted") from None
    except (SideEffect, ExprSyntax) as exc:
        raise gdb.GdbError(f"gomap: {exc}") from None
    except UsageError as exc:
        raise gdb.GdbError(str(exc)) from None
    except GomapError as exc:
        _maybe_trace()
        raise gdb.GdbError(f"gomap: {exc}") from None
    except gdb.GdbError:
        raise
    except Exception as exc:  # a bug in gomap: still one line, traceback on request
        _maybe_trace()
        raise gdb.GdbError(f"gomap: internal error ({type(exc).__name__}: {exc}); "
                           f"'set gomap verbose on' shows the traceback") from None


def _maybe_trace():
    if settings.verbose():
        traceback.print_exc(file=sys.stderr)
