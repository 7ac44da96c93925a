"""Opening the table files of an extract: only a regular file is read, and nothing waits.

A path is checked before it is opened (``os.stat`` follows a symlink, so a link to a regular
file is fine), opened without blocking and checked again on the open descriptor, so that a FIFO
or a device swapped in meanwhile is never read. Everything taken from the file (its hash, its
rows) comes from that one descriptor.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import weakref
from pathlib import Path
from typing import BinaryIO

from amip.errors import DataError

#: what a path is, when it is not a regular file (by ``stat.S_IFMT``)
NOT_A_FILE: dict[int, str] = {
    stat.S_IFDIR: "ist ein Verzeichnis, keine Datei",
    stat.S_IFIFO: "ist keine reguläre Datei (FIFO)",
    stat.S_IFCHR: "ist keine reguläre Datei (Gerätedatei)",
    stat.S_IFBLK: "ist keine reguläre Datei (Blockgerät)",
    stat.S_IFSOCK: "ist keine reguläre Datei (Socket)",
}
#: why a path cannot be opened (by ``errno``)
CANNOT_OPEN: dict[int, str] = {
    errno.ENOENT: "nicht gefunden",
    errno.ELOOP: "Verknüpfung im Kreis (Symlink-Schleife)",
    errno.EACCES: "kann nicht gelesen werden (keine Berechtigung)",
    errno.EPERM: "kann nicht gelesen werden (keine Berechtigung)",
    errno.ENOTDIR: "nicht gefunden",
}
DANGLING = "Verknüpfung ins Leere"
EMPTY = "ist leer (0 Bytes)"


class FileProblem(DataError):
    """A path that is not a readable regular file; the message says why, in German."""


class OpenFile:
    """A regular file opened for reading; its descriptor is closed with :meth:`close` or when
    the object is no longer referenced."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._finalizer = weakref.finalize(self, os.close, fd)

    @property
    def path(self) -> str:
        """A path to this very file (not to whatever its name points to by now), for readers
        that open by path, such as DuckDB's ``read_parquet``."""
        return f"/proc/self/fd/{self.fd}"

    def stream(self) -> BinaryIO:
        """A file object reading from the start (close it; the descriptor stays open)."""
        f = open(self.fd, "rb", closefd=False)
        f.seek(0)
        return f

    def read(self) -> bytes:
        with self.stream() as f:
            return f.read()

    def sha256(self) -> str:
        with self.stream() as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "OpenFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_regular(path: Path) -> OpenFile:
    """Open ``path`` if it is a regular, non-empty file; raise :class:`FileProblem` otherwise."""
    try:
        problem = _not_regular(os.stat(path).st_mode)
        if problem:
            raise FileProblem(problem)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise FileProblem(why_not(path, e)) from None
    info = os.fstat(fd)  # the file opened: another one may have taken the name meanwhile
    problem = _not_regular(info.st_mode) or (EMPTY if info.st_size == 0 else None)
    if problem:
        os.close(fd)
        raise FileProblem(problem)
    return OpenFile(fd)


def why_not(path: Path, e: OSError) -> str:
    """The German reason why ``path`` could not be opened or listed."""
    if e.errno == errno.ENOENT and os.path.islink(path):
        return DANGLING
    code = e.errno or 0
    return CANNOT_OPEN.get(code, f"kann nicht geöffnet werden ({errno.errorcode.get(code, e)})")


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return NOT_A_FILE.get(stat.S_IFMT(mode), "ist keine reguläre Datei")
