"""Console-script entry: answers ``--version`` before importing click.

``pinflow --version`` runs in every hook chain's sanity check; it should cost
no more than starting Python, so it must not pay for click, jinja2 or jsonschema.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from pinflow import __version__

        sys.stdout.write(f"pinflow {__version__}\n")
        return 0
    from pinflow.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
