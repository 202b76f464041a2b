"""docs/config.md, generated from schemas/config.schema.json.

The schema is the one source: every key's type, pattern, default and example
live there (``description``, ``default`` or ``x-default`` for a default that
depends on other keys, ``examples``), so the page cannot drift from what
``pinflow`` validates.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pinflow.records import NamedTuple
from pinflow.resources import load_schema
from pinflow.tomlfmt import toml_value


class Key(NamedTuple):
    path: str  # dotted, `[]` marks an array of tables: promote.targets[].name
    node: Mapping[str, Any]  # the property's own schema (annotations)
    resolved: Mapping[str, Any]  # after following $ref


def keys() -> Iterator[Key]:
    schema = load_schema("config.schema.json")
    yield from _walk(schema, schema["properties"], "")


def _walk(root: Mapping[str, Any], props: Mapping[str, Any], prefix: str) -> Iterator[Key]:
    for name, node in props.items():
        path = f"{prefix}{name}"
        resolved = _deref(root, node)
        yield Key(path, node, resolved)
        if resolved.get("type") == "object" and "properties" in resolved:
            yield from _walk(root, resolved["properties"], f"{path}.")
        items = resolved.get("items", {})
        if resolved.get("type") == "array" and "properties" in items:
            yield from _walk(root, items["properties"], f"{path}[].")


def _deref(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _type(root: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _deref(root, node)
    if "enum" in node:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(_type(root, branch) for branch in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        items = node.get("items", {})
        inner = "table" if "properties" in _deref(root, items) else _type(root, items)
        return f"array of {inner}"
    if kind == "object":
        return "table" if "properties" in node else "table of strings"
    return kind


def _patterns(root: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    node = _deref(root, node)
    found = [node["pattern"]] if "pattern" in node else []
    for branch in node.get("oneOf", []):
        found += _patterns(root, branch)
    if "items" in node:
        found += _patterns(root, node["items"])
    if "propertyNames" in node:
        found += [f"names: {p}" for p in _patterns(root, node["propertyNames"])]
    if isinstance(node.get("additionalProperties"), dict):
        found += [f"values: {p}" for p in _patterns(root, node["additionalProperties"])]
    return found


def _example(path: str, value: Any) -> str:
    if "[]." in path:
        table, key = path.rsplit("[].", 1)
        return f"[[{table.replace('[]', '')}]]\n{key} = {toml_value(value)}"
    if "." in path:
        table, key = path.rsplit(".", 1)
        return f"[{table}]\n{key} = {toml_value(value)}"
    return f"{path} = {toml_value(value)}"


def _default(node: Mapping[str, Any]) -> str:
    if "default" in node:
        return f"`{toml_value(node['default'])}`"
    return str(node.get("x-default", "—"))


def config_page() -> str:
    root = load_schema("config.schema.json")
    out = [
        "# Configuration",
        "",
        "pinflow reads `pinflow.toml` at the repo root, or `[tool.pinflow]` in `pyproject.toml`, or the file given",
        "with `--config`; with none it renders from the embedded defaults (only `template_name` is needed, e.g.",
        "`--template-name codex`). Any key can be overridden with `--set dotted.key=value`.",
        "Unknown keys are errors that suggest the near key; every string is checked against the pattern below,",
        "so nothing in a config can break out of the YAML or shell it lands in.",
        "",
        "Generated from `schemas/config.schema.json` by `python -m pinflow.docsgen`; a test fails when they disagree.",
        "",
    ]
    for key in keys():
        node = key.node
        out += [f"## `{key.path}`", "", str(node.get("description", "")), ""]
        out += ["| | |", "|---|---|", f"| type | {_type(root, node)} |", f"| default | {_default(node)} |"]
        for pattern in _patterns(root, node):
            out.append(f"| pattern | `{pattern.replace('|', chr(92) + '|')}` |")
        out.append("")
        for example in node.get("examples", []):
            out += ["```toml", _example(key.path, example), "```", ""]
    return "\n".join(out).rstrip() + "\n"
