"""Find, merge and validate the config; hand back a frozen, typed ``Config``.

Sources, later ones winning: embedded defaults, the config file
(``pinflow.toml``, or ``[tool.pinflow]`` in ``pyproject.toml``), the CLI's
``--template-name``/``--dialect``, then ``--set dotted.key=value``.

Everything is checked against ``schemas/config.schema.json`` before anything
renders. The schema holds every string that reaches YAML or a shell script to
a strict pattern; the templates quote again for their context anyway.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pinflow.errors import ConfigError
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from os import PathLike

    StrPath = str | PathLike[str]

if sys.version_info >= (3, 11):  # pragma: no cover - version dependent
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCHEMA = "config.schema.json"
CONFIG_NAME = "pinflow.toml"
PYPROJECT = "pyproject.toml"

DEFAULT_PROMOTE_URL = "https://api.moleculesai.app/cp/admin/runtime-image/promote"
DEFAULT_TOKEN_SECRET = "CP_ADMIN_API_TOKEN"
DEFAULT_TARGET = "prod"
DEFAULT_RUNNER = "ubuntu-latest"
DEFAULT_TEMPLATE_FILE = "publish-image.yml.j2"
DEFAULT_GITEA_VERSION = "1.22"
# The fleet's Gitea: act_runner needs GITHUB_SERVER_URL pinned (PF405), and the
# embedded defaults already name the fleet's hosts (api., registry.).
DEFAULT_SERVER_URL = {"gitea": "https://git.moleculesai.app", "github": ""}
# How the fleet names its images: <registry host>/molecule-ai/workspace-template-<name>.
IMAGE_PATH = "molecule-ai/workspace-template-{name}"
DEFAULT_HOSTS = {"generic": "registry.moleculesai.app", "ghcr": "ghcr.io"}
DEFAULT_KIND = {"gitea": "generic", "github": "ghcr"}
DEFAULT_OUTPUT = {"gitea": ".gitea/workflows/publish-image.yml", "github": ".github/workflows/publish-image.yml"}
# Which [registry] keys each kind reads; any other is a mistake worth a line.
REGISTRY_KEYS = {
    "ecr": ("host", "region", "access_key_id_secret", "secret_access_key_secret"),
    "ghcr": ("host", "username", "token_secret"),
    "generic": ("host", "username", "username_secret", "password_secret"),
}


class Registry(NamedTuple):
    kind: str  # ecr | ghcr | generic
    host: str
    region: str = ""  # ecr
    access_key_id_secret: str = ""  # ecr
    secret_access_key_secret: str = ""  # ecr
    username: str = ""  # ghcr/generic: a literal user ("" = github.actor / username_secret)
    username_secret: str = ""  # generic
    password_secret: str = ""  # generic
    token_secret: str = ""  # ghcr


class Runners(NamedTuple):
    publish: tuple[str, ...]
    default: tuple[str, ...]


class Target(NamedTuple):
    name: str
    url: str
    token_secret: str


class ExtraImage(NamedTuple):
    template_name: str
    image: str
    dockerfile: str
    context: str
    platforms: tuple[str, ...]
    build_args: tuple[tuple[str, str], ...]
    smoke_test: tuple[str, ...]


class LintSettings(NamedTuple):
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


class Config(NamedTuple):
    template_name: str  # "" only when loaded with require_template_name=False and none given
    dialect: str
    main_branch: str
    image: str
    registry: Registry
    runners: Runners
    targets: tuple[Target, ...]  # the single [promote] url/token_secret form is one target named "prod"
    verify: bool
    dockerfile: str
    context: str
    platforms: tuple[str, ...]
    build_args: tuple[tuple[str, str], ...]  # in config order
    smoke_test: tuple[str, ...]  # argv words; () = no smoke test
    extra_images: tuple[ExtraImage, ...]
    templates_dir: str | None  # a folder path
    template_file: str
    output: str
    gitea_version: str
    server_url: str  # "" = not pinned
    lint: LintSettings
    source: str | None  # the config file's path, None for embedded defaults
    origin: str  # how the header names the source: "pinflow.toml", "(embedded defaults)", ...
    cli_args: tuple[str, ...]  # the CLI arguments that reproduce this config (for the header)


def default_output_path(config: Config) -> str:
    return config.output or DEFAULT_OUTPUT[config.dialect]


# ---------------------------------------------------------------------------
# Finding and reading

def find_config(cwd: StrPath) -> str | None:
    """``pinflow.toml`` in ``cwd``, else ``pyproject.toml`` if it has ``[tool.pinflow]``."""
    # (os.path, not pathlib: importing pathlib costs 3 ms, 6% of a render.)
    own = _join(cwd, CONFIG_NAME)
    if os.path.isfile(own):
        return own
    if os.path.lexists(own):
        # There but unusable: naming it beats rendering from the defaults.
        what = "is a directory" if os.path.isdir(own) else ("is a dangling symlink" if not os.path.exists(own) else "is not a regular file")
        raise ConfigError(f"{CONFIG_NAME}: {what}")
    pyproject = _join(cwd, PYPROJECT)
    if not os.path.isfile(pyproject):
        return None
    try:
        with open(pyproject, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A broken pyproject only matters to us if it tries to configure pinflow.
        return pyproject if "tool.pinflow" in text else None
    tool = data.get("tool")
    return pyproject if isinstance(tool, dict) and "pinflow" in tool else None


class _Raw(NamedTuple):
    data: dict[str, Any]
    label: str  # file name as shown in error lines
    key_prefix: str  # "tool.pinflow." inside pyproject.toml


def read_toml(path: StrPath, label: str, kind: str = "config file") -> dict[str, Any]:
    """A TOML file's data; every way it can fail is one ConfigError naming it."""
    if os.path.isdir(path):
        raise ConfigError(f"{label}: is a directory, not a {kind}")
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line L, column C)".
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None


