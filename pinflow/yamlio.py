"""Reading workflow files safely, composing YAML with positions, atomic writes.

This is the only module that opens workflow files for writing.
"""
from __future__ import annotations

import codecs
import functools
import os
import re
import stat
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from pinflow.errors import InputError
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from pathlib import Path

    from ruamel.yaml.nodes import Node


def atomic_write(path: str | os.PathLike[str], text: str) -> bool:
    """Write ``text`` to ``path`` via a temp file in the same folder + rename.

    Returns False (and writes nothing) when the file already holds exactly
    these bytes, so mtimes don't churn. Creates parent folders. Keeps the
    mode of an existing file. On any OSError the original is untouched and
    an InputError names the path and the reason. A symlink stays a symlink
    (its target is written); a device or pipe (``/dev/null``, ``/dev/stdout``)
    is written in place, since renaming over it would replace it with a file.
    """
    # Imported here: lint reads files and never writes them.
    from pathlib import Path

    if os.fspath(path).endswith(("/", os.sep)) and not os.path.isdir(path):
        raise InputError(f"{os.fspath(path)}: names a folder (ends with /), not a file")
    shown = Path(path)
    target = Path(os.path.realpath(path))
    data = text.encode("utf-8")
    try:
        if target.is_dir():
            raise InputError(f"{shown}: is a directory, not a file")
        if target.exists() and not target.is_file():
            with open(target, "wb") as fh:
                fh.write(data)
            return True
        try:
            if target.is_file() and target.read_bytes() == data:
                return False
        except OSError:
            pass  # unreadable: try the write, which reports the real reason
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    return _replace(target, shown, data)


def _replace(target: Path, shown: Path, data: bytes) -> bool:
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _default_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pinflow-tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise InputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    return True


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---------------------------------------------------------------------------
# Reading and composing.
#
# Limits keep hostile files from hanging or exhausting memory: the C composer
# segfaults on ~100k nested flow collections and goes quadratic well before,
# so nesting is bounded *before* composing; aliases are never expanded, and
# the size an expansion would have is computed on the DAG and capped.
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 200
MAX_EXPANDED_NODES = 200_000


