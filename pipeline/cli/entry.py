"""The console entry point: run the app and turn every error into one line and an exit
status (0 success, 2 user or usage error, 1 unexpected failure, 130 interrupted).

User errors print one line and exit with code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import difflib
import errno
import os
import sys
import traceback
import warnings

import click
import typer
from typer._click import exceptions as typer_click_exceptions

from pipeline.cli.app import app
from pipeline.errors import UserError


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings print as one line, like errors."""
    print(f"regclust: warning: {message}", file=sys.stderr)


USAGE_ERRORS = (click.exceptions.UsageError, typer_click_exceptions.UsageError)
CLICK_ERRORS = (click.exceptions.ClickException, typer_click_exceptions.ClickException)
NO_ARGS = (click.exceptions.NoArgsIsHelpError, typer_click_exceptions.NoArgsIsHelpError)
ABORTS = (click.exceptions.Abort, typer.Abort)


PYDANTIC_WORDING = {  # typer's validation message -> said of the value typed
    "Input should be a valid integer, unable to parse string as an integer": "is not a whole number",
    "Input should be a valid number, unable to parse string as a number": "is not a number",
}


def _with_typed_value(message: str, error: Exception, arguments: list[str]) -> str:
    """Name the value the user typed in typer's "Input should be ..." messages.

    ``Invalid value for '--year': Input should be a valid integer, ...`` becomes
    ``Invalid value for '--year': 'abc' is not a whole number``.
    """
    detail = getattr(error, "message", "")
    options = getattr(getattr(error, "param", None), "opts", None) or []
    if not detail.startswith("Input should be") or detail not in message:
        return message
    typed = None
    for position, word in enumerate(arguments):
        name, equals, value = word.partition("=")
        if name in options:  # --year abc, --year=abc
            typed = value if equals else next(iter(arguments[position + 1 :]), None)
        elif any(len(option) == 2 and word.startswith(option) for option in options):
            typed = word[2:]  # -n0
    if typed is None:
        return message
    wording = PYDANTIC_WORDING.get(detail, detail.replace("Input should", "should", 1))
    return message.replace(detail, f"'{typed}' {wording}")


def usage_message(error: Exception, arguments: list[str] | None = None) -> str:
    """One line for a usage error: what is wrong, a 'did you mean', and where help is.

    ``arguments`` (the command line) names the command in the help hint when the error
    carries no context (e.g. an option missing its value).
    """
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    message = " ".join(message.split())
    message = _with_typed_value(message, error, arguments or [])
    context = getattr(error, "ctx", None)
    command = getattr(context, "command", None)
    commands = getattr(command, "commands", None)
    if message.startswith("No such command") and commands and "did you mean" not in message.lower():
        typed = message.split("'")[1] if "'" in message else ""
        close = difflib.get_close_matches(typed, list(commands), n=1, cutoff=0.5)
        if close:
            message = message.rstrip(".") + f"; did you mean '{close[0]}'?"
        else:
            message = message.rstrip(".") + f"; commands: {', '.join(sorted(commands))}"
    possibilities = getattr(error, "possibilities", None)
    if possibilities:
        option = getattr(error, "option_name", "")
        close = difflib.get_close_matches(option, list(possibilities), n=1, cutoff=0.5)
        base = getattr(error, "message", message)
        message = f"{base}; did you mean {close[0]}?" if close else message
    path = getattr(context, "command_path", None)
    if not path:
        known = typer.main.get_command(app).commands if arguments else {}
        named = next((word for word in arguments or [] if word in known), None)
        path = f"regclust {named}" if named else "regclust"
    return f"{message} (see '{path} --help')"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``regclust`` console script; returns the exit status.

    0 success; 2 a user error or a usage error (one line on stderr, never a traceback;
    ``--debug`` adds the traceback of a user error); 1 an unexpected failure (traceback;
    one line for a full disk); 130 interrupted.
    """
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    warnings.showwarning = _one_line_warning
    arguments = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in arguments
    try:
        result = app(args=arguments, standalone_mode=False, prog_name="regclust")
    except UserError as error:
        if debug:
            traceback.print_exc()
        print(f"regclust: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regclust: interrupted; outputs already written are intact", file=sys.stderr)
        return 130
    except NO_ARGS as error:  # bare `regclust` (or a group without its command): help
        context = getattr(error, "ctx", None)
        typer.echo(context.get_help() if context is not None else "regclust --help")
        return 0
    except USAGE_ERRORS as error:
        print(f"regclust: error: {usage_message(error, arguments)}", file=sys.stderr)
        return 2
    except CLICK_ERRORS as error:  # e.g. a file option that cannot be opened
        print(f"regclust: error: {usage_message(error, arguments)}", file=sys.stderr)
        return 2
    except ABORTS:
        print("regclust: aborted", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk is no bug of regclust: one line, like a user error
        if debug or error.errno != errno.ENOSPC:
            raise
        where = f" ({error.filename})" if error.filename else ""
        print(f"regclust: error: no space left on the device{where}; free some", file=sys.stderr)
        return 1
    except (typer.Exit, click.exceptions.Exit, SystemExit) as stop:
        return int(getattr(stop, "exit_code", getattr(stop, "code", 0)) or 0)
    return result if isinstance(result, int) else 0


def entry_point() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
