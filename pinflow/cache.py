"""The lint and render caches: results remembered per input content, as ruff does.

A hook runs ``pinflow lint`` on every commit over files that mostly did not
change; an unchanged file should cost a read and a hash, not a YAML parse and
a shell analysis.

Where: ``$PINFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/pinflow``, else
``~/.cache/pinflow`` (a user folder, so template repos get no new
directory to ignore). ``pinflow lint --no-cache`` or ``PINFLOW_NO_CACHE=1``
neither reads nor writes it; deleting the folder is always safe.

Never stale: an entry's key hashes the file's bytes, its path, and the
resolved lint options (dialect, main branch, Gitea version, select/ignore:
everything a config can change), and the cache file is named by a
fingerprint of the code that computed it: pinflow's version, the size and
mtime of every module and schema of the package, the Python version and the
YAML and tree-sitter modules on disk. Editing or upgrading any of them starts
a fresh file.

One file per (fingerprint, working directory), read whole at the start and
written only when something new was computed: merged with what is on disk
now (pre-commit runs several pinflow processes at once), bounded to
MAX_ENTRIES entries (least recently used dropped), and replaced atomically
(temp file + rename). At most MAX_FILES cache files are kept (oldest
dropped). A cache that cannot be read or written is ignored: it only ever
saves time, it never changes a result.

Render: a rendered (and self-checked) workflow is kept per (fingerprint,
the merged config, the size and mtime of every template file, the jinja2 on
disk), one small file each under ``render/``, at most MAX_RENDERS of them.
Errors are never kept: a failing render fails the same way every time.
"""
from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Iterator
from typing import Any

from pinflow import __version__
from pinflow.findings import Finding

try:
    from _blake2 import blake2b  # what hashlib wraps, without hashlib's OpenSSL start-up
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

FORMAT = 1  # bump when the stored layout changes
MAX_ENTRIES = 10_000
MAX_FILES = 64
MAX_RENDERS = 256
MAX_TEMPLATE_FILES = 1_000  # a templates folder larger than this is not cached
SUFFIX = ".lintcache"
_DEPENDENCIES = ("_ruamel_yaml", "ruamel.yaml", "tree_sitter", "tree_sitter_bash")
_RENDER_DEPENDENCIES = ("jinja2", "markupsafe")


def enabled() -> bool:
    """False under PINFLOW_NO_CACHE=1 (the CLI's --no-cache is the other switch)."""
    return os.environ.get("PINFLOW_NO_CACHE", "") in ("", "0")


# (the last run that used it, the findings without their path, or another value)
Entry = tuple[int, Any]


def cache_dir() -> str:
    explicit = os.environ.get("PINFLOW_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pinflow")


def text_digest(text: str) -> str:
    """A short content hash of ``text`` (what the prebuilt files are keyed and checked by)."""
    return blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def fingerprint(package: str | None = None) -> bytes:
    """Changes whenever the code that computes findings may have changed."""
    h = blake2b(digest_size=16)
    h.update(f"{FORMAT}\0{__version__}\0{sys.version}\0{sys.implementation.cache_tag}".encode())
    package = package or os.path.dirname(os.path.abspath(__file__))
    for path in _code_files(package):
        _stamp(h, path)
    for name in _DEPENDENCIES:
        _stamp(h, _origin(name))
    return h.digest()


def _code_files(package: str) -> Iterator[str]:
    # The package (modules, and schemas under _data/ when installed) and, in a
    # source checkout, the schemas/ folder next to it.
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        yield from (os.path.join(root, f) for f in sorted(files) if f.endswith((".py", ".json")))
    schemas = os.path.join(os.path.dirname(package), "schemas")
    if os.path.isdir(schemas):
        yield from (os.path.join(schemas, f) for f in sorted(os.listdir(schemas)) if f.endswith(".json"))


def _origin(module: str) -> str:
    from importlib.util import find_spec

    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        return module
    return spec.origin if spec is not None and spec.origin else module


def _stamp(h: Any, path: str) -> None:
    try:
        st = os.stat(path)
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    except OSError:
        h.update(f"{path}\0missing\n".encode())


