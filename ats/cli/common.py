"""Helpers shared by CLI commands: the live gate, error exits, the rich console."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import NoReturn

import click
from rich.console import Console

from ats.config.settings import ACCEPTANCE_CHECKLIST, LiveTradingRefused, refuse_live
from ats.i18n import language, t

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line to stderr and exit non-zero (codes: ``ats.cli.errors``)."""
    from ats.cli.errors import exit_with

    exit_with(message, code)


def live_message(exc: LiveTradingRefused) -> str:
    if language() == "en":
        return str(exc)
    return t("live.refused", message=str(exc), checklist=ACCEPTANCE_CHECKLIST)


def guard_live(mode: str | None, live_flag: bool = False) -> None:
    """Refuse live trading from any flag or the environment; exits with code 3."""
    try:
        if live_flag:
            refuse_live("live", "--live")
        refuse_live(mode, "--mode live")
    except LiveTradingRefused as exc:
        fail(live_message(exc), code=3)


def mode_options(func: click.decorators.FC) -> click.decorators.FC:
    """``--paper`` / ``--mode`` / ``--live``: the same three flags on every trading command."""
    func = click.option("--live", "live", is_flag=True, help="Refused: live trading is locked.")(
        func
    )
    func = click.option(
        "--mode", "mode", type=click.Choice(["paper", "vst", "demo", "live"]), default=None,
        help="Trading mode (default paper; live is refused).",
    )(func)
    func = click.option("--paper", "paper", is_flag=True, help="Paper mode (the default).")(func)
    return func


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install_stop_handlers(
    loop: asyncio.AbstractEventLoop, handler: Callable[[signal.Signals], None]
) -> list[signal.Signals]:
    """Route SIGINT/SIGTERM to ``handler`` so a command can stop after its current step.

    Returns the signals actually installed: none off the main thread (tests) or where the
    loop has no signal support (Windows' loop raises NotImplementedError).
    """
    installed: list[signal.Signals] = []
    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, handler, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    return installed


def remove_stop_handlers(loop: asyncio.AbstractEventLoop, installed: list[signal.Signals]) -> None:
    for sig in installed:
        loop.remove_signal_handler(sig)
