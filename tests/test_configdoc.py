from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from pinflow.config import load_config
from pinflow.configdoc import config_page, keys
from pinflow.resources import load_schema

ROOT = load_schema("config.schema.json")
KEYS = list(keys())


def test_page_matches_the_schema(repo_root):
    assert (repo_root / "docs" / "config.md").read_text() == config_page(), "run `python -m pinflow.docsgen`"


@pytest.mark.parametrize("key", KEYS, ids=[k.path for k in KEYS])
def test_every_key_is_documented_with_a_valid_example(key):
    assert key.node.get("description"), f"{key.path} has no description"
    is_table = key.resolved.get("type") == "object" and "properties" in key.resolved
    is_table_list = key.resolved.get("type") == "array" and "properties" in key.resolved.get("items", {})
    if is_table or is_table_list:
        return
    examples = key.node.get("examples")
    assert examples, f"{key.path} has no example"
    node = {**key.node, "$defs": ROOT["$defs"]}
    for example in examples:
        jsonschema.validate(example, node)  # an example that pinflow would reject is a lie
    if "default" in key.node:
        jsonschema.validate(key.node["default"], node)


# Where each literal default lands in the loaded Config.
GETTERS = {
    "dialect": lambda c: c.dialect,
    "main_branch": lambda c: c.main_branch,
    "gitea_version": lambda c: c.gitea_version,
    "template_file": lambda c: c.template_file,
    "dockerfile": lambda c: c.dockerfile,
    "context": lambda c: c.context,
    "platforms": lambda c: list(c.platforms),
    "runners.default": lambda c: c.runners.default[0],
    "promote.url": lambda c: c.targets[0].url,
    "promote.token_secret": lambda c: c.targets[0].token_secret,
    "promote.verify": lambda c: c.verify,
}


def test_documented_defaults_are_the_real_defaults(tmp_path: Path):
    cfg = load_config(template_name="x", cwd=tmp_path)
    literal = {k.path: k.node["default"] for k in KEYS if "default" in k.node and "[]" not in k.path}
    assert set(literal) == set(GETTERS), "add a getter for every documented literal default"
    for path, default in literal.items():
        assert GETTERS[path](cfg) == default, path
