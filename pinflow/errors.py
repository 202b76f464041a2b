"""The known errors, and the single place that turns them into a message and exit 2.

Nothing below the CLI prints or exits: code raises one of these, and
``cli.main`` reports it as ``pinflow: error: <message>`` with exit status 2.
"""
from __future__ import annotations


class PinflowError(Exception):
    """A known, user-facing failure: printed as one line (or one per problem), exit 2."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Several independent problems (e.g. every schema violation of a config)
        # are reported one per line rather than only the first.
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [self.message]


class ConfigError(PinflowError):
    """The config file, a --set override or a CLI value is invalid."""


class InputError(PinflowError):
    """A path cannot be read or written (missing, unreadable, a FIFO, a loop...)."""


class TemplateError(PinflowError):
    """A template failed to render or rendered a workflow that breaks the contract."""


def format_error(err: PinflowError) -> str:
    return "\n".join(f"pinflow: error: {line}" for line in err.lines())
