"""User-facing errors: one line, naming the file, the row or column, and the fix."""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input or settings.

    The CLI prints ``str(error)`` on one line and exits with code 2, without a traceback
    (``--debug`` shows it).
    """
