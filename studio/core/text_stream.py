"""Big UTF-8 text files in bounded memory: read in chunks, encode into a compact token array.

A 300 MB corpus read whole costs its bytes, its str and then a Python list of ints (8
bytes a character and more): 5.8-7 GB resident, minutes without a word. Here the file is
read twice in ``CHUNK`` pieces: the first pass checks it (UTF-8, no NUL byte anywhere, not
empty), hashes it and counts every character (``numpy.bincount`` over code points); the second
hashes it again and translates each piece to token ids with ``str.translate`` into a ``uint8`` array (``uint16``
past 256 tokens). Up to ``IN_MEMORY_TOKENS`` the array lives in memory; a larger one is
written once to a cache file in the user data folder (keyed by the file's hash and the
vocabulary) and memory-mapped, so it costs page cache, not heap, and a resumed run on the
same corpus reads it back without encoding again. A file that changes between the passes
(another program writing it: same length, other characters) would give ids the vocabulary
lacks, so the second pass's hash must equal the first's, and the array is used or cached
only then. Newlines are normalised as
``read_text_file`` does (CRLF and CR -> LF), and a leading BOM is dropped.

Both passes report progress through a callback at most every ``PROGRESS_S`` seconds, and
return to Python between pieces, so Ctrl-C stops them at once.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from studio.core.corpus import CorpusError
from studio.core.data import require_text_file
from studio.core.vocab import SPECIALS, Vocab

CHUNK = 8 << 20
IN_MEMORY_TOKENS = 256 << 20
PROGRESS_S = 2.0
CACHE_KEEP = 4
_CODEPOINTS = 0x110000


@dataclass
class TextScan:
    path: Path
    size: int            # bytes
    sha256: str
    characters: int      # after newline normalisation
    lines: int
    counts: np.ndarray   # occurrences per code point

    def chars(self) -> list[str]:
        return [chr(c) for c in np.flatnonzero(self.counts)]


class _Progress:
    def __init__(self, callback: Callable[[str], None] | None, what: str, total: int):
        self.callback, self.what, self.total = callback, what, max(1, total)
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if self.callback is not None and now - self.last >= PROGRESS_S:
            self.last = now
            self.callback(f"{self.what}: {100 * done / self.total:.0f}% "
                          f"({done / 1e6:.0f} of {self.total / 1e6:.0f} MB)")


def _pieces(path: Path, on_bytes=None):
    """(raw bytes, normalised text) per chunk; UnicodeDecodeError carries file offsets."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    held_cr = ""
    offset = 0
    with open(path, "rb") as f:
        while True:
            raw = f.read(CHUNK)
            final = not raw
            pending = len(decoder.getstate()[0])  # bytes of a character split across chunks
            try:
                text = decoder.decode(raw, final=final)
            except UnicodeDecodeError as exc:
                raise _DecodeError(offset - pending + exc.start) from None
            if offset == 0 and text.startswith("\ufeff"):
                text = text[1:]  # a BOM, as utf-8-sig reads it
            text = held_cr + text
            held_cr = ""
            if text.endswith("\r") and not final:  # a CRLF may be split between chunks
                text, held_cr = text[:-1], "\r"
            yield raw, text.replace("\r\n", "\n").replace("\r", "\n"), offset
            offset += len(raw)
            if on_bytes is not None:
                on_bytes(offset)
            if final:
                return


class _DecodeError(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def scan_text(path, progress: Callable[[str], None] | None = None) -> TextScan:
    """Pass 1: CorpusError for missing, folder, empty, binary or non-UTF-8 files."""
    path = require_text_file(path)
    try:
        size = path.stat().st_size
        digest = hashlib.sha256()
        counts = np.zeros(_CODEPOINTS, dtype=np.int64)
        lines = 1
        newlines_before = 0
        nonblank = False
        report = _Progress(progress, f"reading {path.name}", size)
        for raw, text, offset in _pieces(path, report):
            # Every piece, not only the first: a NUL deep in the file is as binary as one
            # at the start, and would otherwise become a vocabulary token.
            nul = raw.find(b"\x00")
            if nul >= 0:
                raise CorpusError(f"{path.name}: looks like a binary file (it has NUL bytes, the "
                                  f"first at byte offset {offset + nul}), not UTF-8 text")
            digest.update(raw)
            nonblank = nonblank or bool(raw.strip())
            newlines_before += raw.count(b"\n")
            if text:
                counts += np.bincount(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32),
                                      minlength=_CODEPOINTS)
                lines += text.count("\n")
    except _DecodeError as err:
        with open(path, "rb") as f:
            head = f.read(err.offset + 1)
        line = head[: err.offset].count(b"\n") + 1
        raise CorpusError(f"{path.name}: not UTF-8 text (byte 0x{head[err.offset]:02x} at line "
                          f"{line}, byte offset {err.offset}); save it as UTF-8 and retry") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not nonblank:
        raise CorpusError(f"{path.name}: the file is empty")
    return TextScan(path, size, digest.hexdigest(), int(counts.sum()), lines, counts)