def _read(path: str, label: str) -> _Raw:
    data = read_toml(path, label)
    if os.path.basename(path) != PYPROJECT:
        return _Raw(data, label, "")
    tool = data.get("tool")
    table = tool.get("pinflow") if isinstance(tool, dict) else None
    if table is None:
        raise ConfigError(f"{label}: no [tool.pinflow] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: tool.pinflow: expected a table")
    return _Raw(table, label, "tool.pinflow.")


def _display(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # pragma: no cover - other drive on Windows
        return _posix(path)
    return _posix(rel) if not rel.startswith("..") else _posix(path)


def _join(folder: StrPath, name: str) -> str:
    return _clean(os.path.join(os.fspath(folder), name))


def _clean(path: str) -> str:
    """``path`` without empty or ``.`` segments, as pathlib spells it (``..`` stays: a symlink may need it)."""
    sep = os.sep
    if os.altsep:
        path = path.replace(os.altsep, sep)
    # Exactly two leading separators stay (POSIX leaves their meaning open; on Windows a UNC share).
    lead = sep * 2 if path.startswith(sep * 2) and not path.startswith(sep * 3) else sep if path.startswith(sep) else ""
    kept = sep.join(p for p in path.split(sep) if p not in ("", "."))
    return lead + kept if lead else kept or "."


def _posix(path: str) -> str:
    return _clean(path).replace(os.sep, "/")


# ---------------------------------------------------------------------------
# --set overrides

_NOT_TOML = object()


def _schema_at(schema: Mapping[str, Any], keys: Sequence[str]) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] | None = schema
    for key in keys:
        node = _deref(schema, node)
        props = node.get("properties") if node else None
        node = props.get(key) if isinstance(props, Mapping) else None
        if node is None:
            return None
    return _deref(schema, node)


