"""Caches of NumPy arrays kept on disk by several processes at once (:mod:`.segment_store`,
:mod:`.density_store`).

A file appears under its name complete or not at all: it is written aside under a name of its own (this
process and thread), then renamed, so a reader never sees half a file and two writers never mix theirs.
Arrays only: such files are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import threading
from pathlib import Path

import numpy as np

_ASIDE = ".tmp"


def remove_leftovers(path: Path) -> int:
    """Delete the aside files of ``path`` that writers killed mid-write left behind; returns how many.
    Only for a caller that knows no other writer is at work (it holds the writers' lock)."""
    removed = 0
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.*{_ASIDE}"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    return removed


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (an ``.npz`` file) atomically. Raises OSError (a full or read-only disk)
    having left nothing behind, not even the aside file."""
    # The aside name starts with the file's own name: a cache named after a Whoosh segment keeps Whoosh's
    # clean-up removing a leftover together with the segment.
    aside = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}{_ASIDE}")
    try:
        with aside.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
        os.replace(aside, path)
    except OSError:
        with contextlib.suppress(OSError):
            aside.unlink()
        raise
