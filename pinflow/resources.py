"""Access to the shipped ``templates/`` and ``schemas/`` folders.

In a wheel they live at ``pinflow/_data/`` (hatchling force-include); in a
source checkout (editable install, tests) they are the top-level folders.
"""
from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Traversable


def folder_on_disk(name: str) -> str | None:
    """``templates``/``schemas`` as a folder path, or None (a zipped install)."""
    # Plain os.path checks: importlib.resources and pathlib cost milliseconds
    # per process (more than linting a file), and both a wheel install and a
    # checkout are on disk.
    here = os.path.dirname(os.path.realpath(__file__))
    for folder in (os.path.join(here, "_data", name), os.path.join(os.path.dirname(here), name)):
        if os.path.isdir(folder):
            return folder
    return None


def _data_dir(name: str) -> Traversable:
    from pathlib import Path

    folder = folder_on_disk(name)
    if folder is not None:
        return Path(folder)
    from importlib import resources

    return resources.files("pinflow") / "_data" / name  # zipped installs


def templates_dir() -> Traversable:
    return _data_dir("templates")


def schemas_dir() -> Traversable:
    return _data_dir("schemas")


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>`` (a JSON file) once per process."""
    folder = folder_on_disk("schemas")
    if folder is not None:
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            text = fh.read()
    else:
        text = (schemas_dir() / name).read_text(encoding="utf-8")
    prebuilt = _prebuilt_schema(name, text)
    if prebuilt is not None:
        return prebuilt
    import json

    data: dict[str, Any] = json.loads(text)
    return data


def _prebuilt_schema(name: str, text: str) -> dict[str, Any] | None:
    """The schema as a Python literal (pinflow/_prebuilt/schemas.py), while it
    was made from exactly ``text``: loading it skips json's import (1 ms of
    every run)."""
    from pinflow.cache import text_digest

    try:
        from pinflow._prebuilt import schemas
    except ImportError:
        return None
    digest, data = schemas.SCHEMAS.get(name, (None, None))
    return data if digest == text_digest(text) else None


def read_template(name: str) -> str | None:
    """A file of ``templates/`` by its /-separated name below it; None when there is none."""
    folder = folder_on_disk("templates")
    try:
        if folder is not None:  # (without pathlib: 3 ms of a render)
            with open(os.path.join(folder, *name.split("/")), encoding="utf-8") as fh:
                return fh.read()
        node = templates_dir()
        for part in name.split("/"):
            node = node / part
        return node.read_text(encoding="utf-8") if node.is_file() else None
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
