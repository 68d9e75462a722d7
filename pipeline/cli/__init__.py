"""The ``regclust`` command line: one command per DVC stage, plus validate / run / fetch and
the questions show / top / related.

Importing this package registers every command on :data:`app`, in the order
``regclust --help`` lists them; the console script is :func:`entry_point`. Only pandas,
typer and the settings load here: each stage command imports its own stage module when it
runs (see :mod:`pipeline.cli.stage_commands`).
"""

# The modules register their commands as they are imported: this order is the help's.
from pipeline.cli import stage_commands  # noqa: F401  # isort: skip
from pipeline.cli import own_data  # noqa: F401  # isort: skip
from pipeline.cli import queries  # noqa: F401  # isort: skip
from pipeline.cli.app import app
from pipeline.cli.entry import entry_point, main, usage_message

__all__ = ["app", "entry_point", "main", "usage_message"]
