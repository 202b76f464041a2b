"""The lint and render caches, the in-process memos and the parallel path:
each only saves time, none may change a result or go stale."""
from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest

from pinflow import cache, expressions, lint, shell, yamlio
from pinflow.findings import Finding
from pinflow.lint import Selection, lint_bytes, lint_sources
from pinflow.lintctx import Options

TESTS = Path(__file__).resolve().parent
GOOD = (TESTS / "fixtures" / "lint" / "good_gitea.yml").read_text()
# The promote step loses --fail-with-body: PF301 (an error) on a known line.
QUIET = GOOD.replace("--fail-with-body ", "")


def corpus() -> list[tuple[str, bytes]]:
    """Every workflow the suite ships, plus broken and suppressed variants."""
    files = [(str(p.relative_to(TESTS)), p.read_bytes()) for p in sorted(TESTS.rglob("*.yml"))]
    extra = {
        "quiet.yml": QUIET,
        "dup.yml": GOOD + "on: push\n",
        "broken.yml": "jobs: [\n",
        "empty.yml": "",
        "scalar.yml": "just text\n",
        "suppressed.yml": QUIET.replace("jobs:\n", "jobs:  # pinflow: ignore[PF3]\n", 1),
        "alias.yml": "x: &a {runs-on: ubuntu-latest}\non: push\njobs:\n  a: *a\n  b: *a\n",
    }
    return files + [(name, text.encode()) for name, text in extra.items()]


def test_corpus_has_findings_of_several_kinds() -> None:
    # The equivalence tests below are only as strong as the corpus is varied.
    rules = {f.rule for name, data in corpus() for f in lint_bytes(name, data, Options("gitea"))}
    assert {"PF001", "PF002", "PF301"} <= rules


# ---------------------------------------------------------------------------
# The lint cache, through the CLI (cwd and PINFLOW_CACHE_DIR per test)

@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINFLOW_CACHE_DIR", str(tmp_path / "cache"))
    wf = tmp_path / ".gitea" / "workflows"
    wf.mkdir(parents=True)
    (wf / "publish.yml").write_text(QUIET)
    (wf / "good.yml").write_text(GOOD)
    return tmp_path


def _cache_files(repo: Path) -> list[Path]:
    return sorted((repo / "cache").glob(f"*{cache.SUFFIX}"))


def _poison(repo: Path, message: str) -> None:
    """Rewrite every stored finding's message: output that shows it came from the cache."""
    [path] = _cache_files(repo)
    fmt, run, entries = marshal.loads(path.read_bytes())
    entries = {k: (stamp, tuple(row[:4] + (message,) + row[5:] for row in rows)) for k, (stamp, rows) in entries.items()}
    path.write_bytes(marshal.dumps((fmt, run, entries)))


def test_warm_run_prints_exactly_what_a_cold_run_prints(repo: Path, cli) -> None:
    for fmt in ("text", "json", "sarif", "github"):
        cold = cli(["lint", "--no-cache", "--format", fmt])
        first = cli(["lint", "--format", fmt])
        warm = cli(["lint", "--format", fmt])
        assert cold == first == warm
        assert cold.code == 1 and "PF301" in cold.out


def test_the_second_run_is_answered_from_the_cache(repo: Path, cli) -> None:
    cli(["lint"])
    _poison(repo, "from the cache")
    assert "PF301 from the cache" in cli(["lint"]).out


def test_changing_the_file_invalidates_its_entry(repo: Path, cli) -> None:
    cli(["lint"])
    _poison(repo, "from the cache")
    target = repo / ".gitea" / "workflows" / "publish.yml"
    target.write_text(QUIET + "\n")  # one byte more
    out = cli(["lint"]).out
    assert "from the cache" not in out and "PF301" in out
    target.write_text(GOOD)
    assert "PF301" not in cli(["lint"]).out


def test_changing_the_options_or_the_config_misses(repo: Path, cli) -> None:
    cli(["lint"])
    _poison(repo, "from the cache")
    assert "from the cache" not in cli(["lint", "--select", "PF3"]).out
    assert "from the cache" not in cli(["lint", "--dialect", "github"]).out
    (repo / "pinflow.toml").write_text('template_name = "x"\nmain_branch = "trunk"\n')
    assert "from the cache" not in cli(["lint"]).out


def test_what_the_config_gives_lint_follows_the_config(repo: Path, cli) -> None:
    config = repo / "pinflow.toml"
    config.write_text('template_name = "x"\n[lint]\nignore = ["PF3"]\n')
    assert "PF301" not in cli(["lint"]).out
    assert "PF301" not in cli(["lint"]).out  # the second run takes it from the cache
    config.write_text('template_name = "x"\n[lint]\nignore = ["PF4"]\n')
    assert "PF301" in cli(["lint"]).out
    config.write_text('template_name = "x"\n[lint]\nignore = ["PF9"]\n')  # now invalid: every run says so
    for _ in range(2):
        res = cli(["lint"])
        assert res.code == 2 and "[lint]" in res.err


