"""Reading a checkpoint's safetensors header as the untrusted input it is.

A header is read only from a regular file (a FIFO or a device is refused, never opened for a
blocking read), at most ``MAX_HEADER`` bytes, and parsed by ``json`` only after its nesting
depth is counted (200,000 levels raised a RecursionError that broke every library listing)
and with integers of at most ``MAX_INT_DIGITS`` digits (5,000 digits raised past json's own
limit). Every failure is a ``CheckpointError`` with a one-line reason.
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
from pathlib import Path

MAX_HEADER = 64 * 1024 * 1024
MAX_DEPTH = 32          # real headers nest 3 deep, their metadata 4 (an optimizer layout 5)
MAX_INT_DIGITS = 40     # no count, size or seed needs more; json's own limit is 4,300


class CheckpointError(Exception):
    """A file that is not a usable Sequence Studio checkpoint; the message says why."""


class open_regular:
    """A regular file opened for reading, or ``CheckpointError``: a FIFO would block the
    open and the reads (``score fifo.safetensors`` hung), a device never ends (/dev/zero).
    O_NONBLOCK makes the open itself return at once; fstat then decides."""

    def __init__(self, path: Path):
        self.path = path
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise CheckpointError(f"{path.name}: cannot read ({exc.strerror or exc})") from exc
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise CheckpointError(f"{path.name}: is a folder, not a checkpoint file")
            if not stat.S_ISREG(mode):
                raise CheckpointError(f"{path.name}: is not a regular file (a device, FIFO or "
                                      "socket)")
        except BaseException:
            os.close(fd)
            raise
        self.file = os.fdopen(fd, "rb")

    def __enter__(self):
        return self.file

    def __exit__(self, *exc) -> None:
        self.file.close()


def header_from(f, path: Path) -> dict:
    try:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path.name}: too short to be a checkpoint")
        (n,) = struct.unpack("<Q", head)
        if n == 0 or n > MAX_HEADER:
            raise CheckpointError(_not_safetensors(path, head))
        blob = f.read(n)
    except OSError as exc:
        raise CheckpointError(f"{path.name}: cannot read ({exc.strerror or exc})") from exc
    if len(blob) < n:
        raise CheckpointError(f"{path.name}: truncated header")
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(_not_safetensors(path, head)) from exc
    header = bounded_json(text, path, "header", _not_safetensors(path, head))
    if not isinstance(header, dict):
        raise CheckpointError(f"{path.name}: not a safetensors checkpoint")
    return header


# a JSON string (escapes included) or one bracket: strings are skipped whole, so a bracket
# inside the metadata text does not count
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class _NumberTooLong(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(f"a number of {len(digits.lstrip('-')):,} digits")
    return int(digits)


def bounded_json(text: str, path: Path, what: str, not_json: str):
    """``json.loads`` after the nesting depth is counted (200,000 levels raised a
    RecursionError that broke every listing) and with integers of at most
    ``MAX_INT_DIGITS`` digits (5,000 digits raised past json's own limit)."""
    depth = 0
    for m in _STRUCTURE.finditer(text):
        ch = text[m.start()]
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise CheckpointError(f"{path.name}: its {what} nests deeper than {MAX_DEPTH} "
                                      "levels (a damaged or hand-made file)")
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_int=_bounded_int)
    except _NumberTooLong as exc:
        raise CheckpointError(f"{path.name}: its {what} holds {exc} (a damaged or hand-made "
                              "file)") from None
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(not_json) from exc


def _not_safetensors(path: Path, head: bytes) -> str:
    if head[:2] == b"PK" or head[:1] == b"\x80":
        return (f"{path.name}: this is a pickle/zip file (e.g. from torch.save); it is refused "
                "because loading it could run code. Export weights as a Sequence Studio checkpoint")
    return f"{path.name}: not a safetensors checkpoint"
