"""Console-script entry: ``--version`` and the hook commands before click.

``pinflow --version`` runs in every hook chain's sanity check: it imports
nothing but this module. ``lint`` and ``render`` run through
pinflow.cliopts (same options as the click commands, without importing
click); everything else, and anything cliopts is unsure of, goes to cli.py.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing on this path
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from pinflow import __version__

        sys.stdout.write(f"pinflow {__version__}\n")
        return 0
    if args[:1] in (["lint"], ["render"]):
        import gc

        # These runs are short and leave next to no reference cycles (lint's
        # peak memory over 1000 files is the same without the collector), but
        # the collector's passes over every module and syntax node cost ~4 ms
        # of a one-file lint, about 7% of it. (Restored for in-process callers.)
        collecting = gc.isenabled()
        gc.disable()
        try:
            from pinflow import cliopts

            code = cliopts.run(args)
        finally:
            if collecting:
                gc.enable()
        if code is not None:
            return code
    from pinflow.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
