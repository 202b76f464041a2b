"""A composer for the plain block YAML that workflows are written in.

Why it exists: ruamel's C composer composes a 12 KB workflow in about a
millisecond, but importing it costs ~20 ms (the extension imports nearly all
of ruamel.yaml), more than everything else `pinflow lint` does on one file.
This module composes the subset nearly every workflow stays inside into nodes
with the same kind, tag, value and marks (line, column, index) as ruamel's
(libyaml's) nodes, and gives up on anything else by returning None, so that
yamlio falls back to ruamel: anchors, aliases, tags, explicit keys, multi-line
plain, quoted or flow scalars, tabs, CR line breaks, directives, several
documents, and every syntax error (ruamel words those). Giving up is always
safe; composing differently from ruamel never is, so a differential test holds
the two to identical trees over generated documents.

Marks follow libyaml's scanner: a block collection ends where the next token
starts (after blank and comment lines), a block scalar ends at column 0 of the
first line that is not blank after its content, an empty value sits right
after its `:` or `-`, and the stream ends at column 0 below the last line.
"""
from __future__ import annotations

import re

_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class Mark:
    __slots__ = ("line", "column", "index")

    def __init__(self, line: int, column: int, index: int) -> None:
        self.line = line  # 0-based, as ruamel's
        self.column = column
        self.index = index

    def __repr__(self) -> str:
        return f"Mark(line={self.line}, column={self.column}, index={self.index})"


class Node:
    """The attributes pinflow reads from ruamel's nodes, nothing more."""

    __slots__ = ("tag", "value", "start_mark", "end_mark", "style", "flow_style")
    id = "node"
    anchor = None
    comment = None

    def __init__(self, tag: str, value: object, start: Mark, end: Mark, style: str | None = None,
                 flow_style: bool | None = None) -> None:
        self.tag = tag
        self.value = value
        self.start_mark = start
        self.end_mark = end
        self.style = style
        self.flow_style = flow_style

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tag={self.tag!r}, value={self.value!r})"


class ScalarNode(Node):
    __slots__ = ()
    id = "scalar"


class SequenceNode(Node):
    __slots__ = ()
    id = "sequence"


class MappingNode(Node):
    __slots__ = ()
    id = "mapping"


class _Unsupported(Exception):
    """Outside the subset: let ruamel compose (or word the error)."""


def compose(text: str) -> Node | None:
    """The document's root mapping, or None when ruamel must compose ``text``."""
    outside = _OUTSIDE_ASCII if text.isascii() else re.compile(_OUTSIDE_SOURCE)
    if outside.search(text) is not None:
        return None
    try:
        return _Composer(text).document()
    except (_Unsupported, RecursionError):
        return None


# Characters the subset never handles: tabs and CR (indentation and line
# break rules of their own), a BOM, and what YAML does not allow at all.
# (Named one by one: a class of the allowed ranges costs 6 ms to compile;
# the non-ASCII part is compiled only for a text that has such characters.)
_OUTSIDE_ASCII = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
# (NEL and the Unicode line and paragraph separators are line breaks to libyaml.)
_OUTSIDE_SOURCE = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"

# Where a plain scalar or key ends on its line: ": " or ":" at the end (a key),
# " #" (a comment), or the end of the line.
_PLAIN_END = re.compile(r"(?::(?= |$)| #|$)")
# First characters that make a node something other than a plain scalar.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# A plain scalar inside [...]: libyaml also ends one at "?" there.
_FLOW_PLAIN = re.compile(r"[^\s,\[\]{}#:'\"&*!|>%@`?\-][^,\[\]{}:#?]*")
_BLOCK_HEADER = re.compile(r"([|>])(?:([+-])([1-9])?|([1-9])([+-])?)?( +#.*| *)$")
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def resolve(value: str) -> str:
    """The tag YAML 1.2 (as ruamel reads it) gives a plain scalar."""
    if not value:
        return _NULL
    first = value[0]
    if first in _FIRST_NONE:
        return _STR
    if value.isdigit() and value.isascii():
        return _INT  # (what the resolvers say, without compiling the float one first)
    for tag, firsts, source in _RESOLVERS:
        if first in firsts:
            pattern = _COMPILED.get(source) or _COMPILED.setdefault(source, re.compile(source))
            if pattern.fullmatch(value) is not None:
                return tag
    return _STR


