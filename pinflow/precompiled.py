"""The built-in templates, compiled ahead of time with Jinja's own compiler.

Compiling publish-image.yml.j2 (lex, parse, generate Python, compile it) is
about a third of a cold `pinflow render`. Jinja can instead load templates
from Python modules it generated earlier (``ModuleLoader``, the code
``Environment.compile_templates`` writes); Python then keeps their bytecode
like any module's. ``pinflow/_jinja/`` holds those modules for the built-in
templates, with a manifest of the jinja2 version and the template sources
they came from. They are used only while both still match (a different
jinja2, or a template edited without regenerating, falls back to compiling
the source, so they can never render stale text), and only for the built-in
templates (a templates_dir may override any name).

Regenerate after changing a template or the environment in render.py:

    python -m pinflow.precompiled

tests/test_precompiled.py fails when the committed modules are not what this
would write.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_jinja")
MANIFEST = "manifest.json"
# The built-in templates Jinja compiles (the *.sh scripts are inlined verbatim).
TEMPLATES = ("publish-image.yml.j2", "_targets.yml.j2")


def digest(text: str) -> str:
    from pinflow.cache import blake2b  # (without hashlib's OpenSSL start-up)

    return blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def loader(source: jinja2.BaseLoader) -> jinja2.BaseLoader:
    """``source`` with the compiled modules in front, when they are current."""
    import jinja2

    from pinflow import resources

    try:
        with open(os.path.join(FOLDER, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
        current = manifest["jinja2"] == jinja2.__version__ and all(
            digest(resources.read_template(name)) == manifest["templates"].get(name) for name in TEMPLATES)
    except (OSError, ValueError, KeyError, TypeError):
        current = False
    return _loader_class()(jinja2.ModuleLoader(FOLDER), source) if current else source


@functools.lru_cache(maxsize=1)
def _loader_class() -> Any:
    import jinja2

    from pinflow.render import BUILTIN_PREFIX

    class CompiledFirst(jinja2.BaseLoader):
        """Templates from the compiled modules, sources from ``source``."""

        def __init__(self, modules: jinja2.ModuleLoader, source: jinja2.BaseLoader) -> None:
            self.modules, self.source = modules, source

        def get_source(self, environment: jinja2.Environment, template: str) -> Any:
            return self.source.get_source(environment, template)

        def load(self, environment: jinja2.Environment, name: str, globals: Any = None) -> jinja2.Template:
            try:
                template = self.modules.load(environment, name, globals)
            except jinja2.TemplateNotFound:
                return self.source.load(environment, name, globals)
            # Errors point into the template, as they do when compiled from source.
            template.filename = f"{BUILTIN_PREFIX}{name}"
            return template

    return CompiledFirst


def generate() -> dict[str, str]:
    """{file name: text} of the compiled modules and the manifest, as they should be."""
    import jinja2

    from pinflow import render, resources

    env = render._environment(None)  # the very environment that renders them
    files: dict[str, str] = {}
    digests: dict[str, str] = {}
    for name in TEMPLATES:
        source = resources.read_template(name)
        code = env.compile(source, name, f"{render.BUILTIN_PREFIX}{name}", raw=True, defer_init=True)
        files[jinja2.ModuleLoader.get_module_filename(name)] = code if code.endswith("\n") else code + "\n"
        digests[name] = digest(source)
    manifest = {"jinja2": jinja2.__version__, "templates": digests}
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return files


def write(folder: str = FOLDER) -> list[str]:
    """Write the compiled modules; returns the files that changed."""
    from pinflow import yamlio

    changed = []
    wanted = generate()
    os.makedirs(folder, exist_ok=True)
    for stale in sorted(set(os.listdir(folder)) - set(wanted) - {"__pycache__"}):
        os.unlink(os.path.join(folder, stale))
        changed.append(stale)
    for name, text in sorted(wanted.items()):
        if yamlio.atomic_write(os.path.join(folder, name), text):
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    changed = write()
    sys.stdout.write("".join(f"wrote {os.path.join('pinflow', '_jinja', n)}\n" for n in changed) or "up to date\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
