"""``build_parser()`` and ``main()``: the verb registry and the one error policy.

Each verb lives in its own module (``studio.cli.<module>``) with ``add_parser(sub)`` and
``run(args) -> int``; ``VERBS`` maps the verb people type to that module. Verb modules
import the engine lazily inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from studio import __version__

VERBS = {  # verb -> module in studio.cli (one line registers a verb)
    "gui": "gui",
    "sample": "sample",
    "train": "train",
    "score": "score",
    "models": "models",
    "eval": "evaluate",
    "jazz-report": "jazz_report",
    "bench": "bench",
    "live": "live",
}


def _verb_module(verb: str):
    return importlib.import_module(f"studio.cli.{VERBS[verb]}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sequence-studio",
        description="the command-line twin of every GUI action")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="verb")
    for verb in VERBS:
        _verb_module(verb).add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run one command; ``argv`` None means this process is the command (console script,
    ``python -m studio``), which then exits quickly: see ``_quick_exit``."""
    if argv is None:
        code = main(sys.argv[1:])
        _quick_exit()
        return code
    argv = list(argv)
    if not argv or (argv[0] not in VERBS and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui"] + argv
    try:  # start-up imports take seconds (torch): Ctrl-C there is a stop, not a traceback
        args = build_parser().parse_args(argv)
        verb = args.verb or "gui"
        if verb != "gui":  # the window imports them (and torch) after its first frame
            import studio.domains  # noqa: F401  (registers the built-in domains with the engine)
    except KeyboardInterrupt:
        print("sequence-studio: stopped", file=sys.stderr)
        return 130
    if getattr(args, "device", None) == "list":  # any verb's --device list: what is here
        from studio.cli.common import print_devices

        print_devices()
        return 0
    try:
        code = _verb_module(verb).run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt as exc:  # Ctrl-C (or SIGTERM through StopSignals)
        print(f"sequence-studio {verb}: stopped", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except Exception as exc:  # one clear line, not a traceback, for expected failures
        from studio.core.errors import user_message

        msg = user_message(exc)
        if msg is None:
            raise
        from studio.cli.common import shown

        # names and paths inside come from files: escaped, and the message stays one line
        print(f"sequence-studio {verb}: {shown(msg)}", file=sys.stderr)
        return 2


def _reader_gone() -> int:
    """``sample ... | head -1``: the reader closed the pipe. Exit quietly, as a Unix tool
    does (status 128 + SIGPIPE), with stdout pointed at /dev/null so the interpreter's
    last flush cannot raise the same error again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def _quick_exit() -> None:
    """Let the interpreter's teardown skip a last garbage collection over the whole heap.

    With torch imported, that teardown took 0.8-1.2 s on the shared 2-core machine, so a
    Ctrl-C'd run said "stopped" at once but gave the prompt back a second later (issue 9:
    Ctrl-C honoured within 1 s). Freezing the heap moves every object out of the
    collector's reach: exit then takes ~0.2 s. atexit handlers, stream flushing and
    reference-counted cleanup all still run; only cyclic garbage left at exit is not
    collected, which the OS reclaims with the process.
    """
    import gc

    gc.freeze()