class LintCache:
    """One working directory's entries, read once; written by ``save``."""

    def __init__(self, path: str | None, entries: dict[bytes, Entry], run: int) -> None:
        self.path = path  # None: nowhere to write
        self.entries = entries
        self.run = run  # this run's number: entries it uses are the most recent
        self.used: set[bytes] = set()
        self.new: dict[bytes, Entry] = {}

    @classmethod
    def load(cls, cwd: str) -> LintCache:
        h = blake2b(fingerprint(), digest_size=16)
        h.update(os.fsencode(cwd))
        path = os.path.join(cache_dir(), h.hexdigest() + SUFFIX)
        run, entries = _read(path)
        return cls(path, entries, run + 1)

    def key(self, path: str, data: bytes, options: tuple[Any, ...]) -> bytes:
        h = blake2b(digest_size=16)
        h.update(f"{path}\0{options!r}\0".encode("utf-8", "surrogateescape"))
        h.update(data)
        return h.digest()

    def get(self, key: bytes, path: str) -> list[Finding] | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            found = [Finding(path, *row) for row in entry[1]]
        except TypeError:  # not what this code writes: a miss
            return None
        self.used.add(key)
        return found

    def put(self, key: bytes, findings: list[Finding]) -> None:
        self.new[key] = (self.run, tuple(tuple(f)[1:] for f in findings))

    def value_key(self, kind: str, what: str) -> bytes:
        """The key of another kind of entry (lint keeps what a config gives it)."""
        h = blake2b(digest_size=16)
        h.update(f"{kind}\0{what}".encode("utf-8", "surrogateescape"))
        return h.digest()

    def get_value(self, key: bytes) -> Any:
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.used.add(key)
        return entry[1]

    def put_value(self, key: bytes, value: Any) -> None:
        """``value``: anything marshal keeps (tuples, strings, numbers, None)."""
        self.new[key] = (self.run, value)

    def save(self) -> None:
        """Write when something new was computed; never raise."""
        if not self.new or self.path is None:
            return
        _, on_disk = _read(self.path)  # another process may have added entries meanwhile
        merged = {**on_disk, **self.entries}
        for key in self.used:
            merged[key] = (self.run, self.entries[key][1])
        merged.update(self.new)
        if len(merged) > MAX_ENTRIES:
            newest = sorted(merged.items(), key=lambda kv: kv[1][0], reverse=True)[:MAX_ENTRIES]
            merged = dict(newest)
        _write(self.path, marshal.dumps((FORMAT, self.run, merged)))


def _read(path: str) -> tuple[int, dict[bytes, Entry]]:
    try:
        with open(path, "rb") as fh:
            fmt, run, entries = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return 0, {}
    if fmt != FORMAT or not isinstance(run, int) or not isinstance(entries, dict):
        return 0, {}
    return run, entries


def _write(path: str, data: bytes) -> None:
    if _write_quietly(path, data):
        _prune(os.path.dirname(path), SUFFIX, MAX_FILES)


def _write_quietly(path: str, data: bytes) -> bool:
    """Atomic, best effort: a cache that cannot be written is simply not used."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


def _prune(folder: str, suffix: str, keep: int) -> None:
    """Keep the ``keep`` most recently written cache files of a kind."""
    try:
        files = [e for e in os.scandir(folder) if e.name.endswith(suffix)]
        if len(files) <= keep:
            return
        files.sort(key=lambda e: e.stat().st_mtime_ns, reverse=True)
        for old in files[keep:]:
            os.unlink(old.path)
    except OSError:
        pass


class RenderCache:
    """One rendered workflow, by everything that decides its text."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def for_inputs(cls, config: object, template_dirs: list[str]) -> RenderCache | None:
        """None when the inputs cannot be fingerprinted (a zipped install,
        a huge or unreadable templates folder): then render is not cached."""
        h = blake2b(fingerprint(), digest_size=16)
        h.update(f"render\0{config!r}\0".encode("utf-8", "surrogateescape"))
        for name in _RENDER_DEPENDENCIES:
            _stamp(h, _origin(name))
        seen = 0
        for folder in template_dirs:
            if not os.path.isdir(folder):
                return None
            for root, dirs, files in os.walk(folder, followlinks=True):
                dirs.sort()
                for f in sorted(files):
                    seen += 1
                    if seen > MAX_TEMPLATE_FILES:
                        return None
                    _stamp(h, os.path.join(root, f))
        return cls(os.path.join(cache_dir(), "render", h.hexdigest() + ".yml"))

    def get(self) -> str | None:
        try:
            with open(self.path, encoding="utf-8", newline="") as fh:
                return fh.read()
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, text: str) -> None:
        if _write_quietly(self.path, text.encode("utf-8")):
            _prune(os.path.dirname(self.path), ".yml", MAX_RENDERS)
