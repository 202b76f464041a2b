"""Access to the shipped ``templates/`` and ``schemas/`` folders.

In a wheel they live at ``pinflow/_data/`` (hatchling force-include); in a
source checkout (editable install, tests) they are the top-level folders.
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Traversable:
    # A plain directory check first: importlib.resources costs milliseconds
    # per process, and both a wheel install and a checkout are on disk.
    installed = Path(__file__).resolve().parent / "_data" / name
    if installed.is_dir():
        return installed
    source = _SOURCE_ROOT / name
    if source.is_dir():
        return source
    return resources.files("pinflow") / "_data" / name  # zipped installs


def templates_dir() -> Traversable:
    return _data_dir("templates")


def schemas_dir() -> Traversable:
    return _data_dir("schemas")


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>`` (a JSON file) once per process."""
    text = (schemas_dir() / name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def read_template(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")
