"""Hypothesis strategies shared by the render tests: valid pinflow.toml configs."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


names = _regex(r"[a-z0-9][a-z0-9._-]{0,12}")
secrets = _regex(r"[A-Z_][A-Z0-9_]{0,12}")
labels = _regex(r"[A-Za-z0-9._-]{1,12}")
words = _regex(r"[A-Za-z0-9._/@+=,%-]{1,8}")
hosts = _regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){1,2}(:[0-9]{2,5})?")
urls = st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}/promote", st.sampled_from(["http", "https"]), hosts,
                 _regex(r"[A-Za-z0-9._~-]{1,10}"))


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"template_name": draw(names), "dialect": draw(st.sampled_from(["gitea", "github"]))}
    data["main_branch"] = draw(_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,10}"))
    kind = draw(st.sampled_from(["generic", "ghcr", "ecr"]))
    if kind == "ecr":
        data["registry"] = {"kind": kind, "host": draw(_regex(r"[0-9]{12}")) + ".dkr.ecr." + draw(st.sampled_from(["us-east-2", "eu-west-1"])) + ".amazonaws.com"}
    else:
        data["registry"] = {"kind": kind, "host": draw(hosts)}
        if kind == "ghcr" and (data["dialect"] == "gitea" or draw(st.booleans())):
            data["registry"]["token_secret"] = draw(secrets)
        if draw(st.booleans()):
            data["registry"]["username"] = draw(_regex(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,8}"))
    data["runners"] = {"publish": draw(st.lists(labels, min_size=1, max_size=3, unique=True)), "default": draw(labels)}
    target_names = draw(st.lists(_regex(r"[a-z0-9][a-z0-9_-]{0,8}"), min_size=1, max_size=3, unique=True))
    data["promote"] = {"verify": draw(st.booleans()),
                       "targets": [{"name": n, "url": draw(urls), "token_secret": draw(secrets)} for n in target_names]}
    if draw(st.booleans()):
        data["smoke_test"] = draw(st.lists(words, min_size=1, max_size=4))
    data["build_args"] = draw(st.dictionaries(_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}"), _regex(r"[A-Za-z0-9._/@+=,%-]{0,10}"), max_size=3))
    data["platforms"] = draw(st.lists(st.sampled_from(["linux/amd64", "linux/arm64", "linux/arm/v7"]), min_size=1, max_size=3, unique=True))
    extra = draw(st.lists(names, max_size=2, unique=True))
    data["extra_images"] = [{"template_name": n, "dockerfile": f"Dockerfile.{i}"} for i, n in enumerate(extra) if n != data["template_name"]]
    return data


def toml_document(data: dict[str, Any]) -> str:
    """A pinflow.toml holding ``data`` (every value inline)."""
    return "".join(f"{key} = {_toml(value)}\n" for key, value in data.items())
