"""Why a trainer process failed, in one readable sentence.

A run under torchrun that dies before its first JSON line leaves only stderr: the
elastic launcher's dump (ChildFailedError, "Root Cause", rank, exitcode, a link) around
the one line that matters. The window showed that dump raw (issue 25, defect 1: the
cause, "No usable temporary directory found", was buried in it). ``failure_reason``
picks the cause: a known one is said in plain words with what to do; otherwise the
first exception line that is not the launcher's own wrapper.
"""

from __future__ import annotations

import re

# (pattern in stderr, what to tell the user): causes seen on shared machines
KNOWN = [
    (re.compile(r"No usable temporary directory found", re.I),
     "Python found no usable temporary directory (the disk holding /tmp or TMPDIR is full "
     "or not writable); free some space there, then Start again"),
    (re.compile(r"address already in use|EADDRINUSE", re.I),
     "the network port the processes meet on was taken (another run starting at the same "
     "moment); Start again"),
    (re.compile(r"No space left on device", re.I),
     "the disk is full; free some space, then Start again"),
    (re.compile(r"(Killed|out of memory|MemoryError|CUDA out of memory)", re.I),
     "a training process ran out of memory; try a smaller batch or hidden size, or fewer "
     "processes"),
]
# "[rank1]: ", "[default0]:" and timestamps the launcher puts before each child's line
_PREFIX = re.compile(r"^(\[[^\]]*\]:?\s*)+")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt)):\s*(.+)$")
# the launcher's wrappers: they say a child failed, not why
_WRAPPERS = ("ChildFailedError", "SignalException", "RendezvousError")


def failure_reason(lines: list[str]) -> str | None:
    """The cause of a failed run from its stderr lines, or None when none is found."""
    clean = [_PREFIX.sub("", line).strip() for line in lines]
    for pattern, said in KNOWN:
        if any(pattern.search(line) for line in clean):
            return said
    for line in clean:
        match = _EXCEPTION.match(line)
        if match and not match.group(1).endswith(_WRAPPERS):
            name = match.group(1).rsplit(".", 1)[-1]
            return f"{name}: {match.group(3)}"
    return None


def failure_message(code: int, lines: list[str], processes: int) -> str:
    """The dialog's text: the reason, and that the same settings can be started again."""
    reason = failure_reason(lines)
    where = f" ({processes} processes)" if processes > 1 else ""
    head = (f"The trainer{where} stopped before it finished: {reason}." if reason else
            f"The trainer{where} exited with code {code} before it finished.")
    return head + "\n\nThe settings are kept: press Start to try again. Show Details has " \
                  "the trainer's own messages."


def show_failure(parent, code: int, lines: list[str], processes: int) -> None:
    """The Train tab's dialog: the reason; the trainer's own lines under Show Details."""
    from studio.gui.shared.errors import show_error

    box = show_error(parent, "Training failed", failure_message(code, lines, processes))
    if lines:
        box.setDetailedText("\n".join(lines[-60:]))
