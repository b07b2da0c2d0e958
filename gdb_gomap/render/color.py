"""Colour for the text view, through pygments.

A small lexer knows the text view's vocabulary (labels, addresses, numbers,
strings, slot states, warnings); the terminal formatter turns it into ANSI.
"""

from pygments import highlight
from pygments.formatters import TerminalFormatter
from pygments.lexer import RegexLexer, bygroups
from pygments.token import Comment, Error, Keyword, Name, Number, String, Text, Generic


class GomapLexer(RegexLexer):
    name = "gomap"
    tokens = {
        "root": [
            (r"^warning:.*\n", Error),
            (r"^(  )([A-Za-z][A-Za-z]*)( +)", bygroups(Text, Keyword, Text)),
            (r"^(entries:|bucket|old bucket|  overflow|table \d+ group|group)",
             Generic.Heading),
            (r"^map\[[^\n]*?(?= at | nil)", Name.Class),
            (r"0x[0-9a-fA-F]+", Number.Hex),
            (r'"(\\\\|\\"|[^"])*"', String),
            (r"\[[L10XYE]{8}\]", Name.Builtin),
            (r"\b(MISMATCH|evacuated|not evacuated|deleted|tombstones)\b", Comment.Special),
            (r"-?\d+(\.\d+)?([eE][+-]?\d+)?", Number),
            (r"\n", Text),
            (r".", Text),
        ],
    }


_LEXER = GomapLexer()
_FORMATTER = TerminalFormatter()


class ColorWriter:
    """Buffers lines and writes them coloured, a chunk at a time.

    A chunk leaves the buffer before it is written: a write that raises (the
    user quit gdb's pager, which raises ``KeyboardInterrupt`` out of
    ``gdb.write``) never leaves it behind to be written a second time.
    """

    def __init__(self, write, chunk_lines=500):
        self._write = write
        self._buf = []
        self._chunk = chunk_lines

    def __call__(self, text):
        self._buf.append(text)
        if len(self._buf) >= self._chunk:
            self.flush()

    def flush(self):
        chunk, self._buf = self._buf, []
        if chunk:
            self._write(highlight("".join(chunk), _LEXER, _FORMATTER))

    def discard(self):
        """Forget what is buffered (the output was interrupted)."""
        self._buf = []
