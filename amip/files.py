"""Files and folders amip creates that only their owner may read (users database, secret key,
reports): files 0600, folders 0700, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private(path, flags: int) -> int:
    """An opener for :func:`open` (``open(p, "w", opener=private)``): the file is readable by
    its owner only (mode 0600, also when it existed before and is ours)."""
    fd = os.open(path, flags, FILE_MODE)
    if os.fstat(fd).st_uid == os.geteuid():
        os.fchmod(fd, FILE_MODE)
    return fd


def private_dir(path: Path | str) -> Path:
    """Create the folder ``path`` and its missing parents with mode 0700 (existing ones are
    left as they are); returns ``path``."""
    path = Path(path)
    if not path.is_dir():
        private_dir(path.parent)
        path.mkdir(mode=DIR_MODE, exist_ok=True)
    return path