def _deref(root: Mapping[str, Any], node: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    while node is not None and "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _wants_string(root: Mapping[str, Any], node: Mapping[str, Any] | None) -> bool:
    node = _deref(root, node)
    if node is None:
        return False
    if node.get("type") == "string" or all(isinstance(v, str) for v in node.get("enum", [0])):
        return True
    return any(_wants_string(root, branch) for branch in node.get("oneOf", ()))


def _toml_value(text: str) -> Any:
    # A newline would let one --set smuggle in a second key: never parse it.
    if "\n" in text or "\r" in text:
        return _NOT_TOML
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return _NOT_TOML


def _override_value(text: str, node: Mapping[str, Any] | None, root: Mapping[str, Any]) -> Any:
    """TOML when it parses to something the key accepts, else the raw text.

    So ``promote.url=http://…`` and ``main_branch=1.0`` stay strings, while
    ``promote.verify=true`` and ``platforms=["linux/amd64"]`` are typed.
    """
    value = _toml_value(text)
    if value is _NOT_TOML:
        return text
    if isinstance(value, str) or not _wants_string(root, node):
        return value
    node = _deref(root, node)
    takes_list = any(_deref(root, b).get("type") == "array" for b in (node or {}).get("oneOf", ()))  # type: ignore[union-attr]
    return value if takes_list and isinstance(value, list) else text


def _apply_override(data: dict[str, Any], item: str, schema: Mapping[str, Any]) -> tuple[str, ...]:
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {_show(item)}: expected KEY=VALUE (e.g. promote.url=https://…)")
    keys = tuple(key.split("."))
    if any(not k for k in keys):
        raise ConfigError(f"--set {_show(item)}: empty key segment")
    node: dict[str, Any] = data
    for i, k in enumerate(keys[:-1]):
        child = node.setdefault(k, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {_key_text(keys[: i + 1])}: is not a table, cannot set {_key_text(keys)}")
        node = child
    node[keys[-1]] = _override_value(text, _schema_at(schema, keys), schema)
    return keys


# ---------------------------------------------------------------------------
# Validation messages: one line per problem, naming the key and the value.

def _key_text(keys: Sequence[Any]) -> str:
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        else:
            text = k if k and all(c.isalnum() or c in "_-" for c in k) and k.isascii() else repr(k)
            out += f".{text}" if out else text
    return out


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _control_characters(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every string (key or value) holding a control character: no config value is more than one line.

    The schema's patterns cannot say so: JSON Schema patterns are searched
    (not matched), and Python's ``$`` also matches before a final newline, so
    ``"T\\n"`` would pass ``^[A-Z_]+$`` and fail later, far from its key.
    """
    if isinstance(value, dict):
        found = [(path + (k,), f"control character {first_control_character(k)!r} in the key")
                 for k in value if first_control_character(k)]
        return found + [p for k, v in value.items() for p in _control_characters(v, path + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _control_characters(v, path + (i,))]
    bad = first_control_character(value) if isinstance(value, str) else None
    return [(path, f"control character {bad!r} in {_show(value)}")] if bad else []


def first_control_character(text: Any) -> str | None:
    """The first character no one-line value may hold (C0/C1 controls, DEL, line and paragraph separators, BOM)."""
    if not isinstance(text, str):
        return None
    return next((ch for ch in text if ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029\ufeff"), None)


def _schema_problems(data: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    # pinflow.schema's compiled validator answers "valid?" in microseconds;
    # only a config with problems pays for importing jsonschema, which words them.
    from pinflow.schema import SchemaError, is_valid

    try:
        if is_valid(data, SCHEMA):
            return []
    except SchemaError:  # pragma: no cover - a keyword the compiler lacks: jsonschema decides
        pass
    from jsonschema import Draft202012Validator

    from pinflow.resources import load_schema

    validator = Draft202012Validator(load_schema(SCHEMA))
    problems: list[tuple[tuple[Any, ...], str]] = []
    for error in validator.iter_errors(data):
        problems.extend(_describe(error))
    return sorted(set(problems), key=lambda p: (_key_text(p[0]), p[1]))


def _describe(error: Any) -> list[tuple[tuple[Any, ...], str]]:
    path = tuple(error.absolute_path)
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        return [(path + (k,), _unknown(k, known)) for k in value if k not in known]
    if kind == "required":
        return [(path + (k,), "required") for k in error.validator_value if k not in value]
    if "propertyNames" in error.relative_schema_path:
        return [(path, f"invalid key {_show(value)} (must match {schema.get('pattern', '?')})")]
    if kind == "oneOf":
        return _describe_one_of(error)
    return [(path, _message(kind, value, schema, error))]


def _describe_one_of(error: Any) -> list[tuple[tuple[Any, ...], str]]:
    # Keep the branch made for this value's type (a string vs a list) rather
    # than jsonschema's "is not valid under any of the given schemas".
    here = tuple(error.absolute_path)
    relevant = [e for e in error.context if not (e.validator == "type" and tuple(e.absolute_path) == here)]
    if relevant:
        out: list[tuple[tuple[Any, ...], str]] = []
        for sub in relevant:
            out.extend(_describe(sub))
        return out
    return [(here, f"expected a string or a list of strings, got {_type_name(error.instance)} {_show(error.instance)}")]


def _message(kind: str, value: Any, schema: Mapping[str, Any], error: Any) -> str:
    if kind == "type":
        return f"expected {_expected(schema['type'])}, got {_type_name(value)} {_show(value)}"
    if kind == "enum":
        return f"{_show(value)} is not one of {', '.join(repr(v) for v in schema['enum'])}"
    if kind == "pattern":
        return f"invalid value {_show(value)} (must match {schema['pattern']})"
    if kind == "not":
        return f"invalid value {_show(value)} (no '..', '//', '/.' segments or '.lock' suffix)"
    if kind in ("maxLength", "minLength"):
        return f"invalid value {_show(value)} (length {len(value)}, {kind[:3]} {error.validator_value})"
    if kind in ("maxItems", "minItems", "maxProperties"):
        return f"{len(value)} entries ({kind[:3]} {error.validator_value})"
    if kind == "uniqueItems":
        return f"duplicate entries in {_show(value)}"
    return " ".join(str(error.message).split())[:200]


def _expected(kind: Any) -> str:
    names = {"string": "a string", "boolean": "true or false", "object": "a table", "array": "a list", "integer": "an integer"}
    return names.get(kind, str(kind)) if isinstance(kind, str) else " or ".join(_expected(k) for k in kind)


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "list", dict: "table"}.get(type(value), type(value).__name__)


def _unknown(key: str, known: Sequence[str]) -> str:
    import difflib

    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6) if isinstance(key, str) else []
    if near:
        return f"unknown key (did you mean {near[0]!r}?)"
    return f"unknown key (known keys: {', '.join(known)})"


# ---------------------------------------------------------------------------
# Loading

def load_config(
    config_path: str | None = None,
    overrides: Sequence[str] = (),
    template_name: str | None = None,
    dialect: str | None = None,
    cwd: StrPath | None = None,
    require_template_name: bool = True,
) -> Config:
    """Load, merge and validate; raise ConfigError with one line per problem."""
    from pinflow.resources import load_schema

    cwd = os.getcwd() if cwd is None else os.fspath(cwd)
    source, raw, origin = _locate(config_path, cwd)
    data = _copy(raw.data)
    origins: dict[tuple[str, ...], str] = {}
    cli_args: list[str] = ["--config", _display(config_path, cwd)] if config_path is not None else []
    if template_name is not None:
        data["template_name"] = template_name
        origins[("template_name",)] = "--template-name"
        cli_args += ["--template-name", template_name]
    if dialect is not None:
        data["dialect"] = dialect
        origins[("dialect",)] = "--dialect"
        cli_args += ["--dialect", dialect]
    schema = load_schema(SCHEMA)
    for item in overrides:
        keys = _apply_override(data, item, schema)
        origins[keys] = "--set"
        cli_args += ["--set", item]
    problems = _control_characters(data) or _schema_problems(data)
    if require_template_name and "template_name" not in data:
        problems.append((("template_name",), "required (set it in the config, pass --template-name NAME or --set template_name=NAME)"))
    if not problems:
        problems = sorted(_semantic_problems(data, source, cwd), key=lambda p: _key_text(p[0]))
    if problems:
        raise ConfigError(problems[0][1], [_line(keys, msg, raw, origins) for keys, msg in problems])
    return _build(data, source, origin, tuple(cli_args), cwd)


def _locate(config_path: str | None, cwd: str) -> tuple[str | None, _Raw, str]:
    if config_path is not None:
        if any(ord(c) < 32 for c in config_path):
            raise ConfigError(f"--config {_show(config_path)}: control characters in the path")
        path = _join(cwd, config_path)
        label = _display(path, cwd)
        raw = _read(path, label)
    else:
        found = find_config(cwd)
        if found is None:
            return None, _Raw({}, "(no config file)", ""), "(embedded defaults)"
        path, label = found, _display(found, cwd)
        raw = _read(path, label)
    origin = f"{label} [tool.pinflow]" if raw.key_prefix else label
    return path, raw, origin


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _line(keys: tuple[Any, ...], message: str, raw: _Raw, origins: Mapping[tuple[str, ...], str]) -> str:
    for n in range(len(keys), 0, -1):
        where = origins.get(tuple(keys[:n]))
        if where == "--set":
            return f"--set {_key_text(keys)}: {message}"
        if where is not None:
            return f"{where}: {message}"
    return f"{raw.label}: {raw.key_prefix}{_key_text(keys)}: {message}"


def _semantic_problems(data: Mapping[str, Any], source: str | None, cwd: str) -> list[tuple[tuple[Any, ...], str]]:
    """What one schema can't say well: cross-key rules, with a precise line each."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    promote = data.get("promote", {})
    if "targets" in promote and ({"url", "token_secret"} & set(promote)):
        problems.append((("promote", "targets"), "give either [[promote.targets]] or promote.url/token_secret, not both"))
    names = [t["name"] for t in promote.get("targets", [])]
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append((("promote", "targets", i, "name"), f"duplicate target name {name!r}"))
    if promote.get("verify"):
        for i, target in enumerate(promote.get("targets", [{"url": promote.get("url", DEFAULT_PROMOTE_URL)}])):
            if not target["url"].endswith("/promote"):
                keys = ("promote", "targets", i, "url") if "targets" in promote else ("promote", "url")
                problems.append((keys, f"{target['url']!r}: verify needs a URL ending in /promote (the read-back is the same path without it)"))
    dialect = data.get("dialect", "gitea")
    registry = data.get("registry", {})
    kind = registry.get("kind", DEFAULT_KIND[dialect])
    for key in registry:
        if key != "kind" and key not in REGISTRY_KEYS[kind]:
            problems.append((("registry", key), f"not used by kind {kind!r} (its keys: {', '.join(REGISTRY_KEYS[kind])})"))
    if "username" in registry and "username_secret" in registry:
        problems.append((("registry", "username_secret"), "give either registry.username or registry.username_secret, not both"))
    if kind == "ghcr" and dialect == "gitea" and "token_secret" not in registry:
        problems.append((("registry", "token_secret"), "required for ghcr on Gitea (its job token cannot log in to ghcr.io)"))
    host = _registry_host(data, kind)
    if not host:
        problems.append((("registry", "host"), f"required for kind {kind!r} (or give a full image name)"))
    elif kind == "ecr" and not registry.get("region") and not _ecr_region(host):
        problems.append((("registry", "region"), f"required: cannot derive the AWS region from host {host!r}"))
    images = [(("image",), data.get("image"))] + [(("extra_images", i, "image"), e.get("image")) for i, e in enumerate(data.get("extra_images", []))]
    for keys, image in images:
        if image is not None and not _looks_like_host(_image_host(image)):
            problems.append((keys, f"{image!r} must start with the registry host (e.g. ghcr.io/org/name)"))
        elif image is not None and host and _image_host(image) != host:
            problems.append((keys, f"{image!r} is not under registry host {host!r} (the login would not cover the push)"))
    seen = [data.get("template_name")]
    for i, extra in enumerate(data.get("extra_images", [])):
        if extra["template_name"] in seen:
            problems.append((("extra_images", i, "template_name"), f"{extra['template_name']!r} is already published by this config"))
        seen.append(extra["template_name"])
        if "dockerfile" not in extra:
            problems.append((("extra_images", i, "dockerfile"), "required (each extra image builds from its own Dockerfile)"))
    if "templates_dir" in data:
        folder = _join(os.path.dirname(source) if source is not None else cwd, data["templates_dir"])
        if not os.path.isdir(folder):
            problems.append((("templates_dir",), f"no such directory: {_posix(folder)}"))
    return problems


def _image_host(image: str) -> str:
    return image.split("/", 1)[0]


def _looks_like_host(first: str) -> bool:
    # Docker reads a first segment without '.' or ':' (and not localhost) as a
    # Docker Hub namespace, which is never what a fleet registry means.
    return "." in first or ":" in first or first == "localhost"


def _registry_host(data: Mapping[str, Any], kind: str) -> str:
    registry = data.get("registry", {})
    if "host" in registry:
        return str(registry["host"])
    if "image" in data and _looks_like_host(_image_host(data["image"])):
        return _image_host(data["image"])
    return DEFAULT_HOSTS.get(kind, "")


def _ecr_region(host: str) -> str:
    # <account>.dkr.ecr.<region>.amazonaws.com
    parts = host.split(":", 1)[0].split(".")
    if len(parts) == 6 and parts[1:3] == ["dkr", "ecr"] and parts[4:] == ["amazonaws", "com"]:
        return parts[3]
    return ""


def _words(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value.split(" ")) if isinstance(value, str) else tuple(value)


def _labels(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _build(data: Mapping[str, Any], source: str | None, origin: str, cli_args: tuple[str, ...], cwd: str) -> Config:
    dialect = data.get("dialect", "gitea")
    template_name = data.get("template_name", "")
    reg = data.get("registry", {})
    kind = reg.get("kind", DEFAULT_KIND[dialect])
    host = _registry_host(data, kind)
    registry = Registry(
        kind=kind,
        host=host,
        region=reg.get("region", _ecr_region(host)) if kind == "ecr" else "",
        access_key_id_secret=reg.get("access_key_id_secret", "AWS_ACCESS_KEY_ID") if kind == "ecr" else "",
        secret_access_key_secret=reg.get("secret_access_key_secret", "AWS_SECRET_ACCESS_KEY") if kind == "ecr" else "",
        username=reg.get("username", ""),
        username_secret=reg.get("username_secret", "" if "username" in reg else "REGISTRY_USERNAME") if kind == "generic" else "",
        password_secret=reg.get("password_secret", "REGISTRY_PASSWORD") if kind == "generic" else "",
        token_secret=reg.get("token_secret", "GITHUB_TOKEN") if kind == "ghcr" else "",
    )
    runners = data.get("runners", {})
    default = _labels(runners.get("default", DEFAULT_RUNNER))
    promote = data.get("promote", {})
    if "targets" in promote:
        targets = tuple(Target(t["name"], t["url"], t["token_secret"]) for t in promote["targets"])
    else:
        targets = (Target(DEFAULT_TARGET, promote.get("url", DEFAULT_PROMOTE_URL), promote.get("token_secret", DEFAULT_TOKEN_SECRET)),)
    platforms = tuple(data.get("platforms", ("linux/amd64",)))
    lint = data.get("lint", {})
    templates_dir = None
    if "templates_dir" in data:
        templates_dir = _join(os.path.dirname(source) if source is not None else cwd, data["templates_dir"])
    return Config(
        template_name=template_name,
        dialect=dialect,
        main_branch=data.get("main_branch", "main"),
        image=data.get("image") or (f"{host}/{IMAGE_PATH.format(name=template_name)}" if template_name else ""),
        registry=registry,
        runners=Runners(publish=_labels(runners["publish"]) if "publish" in runners else default, default=default),
        targets=targets,
        verify=bool(promote.get("verify", False)),
        dockerfile=data.get("dockerfile", "Dockerfile"),
        context=data.get("context", "."),
        platforms=platforms,
        build_args=tuple(data.get("build_args", {}).items()),
        smoke_test=_words(data.get("smoke_test")),
        extra_images=tuple(
            ExtraImage(
                template_name=e["template_name"],
                image=e.get("image") or f"{host}/{IMAGE_PATH.format(name=e['template_name'])}",
                dockerfile=e["dockerfile"],
                context=e.get("context", "."),
                platforms=tuple(e.get("platforms", platforms)),
                build_args=tuple(e.get("build_args", {}).items()),
                smoke_test=_words(e.get("smoke_test")),
            )
            for e in data.get("extra_images", [])
        ),
        templates_dir=templates_dir,
        template_file=data.get("template_file", DEFAULT_TEMPLATE_FILE),
        output=data.get("output", DEFAULT_OUTPUT[dialect]),
        gitea_version=data.get("gitea_version", DEFAULT_GITEA_VERSION),
        server_url=data.get("server_url", DEFAULT_SERVER_URL[dialect]),
        lint=LintSettings(tuple(lint.get("select", ())), tuple(lint.get("ignore", ()))),
        source=source,
        origin=origin,
        cli_args=cli_args,
    )
