"""Remove the temporary files that an interrupted atomic write leaves behind.

:func:`pipeline.publish.atomic_path` writes each output to a hidden temporary file
``.<target name>.<8 random characters>.tmp`` (``tempfile.mkstemp``) beside the target and
renames it over the target when the write succeeds, so the target is always either the
previous version or the new one, never a partial file. When the writer is killed
(SIGKILL, the out-of-memory killer, a power cut) its clean-up never runs and the hidden
temporary file stays in the folder. It is harmless to readers but holds disk space, so
each stage can call :func:`remove_stale_temporaries` on its output folders first.

A temporary file is *stale* when it has not been modified for ``min_age_seconds``: a live
writer that is still converting a large table may not have written for a while, so the
age threshold (:data:`DEFAULT_MIN_AGE_SECONDS`, one hour; an engineering margin of the
writers, not an analysis parameter, so it is not in params.yaml) should exceed the longest
pause between a write's start and its first bytes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

DEFAULT_MIN_AGE_SECONDS = 3600.0
"""Age after which a leftover temporary counts as stale (seconds)."""

TEMPORARY_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<random>[a-z0-9_]{8})\.tmp$")
"""Names ``tempfile.mkstemp(prefix='.<target>.', suffix='.tmp')`` produces."""


def stale_temporaries(
    folder: str | Path, min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS, now: float | None = None
) -> list[Path]:
    """Leftover atomic-write temporaries in ``folder`` not modified for ``min_age_seconds``.

    Parameters
    ----------
    folder : str or Path
        An output folder (not searched recursively). A missing folder has none.
    min_age_seconds : float
        Minimum time since the file's last modification.
    now : float, optional
        The current time (seconds since the epoch); default ``time.time()``.

    Returns
    -------
    list of Path
        Regular files named like ``.employment.parquet.k3j9x_2a.tmp``, sorted.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    stale = []
    for path in folder.iterdir():
        if not TEMPORARY_NAME.match(path.name) or path.is_symlink() or not path.is_file():
            continue
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:  # its writer finished (renamed it) meanwhile
            continue
        if age >= min_age_seconds:
            stale.append(path)
    return sorted(stale)


def remove_stale_temporaries(
    folder: str | Path, min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS
) -> list[Path]:
    """Delete the stale atomic-write temporaries of ``folder``; return what was removed.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".employment.parquet.abcd1234.tmp").write_bytes(b"partial")
    >>> _ = (folder / "employment.parquet").write_bytes(b"previous")
    >>> [path.name for path in remove_stale_temporaries(folder, min_age_seconds=0)]
    ['.employment.parquet.abcd1234.tmp']
    >>> sorted(path.name for path in folder.iterdir())
    ['employment.parquet']
    """
    removed = []
    for path in stale_temporaries(folder, min_age_seconds):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
