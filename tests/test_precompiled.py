"""The built-in templates' compiled modules: committed as generated, used
only while current, and rendering exactly what the sources render."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jinja2
import pytest

from pinflow import config as config_mod
from pinflow import precompiled, render

GOLDEN = Path(__file__).resolve().parent / "golden"
CONFIGS = sorted(p.name for p in GOLDEN.glob("*.toml"))


def test_committed_modules_are_what_the_generator_writes() -> None:
    wanted = precompiled.generate()
    on_disk = {n: Path(precompiled.FOLDER, n).read_text(encoding="utf-8")
               for n in os.listdir(precompiled.FOLDER) if n != "__pycache__"}
    assert on_disk == wanted, "stale: run `python -m pinflow.precompiled`"


def test_the_default_environment_loads_the_compiled_modules() -> None:
    render._environment.cache_clear()
    env = render._environment(None)
    template = env.get_template("publish-image.yml.j2")
    assert type(env.loader).__name__ == "CompiledFirst"
    assert template.filename == f"{render.BUILTIN_PREFIX}publish-image.yml.j2"
    # Loaded from a compiled module: no source (and no compile) behind it.
    assert template.root_render_func.__module__.startswith("_jinja2_module_templates")
    render._environment.cache_clear()


def _render_both_ways(monkeypatch: pytest.MonkeyPatch, cfg: config_mod.Config) -> tuple[str, str]:
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    render._environment.cache_clear()
    try:
        assert type(render._environment(None).loader).__name__ == "CompiledFirst"
        compiled = render.render_workflow(cfg)
        monkeypatch.setattr(precompiled, "FOLDER", "/nonexistent")  # no manifest: compile the sources
        render._environment.cache_clear()
        assert type(render._environment(None).loader).__name__ != "CompiledFirst"
        from_source = render.render_workflow(cfg)
    finally:
        render._environment.cache_clear()
    return compiled, from_source


@pytest.mark.parametrize("name", [None, *CONFIGS])
def test_compiled_and_source_templates_render_the_same_text(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            name: str | None) -> None:
    cfg = (config_mod.load_config(str(GOLDEN / name), cwd=tmp_path) if name
           else config_mod.load_config(template_name="codex", cwd=tmp_path))
    compiled, from_source = _render_both_ways(monkeypatch, cfg)
    assert compiled == from_source and "promote-pin" in compiled


def test_a_stale_manifest_falls_back_to_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "_jinja"
    shutil.copytree(precompiled.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(precompiled, "FOLDER", str(folder))
    source = jinja2.DictLoader({})
    assert precompiled.loader(source) is not source  # current: used

    manifest = json.loads((folder / "manifest.json").read_text())
    edited = {**manifest, "templates": {**manifest["templates"], "publish-image.yml.j2": "0" * 32}}
    (folder / "manifest.json").write_text(json.dumps(edited))
    assert precompiled.loader(source) is source  # a template changed since: not used

    (folder / "manifest.json").write_text(json.dumps({**manifest, "jinja2": "0.0"}))
    assert precompiled.loader(source) is source  # another jinja2: not used

    (folder / "manifest.json").write_text("{not json")
    assert precompiled.loader(source) is source


def test_an_error_in_a_compiled_template_names_the_template_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    render._environment.cache_clear()
    env = render._environment(None)
    assert type(env.loader).__name__ == "CompiledFirst"

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("boom")

    monkeypatch.setitem(env.filters, "block", broken)
    try:
        with pytest.raises(render.TemplateError) as caught:
            render.render_workflow(config_mod.load_config(template_name="codex", cwd=tmp_path))
    finally:
        render._environment.cache_clear()
    where = str(caught.value).split(": ")[0]
    name, line = where.rsplit(":", 1)
    source_lines = Path(render.__file__).resolve().parents[1].joinpath("templates", "publish-image.yml.j2").read_text().splitlines()
    assert name == "pinflow/publish-image.yml.j2" and "block" in source_lines[int(line) - 1]
