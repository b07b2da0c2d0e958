"""Refuse an expression that would change the program before a debugger evaluates it.

gomap hands the expression a user gives (``gomap-dump EXPR``, ``--type T
EXPR``, ``gomap-snap``, ``gomap-watch``, ``gomap-dlv dump``) to gdb or Delve
to find the map.  gdb evaluates whatever it is given: ``main.Big =
main.Small`` would overwrite ``main.Big`` in the live process.  :func:`check`
reads the expression first, with no debugger, and raises
:class:`~gdb_gomap.errors.SideEffect` (one line) if it has any of:

- an assignment: ``=`` (``==``, ``!=``, ``<=`` and ``>=`` are comparisons)
  and ``:=``; gdb convenience variables too (``$x = 1``);
- a compound assignment: ``+= -= *= /= %= &= |= ^= <<= >>= &^=``;
- an increment or a decrement: ``++``, ``--`` (the lexer's longest match, as
  gdb's: ``a--1`` is refused, ``a - -1`` is not);
- a function call: ``(`` right after something that could be a function
  (a name, ``)``, ``]``, a literal), gdb convenience functions
  (``$_strlen(...)``) included.  It is *not* a call, and is accepted, when
  what comes before ``(`` is

  - an operator, ``(``, ``[``, ``,`` or the start: ordinary grouping;
  - a built-in type name (``uintptr(x)``, ``int64(x)``), a C type word
    (``long(x)``), a size operator (``sizeof``, ``unsafe.Sizeof``, ...);
  - a name the caller says is a type (``is_type``, the DWARF type names):
    ``main.Named(x)``;
  - a parenthesised type (a conversion or a cast): ``(*main.T)(p)``,
    ``(*map[string]int)(p)``, ``(unsigned long)(x)``, ``(uintptr)(x)``.
    ``(*f)(x)``, where ``f`` is not a type name, is a call.

Quoted text is skipped: gdb's ``'main.cache'`` quoting, characters
(``'='``) and strings (``"a=b"``), with backslash escapes.  A quote that is
never closed quotes nothing (the rest is checked).  Backquotes are not
quotes here (checked, which can only refuse more).

The rule is the same for gdb, Delve and the ``gomap`` CLI.  In gdb it is the
first of two locks: gomap commands also run with ``may-write-memory`` and
``may-call-functions`` off (``gdb_gomap.gdb.readonly.read_only``).
"""

import re

from .errors import SideEffect

# Longest first: the scanner takes the longest operator at each position.
_OPERATORS = sorted("""
    <<= >>= &^= ... == != <= >= += -= *= /= %= &= |= ^= ++ -- := -> && || << >> :: &^
    = < > + - * / % & | ^ ! ~ ? : . , ; @ { } #
    """.split(), key=len, reverse=True)

_ASSIGN = {"=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="}
_STEP = {"++": "an increment", "--": "a decrement"}

# Go's predeclared types: NAME(x) is a conversion.
GO_TYPES = frozenset("""
    bool string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr
    float32 float64 complex64 complex128 byte rune error any unsafe.Pointer
    """.split())
# C words that make up a type: (unsigned long)x, long(x), (struct foo *)p.
C_TYPE_WORDS = frozenset("""
    void char short int long float double signed unsigned _Bool bool const volatile
    struct union enum class
    """.split())
# Operators spelled like functions that evaluate nothing: sizeof(x).
SIZE_OPERATORS = frozenset("""
    sizeof alignof _Alignof __alignof__ typeof __typeof __typeof__ decltype
    unsafe.Sizeof unsafe.Alignof unsafe.Offsetof
    """.split())

_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_][\w]*)*")
_NUMBER = re.compile(r"\d[\w.]*")


