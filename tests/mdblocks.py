"""Read the parts of a markdown page the docs tests care about (shared by tests).

A page is read line by line with CommonMark's rules for fenced code blocks
(``` or ~~~ openers of three or more, a closer of the same character at least
as long, with no info string, indented at most three spaces more than the
opener's container). Outside fences it finds the docs-test directives, the
generated regions and the headings; links come from the text outside fences
and code spans. See the convention in docs/architecture.md ("Docs that
cannot lie").
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

DIRECTIVE = "<!-- docs-test:"


class Block(NamedTuple):
    page: str
    line: int  # 1-based line of the first content line
    info: str  # the info string's first word ("sh", "toml", "" ...)
    text: str
    region: str | None  # the generated region it sits in, if any
    section: str  # the heading it sits under ("" before the first)
    directives: tuple[str, ...]  # docs-test directives since the previous block (e.g. "skip (…)", "write x.toml")

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


class Page(NamedTuple):
    name: str
    blocks: tuple[Block, ...]
    events: tuple[tuple[str, object], ...]  # in order: ("directive", text) and ("block", Block)
    headings: tuple[str, ...]
    prose: str  # the text outside fences, code spans blanked


def read_page(path: Path, name: str) -> Page:
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    events: list[tuple[str, object]] = []
    headings: list[str] = []
    prose: list[str] = []
    pending: list[str] = []
    region: str | None = None
    fence = ""
    fence_indent = 0
    info, start, body = "", 0, []  # type: ignore[var-annotated]
    for n, line in enumerate(lines, 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if fence:
            closer = stripped.rstrip()
            if indent - fence_indent <= 3 and closer.startswith(fence) and not closer.strip(fence[0]):
                block = Block(name, start, info, "".join(b + "\n" for b in body), region, headings[-1] if headings else "", tuple(pending))
                blocks.append(block)
                events.append(("block", block))
                pending, fence = [], ""
            else:
                body.append(line[min(indent, fence_indent):] if indent >= fence_indent else stripped)
            continue
        char = stripped[:1]
        if char in ("`", "~") and stripped.startswith(char * 3):
            fence = char * (len(stripped) - len(stripped.lstrip(char)))
            fence_indent = indent
            info, start, body = stripped[len(fence):].strip().split(" ")[0], n + 1, []
            continue
        text = stripped.rstrip()
        if text.startswith(DIRECTIVE) and text.endswith("-->"):
            directive = text[len(DIRECTIVE):-3].strip()
            pending.append(directive)
            events.append(("directive", directive))
        elif text.startswith("<!-- ") and ":start" in text.split(" ")[1]:
            region = text.split(" ")[1].split(":start")[0]
        elif text.startswith("<!-- ") and text.endswith(":end -->"):
            region = None
        if text.startswith("#"):
            headings.append(text.lstrip("#").strip())
        prose.append(_blank_code_spans(line))
    assert not fence, f"{name}: unclosed code fence"
    return Page(name, tuple(blocks), tuple(events), tuple(headings), "\n".join(prose))


def _blank_code_spans(line: str) -> str:
    """The line with every `code span` replaced by spaces (a backtick run closes a span of the same length)."""
    out, i = [], 0
    while i < len(line):
        if line[i] != "`":
            out.append(line[i])
            i += 1
            continue
        run = len(line[i:]) - len(line[i:].lstrip("`"))
        close = line.find("`" * run, i + run)
        while close != -1 and line[close + run:close + run + 1] == "`":
            close = line.find("`" * run, close + run + 1)
        if close == -1:
            out.append(line[i:i + run])
            i += run
            continue
        out.append(" " * (close + run - i))
        i = close + run
    return "".join(out)


def links(prose: str) -> list[str]:
    """The targets of inline links `[text](target)` in text without code."""
    found = []
    i = prose.find("](")
    while i != -1:
        end = prose.find(")", i + 2)
        if end == -1:
            break
        target = prose[i + 2:end].strip()
        if target and " " not in target:
            found.append(target)
        i = prose.find("](", end)
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" if ch == " " else "" for ch in text)