def encode_text(scan: TextScan, vocab: Vocab, progress: Callable[[str], None] | None = None
                ) -> tuple[np.ndarray, int]:
    """Pass 2: (token ids, how many characters became <unk>). Characters the vocabulary
    lacks map to <unk> (a fine-tuned model's vocabulary); a fresh vocabulary has them all."""
    dtype = np.uint8 if len(vocab) <= 256 else np.uint16 if len(vocab) <= 65536 else np.int32
    unknown = [c for c in scan.chars() if c not in vocab or c in SPECIALS]
    table = {ord(c): vocab.index[c] for c in scan.chars() if c in vocab and c not in SPECIALS}
    table.update({ord(c): vocab.unk_id for c in unknown})
    unk = int(sum(scan.counts[ord(c)] for c in unknown))
    n = scan.characters
    cache = None
    if n > IN_MEMORY_TOKENS:
        cache = _cache_path(scan, vocab, dtype)
        if cache.exists() and cache.stat().st_size == n * np.dtype(dtype).itemsize:
            os.utime(cache)
            return np.memmap(cache, dtype=dtype, mode="c", shape=(n,)), unk
    tmp = cache.with_name(cache.name + f".{os.getpid()}.tmp") if cache else None
    out = np.memmap(tmp, dtype=dtype, mode="w+", shape=(n,)) if tmp else np.empty(n, dtype=dtype)
    try:
        pos = 0
        digest = hashlib.sha256()
        report = _Progress(progress, f"encoding {scan.path.name}", scan.size)
        try:
            for raw, text, _ in _pieces(scan.path, report):
                digest.update(raw)
                if not text:
                    continue
                # A character the scan never saw passes str.translate unchanged; the hash
                # check below refuses the array, but its id may not fit the dtype first.
                ids = text.translate(table)
                if dtype == np.uint8:
                    piece = np.frombuffer(ids.encode("latin-1"), dtype=np.uint8)
                elif dtype == np.uint16:
                    piece = np.frombuffer(ids.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
                else:
                    piece = np.frombuffer(ids.encode("utf-32-le"), dtype=np.uint32).astype(np.int32)
                if pos + len(piece) > n:
                    raise _changed(scan, "it grew")
                out[pos:pos + len(piece)] = piece
                pos += len(piece)
        except (_DecodeError, UnicodeEncodeError):
            raise _changed(scan, "characters the first reading did not have") from None
        except OSError as exc:
            raise CorpusError(f"{scan.path}: cannot read ({exc.strerror or exc})") from exc
        if pos != n:
            raise _changed(scan, "its length changed")
        if digest.hexdigest() != scan.sha256:
            raise _changed(scan, "its contents changed: the second reading's sha256 differs")
        if tmp is None:
            return out, unk
        out.flush()
        del out
        os.replace(tmp, cache)
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    _prune_cache(cache.parent)
    return np.memmap(cache, dtype=dtype, mode="c", shape=(n,)), unk


def _changed(scan: TextScan, how: str) -> CorpusError:
    """The file is not what the first pass read, so its ids would not match the vocabulary."""
    return CorpusError(f"{scan.path.name}: the file changed while it was read ({how}); "
                       "nothing was trained or cached: wait until whatever writes it has "
                       "finished, then retry")


def _cache_path(scan: TextScan, vocab: Vocab, dtype) -> Path:
    from studio.paths import user_data_dir

    folder = user_data_dir() / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256((scan.sha256 + "\0" + "\0".join(vocab.tokens)).encode()).hexdigest()[:32]
    return folder / f"tokens-{key}.{np.dtype(dtype).name}"


def _prune_cache(folder: Path) -> None:
    """Keep the CACHE_KEEP most recently used token files."""
    files = sorted(folder.glob("tokens-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[CACHE_KEEP:]:
        if not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
