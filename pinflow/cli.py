"""The click commands: they parse options and call one function each.

Every command function returns an exit code; ``cliopts.guarded`` (used by
``main`` and by the click-free paths) is the single place that turns known
errors into ``pinflow: error: …`` and exit 2 (pre-commit's pattern), so no
traceback ever reaches a user. ``lint``'s and ``render``'s options are
declared in cliopts.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from pinflow import __version__
from pinflow.cliopts import LINT_OPTIONS, RENDER_OPTIONS, Opt, guarded, lint_command, render_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="pinflow", message="%(prog)s %(version)s")
def cli() -> None:
    """Render, lint and drift-gate the publish-image workflow of a template repo."""


def _options(specs: Sequence[Opt]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """click options from the declarations cliopts' fast path parses too."""
    def apply(fn: Callable[..., None]) -> Callable[..., None]:
        for o in reversed(specs):
            kind = click.Choice(list(o.choices)) if o.choices else (click.Path(dir_okay=False) if o.file_path else None)
            fn = click.option(*o.flags, o.dest, default=o.default, type=kind, is_flag=o.is_flag,
                              multiple=o.multiple, metavar=o.metavar, help=o.help)(fn)
        return fn
    return apply


@cli.command()
@_options(RENDER_OPTIONS)
def render(**options: Any) -> None:
    """Render the publish-image workflow from the config."""
    raise SystemExit(render_command(**options))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_options(LINT_OPTIONS)
def lint(paths: tuple[str, ...], **options: Any) -> None:
    """Check workflows for the publish-and-promote contract."""
    raise SystemExit(lint_command(paths, **options))


@cli.command()
@click.argument("workflow", required=False, type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--semantic", is_flag=True, help="Compare parsed YAML instead of bytes (ignores comments and formatting).")
@click.option("--format", "fmt", default="text", type=click.Choice(["text", "json", "github"]), help="Output format.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="The same overrides the file was rendered with (see its header).")
def check(workflow: str | None, config_path: str | None, semantic: bool, fmt: str, overrides: tuple[str, ...]) -> None:
    """Fail when the committed workflow differs from its render."""
    from pinflow.drift import run_check

    raise SystemExit(run_check(workflow=workflow, config_path=config_path, semantic=semantic, fmt=fmt, out=sys.stdout, err=sys.stderr,
                               overrides=list(overrides)))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True, help="Print the unified diff and write nothing.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
def fix(paths: tuple[str, ...], show_diff: bool, config_path: str | None) -> None:
    """Repair a hand-written workflow additively."""
    from pinflow.fix import run_fix

    raise SystemExit(run_fix(paths=list(paths), show_diff=show_diff, config_path=config_path, out=sys.stdout, err=sys.stderr))


@cli.command()
@click.argument("workflow", required=False, type=click.Path())
@click.option("--config", "config_path", default="pinflow.toml", show_default=True, type=click.Path(dir_okay=False), help="Where to write the config.")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
def init(workflow: str | None, config_path: str, force: bool) -> None:
    """Write pinflow.toml inferred from the repo's existing publish workflow."""
    from pinflow.init import run_init

    raise SystemExit(run_init(workflow=workflow, config_path=config_path, force=force, out=sys.stdout, err=sys.stderr))


@cli.command()
@click.argument("repos", nargs=-1, type=click.Path())
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "json", "markdown"]), help="Output format.")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None, help="Parallel workers (default: CPU count).")
@click.option("--fleet-file", type=click.Path(dir_okay=False), default=None, help="fleet.toml listing the repos (default: ./fleet.toml when no REPO given).")
@click.option("--fix-drift", is_flag=True, help="Re-render drifted repos in place.")
def fleet(repos: tuple[str, ...], fmt: str, jobs: int | None, fleet_file: str | None, fix_drift: bool) -> None:
    """One status row per template repo: ok, drift, missing or error."""
    from pinflow.fleet import run_fleet

    raise SystemExit(run_fleet(repos=list(repos), fmt=fmt, jobs=jobs, fleet_file=fleet_file, fix_drift=fix_drift, out=sys.stdout, err=sys.stderr))


@cli.command("rules")
@click.option("--format", "fmt", default="text", type=click.Choice(["text", "json"]), help="Output format.")
def rules_cmd(fmt: str) -> None:
    """List every rule: code, name, severity, summary."""
    from pinflow.rules import run_rules

    raise SystemExit(run_rules(fmt=fmt, out=sys.stdout))


@cli.command("rule")
@click.argument("code")
def rule_cmd(code: str) -> None:
    """Print one rule's documentation."""
    from pinflow.rules import run_rule

    raise SystemExit(run_rule(code=code, out=sys.stdout))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _click_main(args))


def _click_main(args: list[str]) -> int:
    try:
        cli.main(args=args, prog_name="pinflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        # One line, like every other error; the command's help says the rest.
        ctx = exc.ctx
        where = f"`{ctx.command_path} --help`" if ctx is not None else "`pinflow --help`"
        sys.stderr.write(f"pinflow: error: {exc.format_message()} (see {where})\n")
        return 2
    except click.ClickException as exc:
        sys.stderr.write(f"pinflow: error: {exc.format_message()}\n")
        return 2
    except click.exceptions.Abort:
        sys.stderr.write("pinflow: aborted\n")
        return 130
    return 0
