"""The one error path of the ``ats`` command: one line on stderr, a documented exit code.

Every command raises; this module decides what the trader sees. An expected failure — a bad
configuration file or variable, a refused live request, a database fault, an unreachable
venue, a bad flag — becomes exactly one line that names the file, flag or field and says
what to do, and the process exits with the code below. ``ats --debug ...`` (or
``ATS_DEBUG=1``) re-raises instead, so the full traceback is there when it is needed.

Exit codes (also in ``ats --help`` and the README):

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     runtime or venue error (venue unreachable, authentication refused, sync
      errors, an unexpected internal error)
2     usage or configuration error (bad flag, bad YAML, bad environment variable)
3     live trading refused (``--live``, ``--mode live``, ``MODE=live``, a live venue)
4     database fault (corrupt, read-only, full disk, locked, newer schema)
130   interrupted before the command could stop cleanly
====  ==========================================================================
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

import click

from ats.i18n import t

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_LIVE_REFUSED = 3
EXIT_DATABASE = 4
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_RUNTIME: "runtime or venue error",
    EXIT_USAGE: "usage or configuration error",
    EXIT_LIVE_REFUSED: "live trading refused",
    EXIT_DATABASE: "database fault",
    EXIT_INTERRUPTED: "interrupted",
}

def _debug_env() -> bool:
    return os.environ.get("ATS_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


_debug = _debug_env()


def set_debug(on: bool) -> None:
    """Set per invocation (``--debug`` or ``ATS_DEBUG``), so one call cannot leak into the
    next one in the same process (tests run many)."""
    global _debug
    _debug = bool(on) or _debug_env()


def debug_enabled() -> bool:
    return _debug


def one_line(text: str) -> str:
    """Collapse whitespace so the message is exactly one line whatever the source said."""
    return " ".join(str(text).split())


def print_error(message: str) -> None:
    """Write one ``Error: ...`` line to stderr (red on a terminal; plain when piped)."""
    line = one_line(t("cli.error", message=one_line(message)))
    click.secho(line, err=True, fg="red", bold=True)


def exit_with(message: str, code: int) -> NoReturn:
    """One line and the exit code; with ``--debug`` the traceback of the error being
    handled (if any) comes first."""
    if _debug and sys.exc_info()[0] is not None:
        import traceback

        traceback.print_exc()
    print_error(message)
    sys.exit(code)


def classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an exception a command let through."""
    from ats.config.errors import ConfigError
    from ats.config.settings import LiveTradingRefused

    if isinstance(exc, LiveTradingRefused):
        from ats.cli.common import live_message

        return EXIT_LIVE_REFUSED, live_message(exc)
    if isinstance(exc, ConfigError):
        return EXIT_USAGE, exc.describe()
    try:
        from storage.errors import StorageError
    except ImportError:  # pragma: no cover - storage ships with the package
        StorageError = ()  # type: ignore[assignment,misc]  # noqa: N806
    if StorageError and isinstance(exc, StorageError):
        return EXIT_DATABASE, str(exc)
    try:
        from broker_adapters.errors import VenueError
    except ImportError:  # pragma: no cover
        VenueError = ()  # type: ignore[assignment,misc]  # noqa: N806
    if VenueError and isinstance(exc, VenueError):
        from ats.config.settings import ACCEPTANCE_CHECKLIST
        from broker_adapters.errors import BadSymbolError

        if isinstance(exc, BadSymbolError):  # a symbol the venue does not list: input error
            return EXIT_USAGE, str(exc)

        if "live" in type(exc).__name__.lower() or ACCEPTANCE_CHECKLIST in str(exc):
            return EXIT_LIVE_REFUSED, str(exc)
        return EXIT_RUNTIME, t("hostile.venue_error", message=str(exc))
    name = type(exc).__name__
    if name == "BrainStartError":
        return EXIT_RUNTIME, str(exc)
    if name == "UnknownAdapterError":
        return EXIT_USAGE, str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return EXIT_RUNTIME, t("hostile.os_error", where=where,
                               error=exc.strerror or str(exc) or name)
    return EXIT_RUNTIME, t("hostile.unexpected", kind=name, error=str(exc) or name)


class OneLineUsageError(click.ClickException):
    """A click error shown as one line (click's default is usage + hint + error)."""

    def __init__(self, original: click.ClickException) -> None:
        super().__init__(original.format_message())
        self.exit_code = original.exit_code
        ctx = getattr(original, "ctx", None)
        self.command_path = ctx.command_path if ctx is not None else "ats"

    def show(self, file: Any = None) -> None:
        hint = t("hostile.see_help", command=self.command_path)
        print_error(f"{self.format_message()} {hint}")


class AtsGroup(click.Group):
    """The root group: every command's uncaught exception goes through ``classify``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except OneLineUsageError:
            raise
        except click.ClickException as exc:
            raise OneLineUsageError(exc) from None
        except Exception as exc:
            if _debug:
                raise
            code, message = classify(exc)
            print_error(message)
            ctx.exit(code)


class _OneLineFormatter(logging.Formatter):
    """Log records as single lines; tracebacks only with ``--debug``."""

    def format(self, record: logging.LogRecord) -> str:
        text = one_line(record.getMessage())
        if _debug and record.exc_info:
            return f"{record.levelname.lower()}: {text}\n{self.formatException(record.exc_info)}"
        return f"{record.levelname.lower()}: {text}"


class _StderrHandler(logging.Handler):
    """Writes to the *current* ``sys.stderr`` (click's test runner swaps it per call)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a closed stream must not turn a log line into a crash
            self.handleError(record)


def configure_logging() -> None:
    """Warnings and errors on stderr, one line each; installed once per process.

    Without this, Python's last-resort handler prints every ``log.exception`` with its
    traceback — 50,000 of them when a disk filled during a run.
    """
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, _StderrHandler):
            h.setLevel(logging.DEBUG if _debug else logging.WARNING)
            return
    handler = _StderrHandler(logging.DEBUG if _debug else logging.WARNING)
    handler.setFormatter(_OneLineFormatter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    if _debug:
        root.setLevel(logging.DEBUG)
