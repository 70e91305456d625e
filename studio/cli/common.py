"""Small pieces several verbs share: the --device flag, loading a model by name or path, and
``shown`` (text from a file made safe to print on a terminal)."""

from __future__ import annotations

import signal
import sys
import time
import unicodedata

# Control, format (bidi overrides, zero-width) and line/paragraph separators: a model name
# holding ESC/OSC sequences re-coloured the terminal or set its title, and a newline in
# one printed a fake line in `models`.
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def shown(text) -> str:
    """``text`` with every control or format character escaped as Python writes it (ESC ->
    ``\\x1b``, a newline -> ``\\n``, U+202E -> ``\\u202e``); letters of any script kept."""
    text = str(text)
    if all(c.isprintable() for c in text):   # the common case, fast
        return text
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in _UNSAFE else c for c in text)


def add_device(p) -> None:
    p.add_argument("--device", default="auto", help=DEVICE_HELP)


DEVICE_HELP = ("auto | cpu | cuda | cuda:N | mps (default auto: CUDA, then MPS, then CPU); an absent "
               "one is refused; 'list' shows the devices here (GPU names and free memory)")


def print_devices() -> None:
    """``--device list``: one line per device that is here, best first."""
    from studio.core.devices import present_devices

    for line in present_devices():
        print(line)


def check_seed(seed) -> None:
    """Seeds go to torch.Generator.manual_seed, which takes 0 .. 2**63 - 1."""
    if seed is not None and not 0 <= seed < 1 << 63:
        raise ValueError(f"--seed must be a whole number from 0 to {(1 << 63) - 1}, not {seed}")


def load_model(args):
    """The checkpoint named by ``args.model`` (a path or a library name) on ``args.device``."""
    from studio.core.checkpoint import load_checkpoint
    from studio.core.devices import require_device
    from studio.core.library import find_model

    device = require_device(getattr(args, "device", "auto"))  # absent: refused, naming what is here
    ck = load_checkpoint(find_model(args.model), device=device)
    for warning in ck.warnings:
        print(f"warning: {shown(warning)}", file=sys.stderr)
    return ck


class SignalStop(KeyboardInterrupt):
    """Raised by ``StopSignals`` for a signal that must end the command now."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.exit_code = 128 + signum


class StopSignals:
    """SIGINT/SIGTERM while a command runs: before ``trainer`` is set (or at a second
    signal) the command ends at once (``SignalStop``, exit 128 + signal); once a trainer is
    set, it is asked to stop cleanly and ``signum`` records why. Restores the old handlers."""

    def __init__(self):
        self.trainer = None
        self.signum: int | None = None
        self._first_at = 0.0
        self._saved: dict = {}

    def __enter__(self) -> "StopSignals":
        for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
            if sig is not None:
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._saved.items():
            signal.signal(sig, old)

    # Under a launcher that leaves its workers in the terminal's process group, a Ctrl-C
    # reaches a worker twice: from the terminal, and again forwarded by the launcher
    # (torchrun forwards what it gets; its own workers sit in new sessions, so they see only
    # that). Within this many seconds the same signal again is that echo, not a second one.
    ECHO_S = 2.0

    def _handle(self, signum, frame) -> None:
        from studio.core.training.distributed import launched_by_torchrun

        now = time.monotonic()
        if launched_by_torchrun() and signum == self.signum and now - self._first_at < self.ECHO_S:
            return  # torchrun forwarding the Ctrl-C this worker already had
        first = self.signum is None
        if first:
            self._first_at = now
        self.signum = self.signum or signum
        if self.trainer is None or not first:  # not training yet, or a second signal
            raise SignalStop(signum)
        self.trainer.request_stop()