class YamlProblem(Exception):
    """The text is not a usable YAML document; carries a 1-based position."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Source(NamedTuple):
    path: str  # as given by the user ("-" shown as "<stdin>")
    data: bytes


def read_source(path: str) -> Source:
    """Read a workflow file, refusing what is not a regular, readable file."""
    if path == "-":
        return Source("<stdin>", _read_limited(sys.stdin.buffer))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        kind = "dangling symlink" if os.path.islink(path) else "no such file"
        raise InputError(f"{path}: {kind}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device would block or never end: refuse before open().
        raise InputError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            return Source(path, _read_limited(fh))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _read_limited(fh: BinaryIO) -> bytes:
    # Read one byte past the cap so "too large" is told apart from "exactly the cap".
    return fh.read(MAX_BYTES + 1)


def decode(data: bytes) -> str:
    """Bytes to text as YAML 1.2 allows (UTF-8, or UTF-16/32 with a BOM)."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(f"file larger than the {MAX_BYTES // (1024 * 1024)} MiB limit")
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            break
    else:
        codec = "utf-8"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line, col = _offset_position(data, exc.start)
        raise YamlProblem(f"not valid {codec.split('-sig')[0].upper()}: byte 0x{data[exc.start]:02x}", line, col) from None
    nul = text.find("\0")
    if nul >= 0:
        line, col = _offset_position(text, nul)
        raise YamlProblem("NUL character in file (binary file?)", line, col)
    return text


def _offset_position(buf: bytes | str, offset: int) -> tuple[int, int]:
    nl = b"\n" if isinstance(buf, bytes) else "\n"
    line = buf.count(nl, 0, offset) + 1  # type: ignore[arg-type]
    start = buf.rfind(nl, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - start + 1


def compose(text: str, fast: bool = True) -> Node | None:
    """Compose one YAML document into nodes with marks; None for an empty one.

    Aliases stay shared references to the anchored node (never copies).
    ``fast=False`` always builds ruamel's own nodes (for ruamel's constructor).
    """
    _check_depth(text)
    from pinflow import fastyaml  # (here: a cache hit never composes)

    # Most workflows are plain block YAML, which fastyaml composes to the same
    # nodes ruamel would, without ruamel's ~20 ms import; it declines the rest.
    quick = fastyaml.compose(text) if fast else None
    if quick is not None:
        return quick  # type: ignore[return-value]  # (it declines aliases: nothing to expand)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _resolver_class()
    try:
        try:
            node: Node | None = yaml.compose(text)
        except MarkedYAMLError as exc:
            if "duplicate anchor" not in str(exc):
                raise
            node = _compose_pure(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise YamlProblem(_explain(_yaml_message(exc), text, mark), line, col) from None
    except YAMLError as exc:
        # A ReaderError (a control character) has no mark, only an index.
        position = getattr(exc, "position", None)
        line, col = _offset_position(text, position) if isinstance(position, int) else (1, 1)
        raise YamlProblem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, line, col) from None
    except RecursionError:
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels") from None
    if node is not None:
        _check_expansion(node)
    return node


@functools.lru_cache(maxsize=1)
def _resolver_class() -> type:
    """ruamel's resolver, minus a cost: it works out the YAML version again for
    every node (raising and catching two AttributeErrors each time), ~40% of
    composing a workflow. Under the C parser that answer cannot change during
    one compose (it reads the loader's own settings, never the document), so
    each loader keeps the first one."""
    from ruamel.yaml.resolver import VersionedResolver

    tags: dict[tuple[Any, ...], Any] = {}

    class _Resolver(VersionedResolver):
        @property
        def versioned_resolver(self) -> Any:
            try:
                return self._pinflow_resolvers
            except AttributeError:
                self._pinflow_resolvers = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
                return self._pinflow_resolvers

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            # With no path resolvers (pinflow adds none), a tag depends on these
            # and the loader's YAML version only; workflows repeat their scalars
            # (`ubuntu-latest`, `true`, step keys) file after file. Tags are
            # never changed in place, so nodes may share one.
            key = (self._loader_version, kind, value, implicit)
            try:
                return tags[key]
            except KeyError:
                if len(tags) >= 50_000:
                    tags.clear()
                found = tags[key] = VersionedResolver.resolve(self, kind, value, implicit)
                return found
            except TypeError:  # an unhashable argument: ask ruamel
                return VersionedResolver.resolve(self, kind, value, implicit)

    return _Resolver


def _compose_pure(text: str) -> Node | None:
    """YAML 1.2 lets an anchor be defined again (later uses see the new one);
    the C composer refuses that, the pure one only warns: use it for this case."""
    import warnings

    from ruamel.yaml import YAML

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return YAML(typ="safe", pure=True).compose(text)  # type: ignore[no-any-return]


def _explain(message: str, text: str, mark: object) -> str:
    """Name the usual culprit when the parser's wording hides it."""
    index = getattr(mark, "index", None)
    if isinstance(index, int) and 0 <= index < len(text) and text[index] == "\t":
        return "tab character: YAML indentation must use spaces"
    return message


def _yaml_message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None) or ""
    context = getattr(exc, "context", None) or ""
    msg = " ".join(p for p in (context, problem) if p).strip()
    return msg or str(exc).splitlines()[0]


def _check_depth(text: str) -> None:
    """Refuse nesting the composer cannot take, cheaply in the common case."""
    flow = text.count("[") + text.count("{")
    if flow <= MAX_DEPTH and _DEEP_PREFIX.search(text) is None:
        return
    # Something could be deep: count real nesting from parser events, stopping
    # as soon as the limit is crossed (events are streamed, never a tree).
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    depth = 0
    try:
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return  # compose() reports the syntax error with its position


# A line whose indentation (spaces, tabs, "- ") runs past MAX_DEPTH characters.
_DEEP_PREFIX = re.compile(r"^[ \t-]{%d}" % (MAX_DEPTH + 1), re.M)


def _check_expansion(root: Node) -> None:
    """Refuse documents whose aliases would expand past MAX_EXPANDED_NODES."""
    if not _has_alias(root):
        return
    size: dict[int, int] = {}
    order = _postorder(root)
    for node in order:
        total = 1
        for child in _children(node):
            if id(child) not in size:
                # Postorder puts children first, so a child not sized yet is an
                # ancestor: the alias points into its own anchor (a cycle).
                raise YamlProblem("recursive alias: an anchor contains an alias to itself",
                                  child.start_mark.line + 1, child.start_mark.column + 1)
            total += size[id(child)]
            if total > MAX_EXPANDED_NODES:
                raise YamlProblem(
                    f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)",
                    node.start_mark.line + 1, node.start_mark.column + 1)
        size[id(node)] = total


def _has_alias(root: Node) -> bool:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True  # reached twice: some alias points here
        seen.add(id(node))
        stack.extend(_children(node))
    return False


def _children(node: Node) -> list[Node]:
    # `id` is each node class's kind ("scalar", "sequence", "mapping"): a string
    # compare, where isinstance would need an import on every call.
    kind = node.id
    if kind == "mapping":
        return [n for pair in node.value for n in pair]
    if kind == "sequence":
        return list(node.value)
    return []


def _postorder(root: Node, collections_only: bool = False) -> list[Node]:
    """Each distinct node once, children before parents (iterative: no recursion).

    ``collections_only`` leaves out scalars (most nodes): the order of the
    rest is the same, as scalars are leaves."""
    out: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            out.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node)
                     if id(child) not in seen and not (collections_only and child.id == "scalar"))
    return out


def duplicate_keys(root: Node) -> list[tuple[str, Node, Node]]:
    """(key, first key node, repeated key node) for every repeated mapping key."""
    found: list[tuple[str, Node, Node]] = []
    for node in _postorder(root, collections_only=True):
        if node.id != "mapping":
            continue
        first: dict[str, Node] = {}
        for key, _ in node.value:
            if key.id != "scalar":
                continue
            if key.value in first:
                found.append((key.value, first[key.value], key))
            else:
                first[key.value] = key
    return found
