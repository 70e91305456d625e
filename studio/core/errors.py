"""Which exceptions are a person's mistake or a bad file (one clear line), not a bug."""

from __future__ import annotations

import errno


def user_message(exc: BaseException) -> str | None:
    from studio.core.checkpoint import CheckpointError
    from studio.core.corpus import CorpusError
    from studio.core.outputs import OutputError, write_error
    from studio.core.signing import SigningError
    from studio.core.training.trainer import OutOfMemory
    from studio.core.vocab import VocabError

    if isinstance(exc, (CheckpointError, CorpusError, VocabError, OutOfMemory, OutputError,
                        SigningError)):
        return str(exc)
    if isinstance(exc, (FileNotFoundError, PermissionError, FileExistsError, IsADirectoryError)):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno == 28:
        return f"the disk is full ({exc.filename or 'writing'}); nothing was overwritten"
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, getattr(errno, "EDQUOT", -1), errno.EFBIG):
        return write_error(exc.filename or "the file", exc)
    if isinstance(exc, ValueError):
        return str(exc)
    return None
