"""Entry point of ``emojify`` (also ``python -m edge``): the parser and one-line errors.

Errors a person can fix are printed as one line, without a traceback, with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from edge import __version__, paths
from edge.cli.doctor import register as register_doctor
from edge.cli.fleet import register_commands as register_fleet
from edge.cli.personalize import register_commands as register_personalize
from edge.cli.replay import register as register_replay
from edge.cli.run import register as register_run
from edge.core.errors import EmojifyError
from edge.core.text import one_line
from edge.system.logsetup import setup_logging
from edge.system.stdio import silence_stdout

log = logging.getLogger(__name__)

EXIT_ERROR = 2


def add_config_option(p: argparse.ArgumentParser) -> None:
    """``--config FILE``, shared by the commands that read the config."""
    p.add_argument(
        "--config",
        type=Path,
        help=f"TOML config file (default: {paths.SYSTEM_CONFIG} when present, or $EMOJIFY_CONFIG)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="emojify", description="Facial expression to emoji, on a Raspberry Pi.")
    parser.add_argument("--version", action="version", version=f"emojify {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("-q", "--quiet", action="store_true")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_run(sub, add_config_option)
    register_doctor(sub, add_config_option)
    register_replay(sub)
    register_personalize(sub)
    register_fleet(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emojify`` command."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # a command that runs itself again as the state folder's owner repeats it
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    setup_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args))
    except EmojifyError as exc:
        print(f"emojify: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (| head): nothing left to say
        silence_stdout()
        return 0
