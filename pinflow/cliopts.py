"""The options of the commands that run without click (``lint``, ``render``).

``pinflow lint`` runs on every commit, and importing click costs more than
linting a file. These commands' options are declared once, here: cli.py
builds the click commands from the same declarations, and ``parse_fast``
parses an argv exactly as click would, or returns None for anything it is
not sure about (``--help``, an unknown option, a bad choice, a missing
value, ``-oFILE``) so click handles it, with click's words.

``guarded`` is the single place that turns known errors into ``pinflow:
error: …`` and exit 2, for both paths.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from pinflow.records import NamedTuple
from pinflow.reporters import FORMATS


class Opt(NamedTuple):
    """One option of a command, as both parsers read it."""

    flags: tuple[str, ...]  # "--long", or ("-o", "--output")
    dest: str
    help: str
    choices: tuple[str, ...] = ()
    default: str | bool | None = None
    is_flag: bool = False
    file_path: bool = False  # click.Path(dir_okay=False): an existing directory is an error
    multiple: bool = False  # repeatable: a tuple of values
    metavar: str | None = None


LINT_OPTIONS = (
    Opt(("--format",), "fmt", "Output format.", FORMATS, "text"),
    Opt(("--dialect",), "dialect", "Forge dialect (auto: from the path).", ("auto", "gitea", "github"), "auto"),
    Opt(("--select",), "select", "Only these rule codes or prefixes (comma-separated)."),
    Opt(("--ignore",), "ignore", "Skip these rule codes or prefixes (comma-separated)."),
    Opt(("--config",), "config_path", "Config file with a [lint] section.", file_path=True),
    Opt(("--no-cache",), "no_cache", "Neither read nor write the lint cache (see docs/performance.md).", default=False, is_flag=True),
)

RENDER_OPTIONS = (
    Opt(("--template-name",), "template_name", "Template name (overrides the config's template_name)."),
    Opt(("--config",), "config_path", "Config file (pinflow.toml or pyproject.toml).", file_path=True),
    Opt(("--set",), "overrides", "Override a config key (dotted), e.g. promote.url=…", multiple=True, metavar="KEY=VALUE"),
    Opt(("--dialect",), "dialect", "Target forge (default: the config's, else gitea).", ("gitea", "github")),
    Opt(("-o", "--output"), "output", "Write atomically to PATH instead of stdout (- is stdout).", file_path=True),
)


def codes(value: str | None) -> list[str]:
    return [c.strip().upper() for c in (value or "").split(",") if c.strip()]


def lint_command(paths: Sequence[str], fmt: str, dialect: str, select: str | None, ignore: str | None,
                 config_path: str | None, no_cache: bool) -> int:
    """What `pinflow lint` does once its arguments are parsed (either parser)."""
    from pinflow.lint import run_lint

    return run_lint(paths=list(paths), fmt=fmt, dialect=dialect, select=codes(select), ignore=codes(ignore),
                    config_path=config_path, out=sys.stdout, err=sys.stderr, use_cache=not no_cache)


def render_command(template_name: str | None, config_path: str | None, overrides: Sequence[str],
                   dialect: str | None, output: str | None) -> int:
    """What `pinflow render` does once its arguments are parsed (either parser)."""
    from pinflow.render import run_render

    return run_render(template_name=template_name, config_path=config_path, overrides=list(overrides),
                      dialect=dialect, output=output, out=sys.stdout, err=sys.stderr)


def parse_fast(options: Sequence[Opt], args: Sequence[str]) -> tuple[list[str], dict[str, object]] | None:
    """(arguments, option values) as click would parse them, or None when
    click must decide (help, errors, anything unusual)."""
    by_flag = {flag: o for o in options for flag in o.flags}
    values: dict[str, object] = {o.dest: () if o.multiple else o.default for o in options}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if "\0" in arg:
            return None
        if arg == "--":
            positional.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        # `--name=value`; a short option only as its own word (click reads `-o=x` as "=x").
        flag, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = by_flag.get(flag)
        if opt is None:
            return None  # -h, --help, a typo: click words it
        if opt.is_flag:
            if eq:
                return None
            values[opt.dest] = True
            continue
        if not eq:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if "\0" in value or (opt.choices and value not in opt.choices) or (opt.file_path and not _file_ok(value)):
            return None
        values[opt.dest] = (*values[opt.dest], value) if opt.multiple else value  # type: ignore[misc]
    if not all(_path_ok(p) for p in positional):
        return None
    return positional, values


def _file_ok(path: str) -> bool:
    # click.Path(dir_okay=False) refuses an existing directory or unreadable path.
    return not os.path.isdir(path) and _path_ok(path)


def _path_ok(path: str) -> bool:
    # click.Path() refuses an existing path it cannot read.
    return not os.path.exists(path) or os.access(path, os.R_OK)


def guarded(call: Callable[[], int]) -> int:
    """Run a command; known errors become one line and exit 2, never a traceback."""
    from pinflow.errors import PinflowError, format_error

    try:
        return call()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except PinflowError as exc:
        sys.stderr.write(format_error(exc) + "\n")
        return exc.exit_code
    except BrokenPipeError:
        # Reader went away (`pinflow render | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (RecursionError, MemoryError) as exc:
        sys.stderr.write(f"pinflow: error: input too large or too deeply nested ({type(exc).__name__})\n")
        return 2
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("PINFLOW_DEBUG"):
            raise
        sys.stderr.write(f"pinflow: internal error: {type(exc).__name__}: {exc} (set PINFLOW_DEBUG=1 for a traceback)\n")
        return 2


def run(args: Sequence[str]) -> int | None:
    """Run ``lint``/``render`` from argv without click; None: click must."""
    if args[:1] == ["lint"]:
        parsed = parse_fast(LINT_OPTIONS, args[1:])
        if parsed is not None:
            paths, values = parsed
            return guarded(lambda: lint_command(paths, **values))  # type: ignore[arg-type]
    if args[:1] == ["render"]:
        parsed = parse_fast(RENDER_OPTIONS, args[1:])
        if parsed is not None and not parsed[0]:  # render takes no arguments: click words the error
            return guarded(lambda: render_command(**parsed[1]))  # type: ignore[arg-type,index]
    return None
