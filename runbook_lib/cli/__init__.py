"""The ``runbook`` command line.

Each sub-command lives in its own module in this package and exposes
``register(subparsers)``; modules are discovered, so adding a command never
edits this file. Errors from the library print as one line and map to exit
codes (bad parameters 2, rejected gate or refused plan 3, missing tool 4,
sandbox problem 5, anything else 1).

Logging is set up here, once, before any sub-command runs: every handler
redacts secrets (:func:`runbook_lib.redact.install_log_filter`) before anything
is resolved, and ``-v`` turns on DEBUG for the runbook but keeps the HTTP
loggers (botocore, urllib3 …) at INFO, since at DEBUG they log request and
response bodies (``GetSecretValue``, decrypted ``GetParameter``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from runbook_lib import redact
from runbook_lib.errors import RunbookError, exit_code_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runbook", description="Migrate a self-hosted data platform onto AWS.")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug output to stderr (HTTP bodies never: see README)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def configure_logging(*, verbose: bool) -> None:
    """Log to stderr through the redacting filter; ``verbose`` is DEBUG, except for the HTTP loggers."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(name)s: %(message)s")
    if verbose:
        for name in redact.WIRE_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    redact.install_log_filter()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except RunbookError as error:
        print(f"runbook: error: {error.one_line()}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        print("runbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