def _tokens(expr):
    """(kind, text, start) for each token; kinds: name number quoted op ( ) [ ] other."""
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c.isspace():
            i += 1
            continue
        if c in "'\"":
            end = _closing_quote(expr, i)
            if end is not None:
                yield "quoted", expr[i:end + 1], i
                i = end + 1
                continue
            yield "other", c, i   # never closed: it quotes nothing
            i += 1
            continue
        m = _NAME.match(expr, i)
        if m:
            yield "name", m.group(0), i
            i = m.end()
            continue
        m = _NUMBER.match(expr, i)
        if m:
            yield "number", m.group(0), i
            i = m.end()
            continue
        if c in "()[]":
            yield c, c, i
            i += 1
            continue
        op = next((o for o in _OPERATORS if expr.startswith(o, i)), None)
        if op:
            yield "op", op, i
            i += len(op)
            continue
        yield "other", c, i
        i += 1


def _closing_quote(expr, start):
    q = expr[start]
    i = start + 1
    while i < len(expr):
        if expr[i] == "\\":
            i += 2
            continue
        if expr[i] == q:
            return i
        i += 1
    return None


def looks_like_type(text, is_type=None):
    """True when ``text`` (what is inside a pair of parentheses) spells a type."""
    t = text.strip()
    while True:   # pointer stars: Go's (*T), C's (T *)
        s = t.strip("* \t")
        if s == t:
            break
        t = s
    if not t:
        return False
    if re.match(r"(map\[|\[|chan\b|interface\s*\{|struct\s*\{)", t):
        return True   # a Go type literal (what is inside is checked on its own)
    words = t.split()
    if len(words) == 1 and (t in GO_TYPES or t in C_TYPE_WORDS or
                            (is_type is not None and is_type(t))):
        return True
    if len(words) > 1 and all(w in C_TYPE_WORDS for w in words[:-1]) and \
            (words[-1] in C_TYPE_WORDS or words[0] in ("struct", "union", "enum", "class")):
        return True
    return False


def side_effect(expr, is_type=None):
    """(what, token, 0-based position) of the first side effect in ``expr``, else None.

    ``is_type(name)`` says whether a name is a type of the program (so that
    ``name(x)`` is a conversion, not a call); without it only the built-in
    type names count.
    """
    toks = list(_tokens(expr))
    opens = []   # indexes of unmatched '(' in toks
    prev = None  # previous token
    for k, (kind, text, pos) in enumerate(toks):
        if kind == "op":
            if text in _ASSIGN:
                return "an assignment", text, pos
            if text in _STEP:
                return _STEP[text], text, pos
        elif kind == "(":
            call = _call_before(expr, toks, k, prev, is_type)
            if call is not None:
                return "a function call", call, pos
            opens.append(k)
        elif kind == ")" and opens:
            opens.pop()
        prev = (kind, text, pos, k)
    return None


def _call_before(expr, toks, k, prev, is_type):
    """The callee text ('f(') when the '(' at toks[k] calls something, else None."""
    if prev is None:
        return None
    kind, text, pos, j = prev
    if kind in ("op", "(", "[", "other"):
        return None
    if kind == "name":
        if text in GO_TYPES or text in C_TYPE_WORDS or text in SIZE_OPERATORS:
            return None
        if not text.startswith("$") and is_type is not None and is_type(text):
            return None
        return text + "("
    if kind == ")":
        start = _matching_open(toks, j)
        if start is not None:
            inner = expr[toks[start][2] + 1:pos]
            if looks_like_type(inner, is_type):
                return None
            return expr[toks[start][2]:pos + 1] + "("
        return ")("
    if kind == "]":
        start = _matching_open(toks, j, "[", "]")
        if start is not None:
            first = start - 1 if start and toks[start - 1][0] == "name" else start
            return expr[toks[first][2]:pos + 1] + "("
        return "]("
    return text + "("   # a number, a quoted name or string


def _matching_open(toks, close_index, opening="(", closing=")"):
    depth = 0
    for i in range(close_index, -1, -1):
        kind = toks[i][0]
        if kind == closing:
            depth += 1
        elif kind == opening:
            depth -= 1
            if depth == 0:
                return i
    return None


def check(expr, is_type=None):
    """Raise SideEffect (one line) when ``expr`` would change the program."""
    found = side_effect(expr, is_type)
    if found is None:
        return
    what, token, pos = found
    raise SideEffect(expr, what, token, pos)