_INT = "tag:yaml.org,2002:int"
# (tag, first characters it can start with, pattern), in ruamel's order;
# compiled on first use: most workflows never need the float or timestamp one.
_RESOLVERS: tuple[tuple[str, str, str], ...] = (
    ("tag:yaml.org,2002:bool", "tTfF", r"true|True|TRUE|false|False|FALSE"),
    ("tag:yaml.org,2002:float", "-+0123456789.",
     r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
     r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)"
     r"|\.(?:nan|NaN|NAN)"),
    (_INT, "-+0123456789", r"[-+]?0b[01_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+"),
    ("tag:yaml.org,2002:merge", "<", r"<<"),
    (_NULL, "~nN", r"~|null|Null|NULL"),
    ("tag:yaml.org,2002:timestamp", "0123456789",
     r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
     r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
     r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?"),
    ("tag:yaml.org,2002:value", "=", r"="),
)
_COMPILED: dict[str, re.Pattern[str]] = {}
# No resolver starts with these: most keys and values take the short way.
_FIRST_NONE = frozenset("abcdeghijklmopqrsuvwxyzABCDEGHIJKLMOPQRSUVWXYZ_/$")


class _Composer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        if text.endswith("\n"):
            self.lines.pop()  # the empty "line" after the last break
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1
        # Per line: its indentation, or -1 for a blank or comment-only line.
        self.indents = [_indent_of(line) for line in self.lines]
        # "---" or "..." at column 0 is a document marker: only a "---" before
        # the content is in the subset (any other means several documents or an error).
        first = self.next_content(0)
        for i, line in enumerate(self.lines):
            if line[:3] in ("---", "...") and line[3:4] in ("", " ") and not (i == first and line[0] == "-"):
                raise _Unsupported
        # Below the last line, column 0 (libyaml's stream end), at the end of the text.
        self.eof = Mark(len(self.lines), 0, len(text))
        self.final_break = text.endswith("\n") or not text
        # Where the text ends, before the stream end moves to a new line.
        self.end_of_text = self.eof if self.final_break else Mark(len(self.lines) - 1, len(self.lines[-1]), len(text))

    # -- positions -------------------------------------------------------
    def mark(self, line: int, column: int) -> Mark:
        return Mark(line, column, self.starts[line] + column)

    def next_content(self, line: int) -> int:
        indents = self.indents
        while line < len(indents) and indents[line] < 0:
            line += 1
        return line

    def token_mark(self, line: int, indent: int) -> Mark:
        """Where the next token starts: a block collection at ``indent`` ends there.

        At the end of a text with no final line break, libyaml first closes the
        collections deeper than where the last line ends, there, and only then
        the rest, at the stream's end below it."""
        if line < len(self.lines):
            return self.mark(line, self.indents[line])
        if not self.final_break and indent > len(self.lines[-1]):
            return self.end_of_text
        return self.eof

    # -- document ----------------------------------------------------------
    def document(self) -> Node:
        line = self.next_content(0)
        if line < len(self.lines) and self.lines[line].startswith("---"):
            rest = self.lines[line][3:]
            if rest and not (rest[0] == " " and (not rest.strip(" ") or rest.lstrip(" ")[0] == "#")):
                raise _Unsupported  # "--- value" or not a marker at all
            line = self.next_content(line + 1)
        if line >= len(self.lines) or self.indents[line] != 0:
            raise _Unsupported  # empty, a scalar, or indented root: rare
        node, line = self.mapping(line, 0, 0, self.key(line, 0))
        if line < len(self.lines):
            raise _Unsupported  # "...", another document, or an error
        return node

    # -- block collections -------------------------------------------------
    def mapping(self, line: int, indent: int, column: int, first: tuple[Node | None, int]) -> tuple[Node, int]:
        """A block mapping whose first key (already read) is at (line, column), later keys at ``indent``."""
        start = self.mark(line, column)
        pairs: list[tuple[Node, Node]] = []
        key, after = first
        while True:
            if key is None:
                raise _Unsupported
            value, line = self.value(line, after, indent, in_mapping=True)
            pairs.append((key, value))
            line = self.next_content(line)
            if line >= len(self.lines) or self.indents[line] < indent:
                break
            if self.indents[line] > indent:
                raise _Unsupported
            key, after = self.key(line, indent)
        return MappingNode(_MAP, pairs, start, self.token_mark(line, indent)), line

    def sequence(self, line: int, indent: int) -> tuple[Node, int]:
        start = self.mark(line, indent)
        items: list[Node] = []
        lines = self.lines
        while line < len(lines) and self.indents[line] == indent and _is_entry(lines[line], indent):
            item, line = self.entry(line, indent)
            items.append(item)
            line = self.next_content(line)
            if line < len(lines) and self.indents[line] > indent:
                raise _Unsupported
        return SequenceNode(_SEQ, items, start, self.token_mark(line, indent), flow_style=False), line

    def entry(self, line: int, indent: int) -> tuple[Node, int]:
        text = self.lines[line]
        column = _skip_spaces(text, indent + 1)
        if column >= len(text) or text[column] == "#":
            return self.nested(line + 1, indent, self.mark(line, indent + 1), in_mapping=False)
        if text.startswith("- ", column) or text[column:] == "-":
            raise _Unsupported  # "- - a": a compact nested sequence
        first = self.key(line, column)
        if first[0] is not None:
            return self.mapping(line, column, column, first)
        return self.inline(line, column, indent)

    # -- keys and values ---------------------------------------------------
    def key(self, line: int, column: int) -> tuple[Node | None, int]:
        """The key at (line, column) and the column after its ':', or (None, 0)."""
        text = self.lines[line]
        first = text[column]
        if first in "'\"":
            node, end = self.quoted(line, column)
            colon = _skip_spaces(text, end)
            if colon - column > 1024:
                raise _Unsupported
            if text.startswith(":", colon) and (colon + 1 == len(text) or text[colon + 1] == " "):
                return node, colon + 1
            return None, 0
        if first in _INDICATORS and not _dash_plain(text, column):
            return None, 0
        found = _PLAIN_END.search(text, column + 1)
        if found is None or found.group() != ":":
            return None, 0
        if found.start() - column > 1024:
            raise _Unsupported  # libyaml's limit on a simple key (up to its ':')
        end = len(text[column:found.start()].rstrip(" ")) + column
        return self.plain(line, column, end), found.end()

    def value(self, line: int, column: int, indent: int, in_mapping: bool) -> tuple[Node, int]:
        """The value after a key's ':' at (line, column); returns the line after it."""
        text = self.lines[line]
        start = _skip_spaces(text, column)
        if start >= len(text) or text[start] == "#":
            return self.nested(line + 1, indent, self.mark(line, column), in_mapping)
        return self.inline(line, start, indent)

    def nested(self, line: int, indent: int, empty_at: Mark, in_mapping: bool) -> tuple[Node, int]:
        """The node on the lines below a bare `key:` or `-`, or an empty scalar."""
        line = self.next_content(line)
        if line < len(self.lines):
            below = self.indents[line]
            text = self.lines[line]
            if below > indent or (below == indent and in_mapping and _is_entry(text, below)):
                if _is_entry(text, below):
                    return self.sequence(line, below)
                first = self.key(line, below)
                if first[0] is not None:
                    return self.mapping(line, below, below, first)
                raise _Unsupported  # a scalar on its own line
        return ScalarNode(_NULL, "", empty_at, empty_at, style=""), line

    def inline(self, line: int, column: int, indent: int) -> tuple[Node, int]:
        """A node that starts on this line after `key: ` or `- `."""
        text = self.lines[line]
        first = text[column]
        if first in "|>":
            return self.block_scalar(line, column, indent)
        if first in "'\"":
            node, end = self.quoted(line, column)
        elif first == "[":
            node, end = self.flow_sequence(line, column)
        elif first == "{":
            if not text.startswith("{}", column):
                raise _Unsupported
            end = column + 2
            node = MappingNode(_MAP, [], self.mark(line, column), self.mark(line, end), flow_style=True)
        elif first in _INDICATORS and not _dash_plain(text, column):
            raise _Unsupported
        else:
            found = _PLAIN_END.search(text, column + 1)
            if found is None or found.group() == ":":
                raise _Unsupported  # a mapping on the line of a key: an error
            end = len(text[column:found.start()].rstrip(" ")) + column
            node = self.plain(line, column, end)
        _expect_line_end(text, end)
        following = self.next_content(line + 1)
        if following < len(self.lines) and self.indents[following] > indent:
            raise _Unsupported  # a multi-line plain scalar, or an error
        return node, line + 1

    # -- scalars -------------------------------------------------------------
    def plain(self, line: int, start: int, end: int) -> Node:
        value = self.lines[line][start:end]
        return ScalarNode(resolve(value), value, self.mark(line, start), self.mark(line, end), style="")

    def quoted(self, line: int, column: int) -> tuple[Node, int]:
        text = self.lines[line]
        quote = text[column]
        if quote == "'":
            end = column + 1
            while True:
                end = text.find("'", end)
                if end < 0:
                    raise _Unsupported  # continues on the next line
                if text.startswith("''", end):
                    end += 2
                    continue
                break
            value = text[column + 1:end].replace("''", "'")
        else:
            value, end = _double_quoted(text, column + 1)
        end += 1
        node = ScalarNode(_STR, value, self.mark(line, column), self.mark(line, end), style=quote)
        return node, end

    def flow_sequence(self, line: int, column: int) -> tuple[Node, int]:
        text = self.lines[line]
        items: list[Node] = []
        pos = _skip_spaces(text, column + 1)
        while not text.startswith("]", pos):
            if pos >= len(text):
                raise _Unsupported  # continues on the next line
            if text[pos] in "'\"":
                item, pos = self.quoted(line, pos)
            else:
                found = _FLOW_PLAIN.match(text, pos)
                if found is None:
                    raise _Unsupported
                end = pos + len(found.group().rstrip(" "))
                item, pos = self.plain(line, pos, end), end
            items.append(item)
            pos = _skip_spaces(text, pos)
            if text.startswith(",", pos):
                pos = _skip_spaces(text, pos + 1)
                if text.startswith("]", pos):
                    raise _Unsupported  # a trailing comma
            elif not text.startswith("]", pos):
                raise _Unsupported
        end = pos + 1
        return SequenceNode(_SEQ, items, self.mark(line, column), self.mark(line, end), flow_style=True), end

    def block_scalar(self, line: int, column: int, indent: int) -> tuple[Node, int]:
        """A literal or folded scalar, read as libyaml's scanner reads it."""
        header = _BLOCK_HEADER.match(self.lines[line], column)
        if header is None:
            raise _Unsupported
        style, chomp_a, digit_a, digit_b, chomp_b = header.group(1, 2, 3, 4, 5)
        chomping = chomp_a or chomp_b or ""
        increment = int(digit_a or digit_b or 0)
        width = indent + increment if increment else 0
        breaks, deepest, row, col, end = self.scalar_breaks(line + 1, width)
        if not width:
            width = max(deepest, indent + 1, 1)
        lines, count = self.lines, len(self.lines)
        out: list[str] = []
        leading_break = ""
        leading_blank = False
        while row < count and col == width < len(lines[row]):
            body = lines[row][width:]
            trailing_blank = body[0] == " "
            if style == ">" and leading_break and not leading_blank and not trailing_blank:
                if not breaks:
                    out.append(" ")
            else:
                out.append(leading_break)
            out.append(breaks)
            leading_blank = trailing_blank
            out.append(body)
            if row == count - 1 and not self.final_break:
                leading_break = breaks = ""  # no line break after the last line
                end = self.end_of_text
                row += 1
                break
            leading_break = "\n"
            breaks, _, row, col, end = self.scalar_breaks(row + 1, width)
        if chomping != "-":
            out.append(leading_break)
        if chomping == "+":
            out.append(breaks)
        node = ScalarNode(_STR, "".join(out), self.mark(line, column), end, style=style)
        following = self.next_content(row)
        if following < count and self.indents[following] > indent:
            raise _Unsupported
        return node, row

    def scalar_breaks(self, row: int, width: int) -> tuple[str, int, int, int, Mark]:
        """From the start of ``row``: the blank lines before a block scalar's next
        content line, as libyaml eats them. Returns the breaks, the deepest
        indentation seen (which sets an unknown width), the row and column where
        eating stopped, and the mark after the last break eaten."""
        lines, count = self.lines, len(self.lines)
        breaks: list[str] = []
        deepest = 0
        end = self.line_start(row)
        while row < count:
            text = lines[row]
            col = len(text) - len(text.lstrip(" "))
            if width and col > width:
                col = width
            deepest = max(deepest, col)
            if col < len(text) or (row == count - 1 and not self.final_break):
                return "".join(breaks), deepest, row, col, end
            breaks.append("\n")
            row += 1
            end = self.line_start(row)
        return "".join(breaks), deepest, row, 0, end

    def line_start(self, row: int) -> Mark:
        return self.mark(row, 0) if row < len(self.lines) else self.end_of_text