def test_a_config_naming_a_templates_dir_is_loaded_every_time(repo: Path, cli) -> None:
    # Its folder must exist, which the config's bytes cannot tell.
    (repo / "tpl").mkdir()
    (repo / "pinflow.toml").write_text('template_name = "x"\ntemplates_dir = "tpl"\n')
    assert cli(["lint"]).code == 1
    (repo / "tpl").rmdir()
    res = cli(["lint"])
    assert res.code == 2 and "templates_dir" in res.err


def test_a_new_pinflow_version_or_changed_code_starts_afresh(repo: Path, cli, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    cli(["lint"])
    _poison(repo, "from the cache")
    monkeypatch.setattr(cache, "__version__", "999.0")
    assert "from the cache" not in cli(["lint"]).out
    # The code fingerprint follows every module and schema of the package.
    copy = tmp_path_factory.mktemp("pkg") / "pinflow"
    shutil.copytree(Path(cache.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.fingerprint(str(copy))
    assert cache.fingerprint(str(copy)) == before
    rule = copy / "rules" / "http.py"
    rule.write_text(rule.read_text() + "\n# edited\n")
    assert cache.fingerprint(str(copy)) != before


def test_no_cache_neither_reads_nor_writes(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli(["lint", "--no-cache"])
    assert _cache_files(repo) == []
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    cli(["lint"])
    assert _cache_files(repo) == []
    monkeypatch.delenv("PINFLOW_NO_CACHE")
    cli(["lint"])
    _poison(repo, "from the cache")
    assert "from the cache" not in cli(["lint", "--no-cache"]).out
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    assert "from the cache" not in cli(["lint"]).out


def test_stdin_is_never_cached(repo: Path, cli) -> None:
    assert cli(["lint", "-"], stdin=QUIET).code == 1
    assert _cache_files(repo) == []


def test_a_corrupt_or_unwritable_cache_is_ignored(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = cli(["lint", "--no-cache"])
    cli(["lint"])
    [path] = _cache_files(repo)
    for garbage in (b"", b"\x00garbage", marshal.dumps((cache.FORMAT, 1, {b"k" * 16: (1, (("x",),))})), marshal.dumps([1, 2])):
        path.write_bytes(garbage)
        assert cli(["lint"]) == expected
    blocker = repo / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("PINFLOW_CACHE_DIR", str(blocker / "cache"))
    assert cli(["lint"]) == expected


def test_writes_are_atomic_and_bounded(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    wf = repo / ".gitea" / "workflows"
    for i in range(6):
        (wf / f"copy{i}.yml").write_text(GOOD.replace("name:", f"# copy {i}\nname:", 1))
    cli(["lint"])
    [path] = _cache_files(repo)
    _, _, entries = marshal.loads(path.read_bytes())
    assert len(entries) == 3
    assert [p.name for p in (repo / "cache").iterdir()] == [path.name]  # no temp file left behind
    monkeypatch.setattr(cache, "MAX_FILES", 2)
    for i in range(4):  # each working directory has its own cache file
        sub = repo / f"d{i}"
        sub.mkdir()
        monkeypatch.chdir(sub)
        cli(["lint", str(wf / "good.yml")])
    assert len(_cache_files(repo)) == 2


# ---------------------------------------------------------------------------
# The render cache

def test_render_cache_gives_the_same_text_and_follows_config_and_templates(tmp_path: Path, cli,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINFLOW_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    fresh = cli(["render"]).out
    stored = sorted((tmp_path / "cache" / "render").iterdir())
    assert len(stored) == 1 and stored[0].read_text() == fresh
    stored[0].write_text("# from the render cache\n")
    assert cli(["render"]).out == "# from the render cache\n"
    assert "codex2" in cli(["render", "--template-name", "codex2"]).out
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\nmain_branch = "trunk"\n')
    assert "from the render cache" not in cli(["render"]).out
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    assert cli(["render"]).out == fresh


def test_render_cache_follows_user_templates(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINFLOW_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "tpl").mkdir()
    child = tmp_path / "tpl" / "mine.yml.j2"
    child.write_text('{% extends "publish-image.yml.j2" %}\n')
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\ntemplates_dir = "tpl"\ntemplate_file = "mine.yml.j2"\n')
    first = cli(["render"])
    assert first.code == 0, first.err
    child.write_text('# mine\n{% extends "publish-image.yml.j2" %}\n')
    os.utime(child, ns=(1, 1))  # a different mtime whatever the clock's resolution
    assert cli(["render"]).out.startswith("# mine\n")


# ---------------------------------------------------------------------------
# In-process memos and the parallel path

def test_fleet_results_equal_file_by_file_results() -> None:
    # Enough files to fork, repeated contents (linted once), several dialects.
    items = corpus() * 3
    sources = [(f"{i}-{name}", data, Options("github" if i % 2 else "gitea")) for i, (name, data) in enumerate(items)]
    sel = Selection(ignore=("PF4",))
    expected = [lint_bytes(path, data, opts, sel) for path, data, opts in sources]
    assert lint_sources(sources, sel) == expected
    assert lint._map_forked(lambda s: lint_bytes(s[0], s[1], s[2], sel), sources, 2) == expected
    assert lint._map_forked(lambda s: lint_bytes(s[0], s[1], s[2], sel), sources, 3) == expected


def _explode(n: int) -> int:
    if n == 7:
        raise ValueError("item seven")
    return n * n


def test_an_error_in_a_worker_is_raised_as_if_sequential() -> None:
    assert lint._map_forked(lambda n: n * n, list(range(20)), 2) == [n * n for n in range(20)]
    with pytest.raises(ValueError, match="item seven"):
        lint._map_forked(_explode, list(range(20)), 2)  # 7 lands in the child's share


def test_identical_files_share_one_lint_but_keep_their_paths() -> None:
    data = QUIET.encode()
    found = lint_sources([("a.yml", data, Options("gitea")), ("b.yml", data, Options("gitea"))])
    assert [f._replace(path="b.yml") for f in found[0]] == found[1]
    assert {f.path for f in found[0]} == {"a.yml"} and {f.path for f in found[1]} == {"b.yml"}


def _scripts() -> list[str]:
    from pinflow import model

    out = []
    for name, data in corpus():
        try:
            root = yamlio.compose(yamlio.decode(data))
        except yamlio.YamlProblem:
            continue
        if model.is_map(root):
            out += [s.run for j in model.build(name, "", root, "gitea").jobs.values() for s in j.steps if s.run]
    assert len(out) > 10
    return out


def test_shell_memos_answer_what_the_analysis_computes_and_hand_out_copies() -> None:
    for script in _scripts():
        for sh in (shell.effective_shell(None, None, "gitea"), shell.effective_shell("sh", None, "github")):
            secrets = frozenset({"TOKEN"})
            assert shell.analyze(script, sh, secrets) == shell._analyze.__wrapped__(script, sh, secrets)
        assert shell.command_words(script) == [(a, b, list(w)) for a, b, w in shell._command_words.__wrapped__(script)]
        assert shell.tested_variables(script) == {k: set(v) for k, v in shell._tested_variables.__wrapped__(script).items()}
    script = _scripts()[0]
    shell.command_words(script).append((0, 0, ["changed"]))
    shell.tested_variables(script)["X"] = {"changed"}
    shell.analyze(script, shell.effective_shell(None, None, "gitea")).http_calls.append("changed")  # type: ignore[arg-type]
    assert (0, 0, ["changed"]) not in shell.command_words(script)
    assert "X" not in shell.tested_variables(script) or shell.tested_variables(script)["X"] != {"changed"}
    assert "changed" not in shell.analyze(script, shell.effective_shell(None, None, "gitea")).http_calls


def test_condition_memo_tells_apart_trees_python_calls_equal() -> None:
    # Literal(True) == Literal(1) as tuples; the verdicts quote the condition.
    for source in ("1", "true", "1.0", "'1'"):
        cond = expressions.parse(source)
        assert expressions.can_run_after_failure(cond) == expressions._can_run_after_failure(cond)
        assert expressions.implies_ref(cond, "main") == expressions._implies_ref(cond, "main")
    reasons = {expressions.can_run_after_failure(expressions.parse(s)).reason for s in ("1", "true")}
    assert len(reasons) == 2


def _dump(node: object) -> list[tuple[object, ...]]:
    out, stack, seen = [], [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            out.append(("alias", n.start_mark.line))  # type: ignore[attr-defined]
            continue
        seen.add(id(n))
        out.append((n.id, n.tag, n.value if n.id == "scalar" else None, n.start_mark.line, n.start_mark.column,  # type: ignore[attr-defined]
                    n.end_mark.line, n.end_mark.column, getattr(n, "style", None), n.anchor))  # type: ignore[attr-defined]
        if n.id == "mapping":  # type: ignore[attr-defined]
            stack.extend(x for pair in n.value for x in pair)  # type: ignore[attr-defined]
        elif n.id == "sequence":  # type: ignore[attr-defined]
            stack.extend(n.value)  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("extra", [
    "%YAML 1.1\n---\na: yes\nb: 0o12\nc: 012\nd: ~\n",
    "a: yes\nb: 0x1F\nc: 1_000\nd: .inf\ne: -.NaN\nf: 2001-12-14t21:59:43.10-05:00\ng: !!str 3\nh: !custom x\n'': 1\n",
    "x: &a [1, 2.5, true, null, '']\ny: *a\n",
])
def test_the_faster_resolver_composes_exactly_what_ruamel_does(extra: str) -> None:
    from ruamel.yaml import YAML

    texts = [extra] + [yamlio.decode(d) for _, d in corpus() if d and not d.startswith(b"jobs: [")]
    for text in texts:
        assert _dump(yamlio.compose(text)) == _dump(YAML(typ="safe", pure=False).compose(text)), text[:60]


def test_findings_from_the_cache_are_findings() -> None:
    store = cache.LintCache(None, {}, 1)
    f = Finding("x.yml", 3, 4, "PF301", "error", "m", "job", None)
    store.put(b"k" * 16, [f])
    store.entries.update(store.new)
    assert store.get(b"k" * 16, "y.yml") == [f._replace(path="y.yml")]
