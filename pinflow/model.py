"""The typed view of a workflow that every rule reads.

Built once per file from composed YAML nodes (positions kept, aliases never
expanded). Lenient by design: a value of the wrong type is simply absent here
(the structure rule PF002 reports it), so rules never crash on odd input.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

_STR = "tag:yaml.org,2002:str"


class Pos(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based


def pos(node: Node | None) -> Pos:
    if node is None:
        return Pos(1, 1)
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def is_map(node: Node | None) -> bool:
    return node is not None and node.id == "mapping"


def is_seq(node: Node | None) -> bool:
    return node is not None and node.id == "sequence"


def is_scalar(node: Node | None) -> bool:
    return node is not None and node.id == "scalar"


def items(node: Node | None) -> Iterator[tuple[str, Node, Node]]:
    """(key text, key node, value node) of a mapping; non-scalar keys skipped."""
    if not is_map(node):
        return
    for key, value in node.value:  # type: ignore[union-attr]
        if is_scalar(key):
            yield str(key.value), key, value


def get(node: Node | None, key: str) -> Node | None:
    # items() inlined: building a workflow asks this a thousand times per file.
    if node is None or node.id != "mapping":
        return None
    for k, value in node.value:
        if k.id == "scalar" and str(k.value) == key:
            return value
    return None


def get_key(node: Node | None, key: str) -> Node | None:
    for k, knode, _ in items(node):
        if k == key:
            return knode
    return None


def text(node: Node | None) -> str | None:
    """A scalar's text (numbers and booleans as written), else None."""
    if is_scalar(node) and node.tag != "tag:yaml.org,2002:null":  # type: ignore[union-attr]
        return str(node.value)  # type: ignore[union-attr]
    return None


def truthy(node: Node | None) -> bool | None:
    """YAML boolean value; None when absent or an expression/other."""
    value = text(node)
    if value is None:
        return None
    low = value.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return None


def may_be_true(node: Node | None) -> bool:
    """A flag such as `continue-on-error` that is true or an expression (which may be)."""
    value = text(node)
    return value is not None and value.strip().lower() != "false"


class Step(NamedTuple):
    index: int
    node: Node
    id: str | None
    name: str | None
    uses: str | None
    with_: dict[str, Node]
    run: str | None
    shell: str | None
    if_: str | None
    env: dict[str, Node]
    continue_on_error: Node | None

    @property
    def pos(self) -> Pos:
        return pos(self.node)

    def field(self, key: str) -> Node | None:
        return get(self.node, key)

    def label(self) -> str:
        if self.id:
            return f"step '{self.id}'"
        if self.name:
            return f"step '{self.name}'"
        return f"step #{self.index + 1}"


class Job(NamedTuple):
    id: str
    key_node: Node
    node: Node
    needs: tuple[str, ...]
    if_: str | None
    outputs: dict[str, Node]
    steps: tuple[Step, ...]
    uses: str | None
    default_shell: str | None
    continue_on_error: Node | None
    env: dict[str, Node]

    @property
    def pos(self) -> Pos:
        return pos(self.key_node)

    def field(self, key: str) -> Node | None:
        return get(self.node, key)


class Workflow(NamedTuple):
    path: str
    text: str
    root: Node
    dialect: str  # "gitea" | "github"
    jobs: dict[str, Job]
    default_shell: str | None
    env: dict[str, Node]

    def field(self, key: str) -> Node | None:
        return get(self.root, key)

    def lines(self) -> list[str]:
        return self.text.splitlines()


def build(path: str, text: str, root: Node, dialect: str) -> Workflow:
    jobs = {}
    wf_shell = _default_shell(root)
    for job_id, key, node in items(get(root, "jobs")):
        if is_map(node):
            jobs[job_id] = _job(job_id, key, node, wf_shell)
    return Workflow(path, text, root, dialect, jobs, wf_shell, _str_map(get(root, "env")))


def _job(job_id: str, key: Node, node: Node, wf_shell: str | None) -> Job:
    steps_node = get(node, "steps")
    steps = tuple(
        _step(i, s) for i, s in enumerate(steps_node.value if is_seq(steps_node) else []) if is_map(s)  # type: ignore[union-attr]
    )
    return Job(
        id=job_id,
        key_node=key,
        node=node,
        needs=_needs(get(node, "needs")),
        if_=text(get(node, "if")),
        outputs=_str_map(get(node, "outputs")),
        steps=steps,
        uses=text(get(node, "uses")),
        default_shell=_default_shell(node) or wf_shell,
        continue_on_error=get(node, "continue-on-error"),
        env=_str_map(get(node, "env")),
    )


def _step(index: int, node: Node) -> Step:
    return Step(
        index=index,
        node=node,
        id=text(get(node, "id")),
        name=text(get(node, "name")),
        uses=text(get(node, "uses")),
        with_=_str_map(get(node, "with")),
        run=text(get(node, "run")),
        shell=text(get(node, "shell")),
        if_=text(get(node, "if")),
        env=_str_map(get(node, "env")),
        continue_on_error=get(node, "continue-on-error"),
    )


def _needs(node: Node | None) -> tuple[str, ...]:
    single = text(node)
    if single is not None:
        return (single,)
    if is_seq(node):
        return tuple(v for v in (text(n) for n in node.value) if v is not None)  # type: ignore[union-attr]
    return ()


def _str_map(node: Node | None) -> dict[str, Node]:
    return {k: v for k, _, v in items(node)}


def _default_shell(node: Node) -> str | None:
    return text(get(get(get(node, "defaults"), "run"), "shell"))


# ---------------------------------------------------------------------------
# Positions inside scalar values (for findings in `run:` scripts and `${{ }}`).

def scalar_position(node: Node, lines: list[str], line_in_value: int, col_in_value: int) -> Pos:
    """Map a (0-based) line/column inside a scalar's value to the file position.

    Exact for literal block scalars (`|`) and single-line scalars; a folded
    block (`>`) maps to its first content line, other multi-line flow scalars
    to the scalar's start.
    """
    start = pos(node)
    style = getattr(node, "style", None)
    if style == "|":
        file_line = start.line + 1 + line_in_value  # content starts below the indicator
        indent = _block_indent(lines, start.line)
        return Pos(file_line, indent + col_in_value + 1)
    if style == ">":
        # Folding joins lines, so value lines are not file lines: point at the
        # block's first content line rather than at a wrong one.
        return Pos(start.line + 1, _block_indent(lines, start.line) + 1)
    if line_in_value == 0:
        quote = 1 if style in ('"', "'") else 0
        return Pos(start.line, start.column + quote + col_in_value)
    return start


def _block_indent(lines: list[str], header_line: int) -> int:
    # The first non-blank content line fixes the block's indentation.
    for raw in lines[header_line:]:
        if raw.strip():
            return len(raw) - len(raw.lstrip(" "))
    return 0


def offset_to_line_col(value: str, offset: int) -> tuple[int, int]:
    line = value.count("\n", 0, offset)
    start = value.rfind("\n", 0, offset) + 1
    return line, offset - start