def _double_quoted(text: str, pos: int) -> tuple[str, int]:
    """The value of a one-line double-quoted scalar from ``pos`` and where its quote closes."""
    out: list[str] = []
    while True:
        close = text.find('"', pos)
        slash = text.find("\\", pos)
        if close < 0:
            raise _Unsupported  # continues on the next line
        if slash < 0 or close < slash:
            out.append(text[pos:close])
            return "".join(out), close
        out.append(text[pos:slash])
        code = text[slash + 1:slash + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            pos = slash + 2
        elif code in _HEX_ESCAPES:
            size = _HEX_ESCAPES[code]
            digits = text[slash + 2:slash + 2 + size]
            if len(digits) != size or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise _Unsupported
            point = int(digits, 16)
            if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                raise _Unsupported
            out.append(chr(point))
            pos = slash + 2 + size
        else:
            raise _Unsupported  # a line continuation or an invalid escape


def _indent_of(line: str) -> int:
    stripped = line.lstrip(" ")
    if not stripped or stripped[0] == "#":
        return -1
    return len(line) - len(stripped)


def _is_entry(text: str, indent: int) -> bool:
    return text.startswith("-", indent) and text[indent + 1:indent + 2] in ("", " ")


def _dash_plain(text: str, column: int) -> bool:
    """A plain scalar may start with "-" not followed by a space ("-v")."""
    return text[column] == "-" and text[column + 1:column + 2] not in ("", " ")


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    return pos


def _expect_line_end(text: str, pos: int) -> None:
    rest = text[pos:]
    if rest.strip(" ") and not (rest[:1] == " " and rest.lstrip(" ").startswith("#")):
        raise _Unsupported
