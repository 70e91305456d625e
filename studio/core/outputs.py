"""Writing a user's file: the one policy every verb (and the window) follows.

- One writer per path: ``OutputClaim`` holds an advisory lock (``flock`` on a ``.NAME.lock``
  file beside it) for as long as the command writes there, so two runs given the same
  ``--out`` cannot both pass the existence check (the second is refused at once); the
  kernel drops the lock when a process dies, even by kill -9.
- An existing file (or a symlink, dangling or not) is kept unless ``force``; a Sequence
  Studio model is never replaced by anything that is not a model (``sample --out
  LIB/model.safetensors`` wrote MIDI over a model), with or without ``force``.
- Atomic: written to a temp file in the same folder, fsynced, then renamed over the path
  (never through a symlink: the rename replaces the link itself). Without ``force`` the
  rename is a hard link, which fails if a file appeared meanwhile.
- Creating the lock file is also the writability check: a read-only folder, a full quota
  or a missing permission is reported before any work starts (training ran to its first
  evaluation and then died with an OSError traceback).
- ``write_error`` words every way a write can fail in one plain sentence (EROFS, EDQUOT,
  ENOSPC, EACCES ...), naming the file written, not the one read.
"""

from __future__ import annotations

import errno
import glob
import os
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an O_EXCL lock file instead (a crash leaves it: the message says)
    fcntl = None

_REASONS = {
    errno.ENOSPC: "the disk is full",
    getattr(errno, "EDQUOT", -1): "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file would be larger than allowed (a file system or `ulimit -f` limit)",
}


def write_error(path, exc: OSError) -> str:
    """``cannot write PATH: the file system is read-only`` and the like."""
    reason = _REASONS.get(exc.errno) or exc.strerror or str(exc)
    return f"cannot write {path}: {reason}"


class OutputError(OSError):
    """A file that cannot be written where asked; ``str()`` is the one-line reason."""

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class OutputClaim:
    """Claim ``path`` for writing (see the module docstring). Use as a context manager;
    ``write(fn)`` then writes through a temp file: ``fn(tmp_path)`` fills it."""

    def __init__(self, path, force: bool = False, model: bool = False):
        self.path = Path(path)
        self.force = force
        self.model = model  # what is written is a model (a model may then replace a model)
        self._lock_path = self.path.with_name(f".{self.path.name}.lock")
        self._fd: int | None = None

    # -- the claim ------------------------------------------------------------------------
    def __enter__(self) -> "OutputClaim":
        if self.path.is_dir():
            raise OutputError(f"{self.path} is a folder; give a file name, e.g. "
                              f"{self.path / ('model.safetensors' if self.model else 'take.mid')}")
        self._lock()
        try:
            self.check()
            self._remove_stale_temps()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def check(self) -> None:
        """Refuse an existing file without ``force``, and a model under anything else."""
        if not os.path.lexists(self.path):
            return
        if not self.model and is_model_file(self.path):
            raise OutputError(f"{self.path} is a Sequence Studio model: a take is never written "
                              "over a model (choose another file name)")
        if not self.force:
            raise FileExistsError(f"{self.path} already exists; add --force to replace it, or "
                                  "choose another name")

    def _lock(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL)
            while True:
                fd = os.open(self._lock_path, flags, 0o644)
                if fcntl is None:
                    break
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise self._busy() from None
                try:  # the holder before us may have unlinked it: lock the file that is there
                    if os.fstat(fd).st_ino == os.stat(self._lock_path).st_ino:
                        break
                except FileNotFoundError:
                    pass
                os.close(fd)
        except FileExistsError:  # O_EXCL (no fcntl): another run, or one that crashed
            raise self._busy(stale_hint=True) from None
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            raise OutputError(write_error(self.path, exc) + "; nothing was started") from exc
        self._fd = fd

    def _busy(self, stale_hint: bool = False) -> OutputError:
        hint = f" (if none is running, delete {self._lock_path})" if stale_hint else ""
        return OutputError(f"another Sequence Studio command is writing {self.path} now; wait "
                           f"for it to finish or choose another name{hint}")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self._lock_path)  # while still locked: a waiter then re-checks the inode
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def _remove_stale_temps(self) -> None:
        """Temp files of a killed writer of this path (we hold its lock: none is live)."""
        pattern = f".{glob.escape(self.path.name)}.*.tmp{glob.escape(self.path.suffix)}"
        for tmp in self.path.parent.glob(pattern):
            try:
                tmp.unlink()
            except OSError:
                pass

    # -- the write ------------------------------------------------------------------------
    def write(self, fill) -> Path:
        """``fill(tmp)`` writes the content to ``tmp`` (same folder, same suffix); then it
        is fsynced and renamed to the path. Returns the path."""
        tmp = None
        try:
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.",
                                        suffix=".tmp" + self.path.suffix, dir=self.path.parent)
            os.close(fd)
            tmp = Path(name)
            fill(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a take is ordinary user data
            self._commit(tmp)
        except OSError as exc:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            if isinstance(exc, (OutputError, FileExistsError)):
                raise
            raise OutputError(write_error(self.path, exc) + "; nothing was overwritten") from exc
        except BaseException:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise
        return self.path

    def _commit(self, tmp: Path) -> None:
        self.check()  # a file that appeared while this one was written (another program)
        if self.force:
            os.replace(tmp, self.path)
            return
        try:
            os.link(tmp, self.path)  # fails if the name exists: no window to clobber one
        except FileExistsError:
            raise FileExistsError(f"{self.path} already exists; add --force to replace it, "
                                  "or choose another name") from None
        except OSError:  # a file system without hard links: the check above, then a rename
            os.replace(tmp, self.path)
            return
        tmp.unlink(missing_ok=True)


def write_file(path, fill, force: bool = False) -> Path:
    """Claim, write and release in one call: for a take, a WAV, a lead sheet."""
    with OutputClaim(path, force=force) as claim:
        return claim.write(fill)


def is_model_file(path) -> bool:
    """Whether ``path`` (not through a symlink: replacing a link harms no model) is a
    Sequence Studio checkpoint, damaged or not: a safetensors header with the format tag."""
    import stat
    import struct

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return False
            (n,) = struct.unpack("<Q", head)
            # a safetensors header is a JSON object (even cut short); our own MIDI takes
            # carry the words "sequence-studio" too (the written notes), and were refused
            # as models when --force re-wrote one
            header = f.read(min(n, 1 << 20))
            return header[:1] == b"{" and b'sequence-studio' in header
    except OSError:
        return False
