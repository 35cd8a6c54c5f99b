"""The ``bandwagon`` command line.

Each module of :mod:`sim.commands` is one subcommand: it defines ``register``
(adds its parser) and ``main(args) -> int``.  Bad input anywhere raises
:class:`~sim.errors.InputError`, reported here as one line on stderr with exit
status 2; anything else is a bug and keeps its traceback.  Output cut short by
its reader (``bandwagon schema | head -1``) ends quietly, as ``cat`` would.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys

from . import __version__, commands
from .errors import InputError

SIGPIPE_STATUS = 141
"""Exit status of a command whose reader went away (128 + SIGPIPE), as the shell reports ``cat``'s."""

_ROLES = re.compile(r":(?:mod|class|func|meth|data|attr):`~?([^`]+)`")


def plain(text: str | None) -> str | None:
    """Docstring markup made plain for ``--help``: ````x```` and ``:mod:`x``` become x."""
    if not text:
        return text
    return _ROLES.sub(r"\1", text).replace("``", "")


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        for key in ("description", "epilog", "help"):
            if key in kwargs:
                kwargs[key] = plain(kwargs[key])
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        if "help" in kwargs:
            kwargs["help"] = plain(kwargs["help"])
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bandwagon",
        description="Simulate Chinese government agencies adopting micro-blogs (2009-2011) and their followers.",
    )
    parser.add_argument("--version", action="version", version=f"bandwagon {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    modules = [importlib.import_module(f"{commands.__name__}.{info.name}")
               for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit_:  # --help, --version, or a usage error
            sys.stdout.flush()
            return exit_.code if isinstance(exit_.code, int) else 2
        try:
            status = int(args.handler(args) or 0)
        except InputError as exc:
            print(f"bandwagon {args.command}: error: {exc.line()}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"bandwagon {args.command}: interrupted", file=sys.stderr)
            return 130
        sys.stdout.flush()  # a reader that went away is found here, not at interpreter exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return SIGPIPE_STATUS


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush finds no broken pipe to complain about."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
