"""The trader's actions on the desk: flatten, cancel orders, disable/enable a strategy and
the kill switch (which also cancels resting orders, and flattens if asked).

Each one asks for confirmation (``ConfirmAction`` / ``KillSwitchDialog``), then goes on the
brain's action queue as a ``TraderAction``; the desk asks the brain to drain the queue at
once, which takes the brain's cycle lock — so an action waits for a running cycle to end
and never changes anything half-way through one. The brain journals every action; the
desk notes it in the event log. All of them are in the command palette (Ctrl+P).
"""

from __future__ import annotations

from functools import partial

from ats.brain.actions import TraderAction
from ats.i18n import t
from ats.i18n.said import render
from ats.tui.host import DeskHost
from ats.tui.messages import SnapshotReady
from ats.tui.screens.actions import ConfirmAction, Confirmed, PickScreen
from ats.tui.screens.kill_switch import KillSwitchDialog
from ats.tui.widgets.strategies import status_label


class DeskActions(DeskHost):
    # ------------------------------------------------------------------ the queue
    async def submit_action(self, action: TraderAction) -> None:
        """Queue ``action`` for the brain and have it drained (never mid-cycle)."""
        await self.ensure_started()
        queue = getattr(self.brain, "actions", None)
        if queue is None:  # a brain without a queue (a test double): only the kill switch
            if action.kind == "kill":
                await self.brain.engage_kill_switch(action.reason)
            return
        queue.put(action)
        self.add_event("action", t("desk2.action.queued", what=self.describe(action)))
        results = await self.brain.apply_actions_now()  # type: ignore[attr-defined]
        for r in results:
            # the brain journals every applied action and reload_journal shows that record;
            # a desk copy of the same text made each action appear twice. A failure also
            # gets a red desk line, which is worth the repetition.
            if not r.ok:
                self.add_event("error", render(r.text))  # a Said: in the reader's language
        self.post_message(SnapshotReady(self.brain.snapshot))
        self.reload_journal()

    def _submit(self, action: TraderAction) -> None:
        self.run_worker(partial(self.submit_action, action), group="commands",
                        exit_on_error=False, name=f"action-{action.kind}")

    @staticmethod
    def describe(a: TraderAction) -> str:
        return t(f"desk2.action.what.{a.kind}", target=a.target,
                 flatten=t("desk2.action.and_flatten") if a.flatten else "")

    # ------------------------------------------------------------------ flatten / cancel
    def _positions(self) -> list[tuple[str, str]]:
        snap = self.latest
        if snap is None:
            return []
        return [(p.symbol, f"{p.symbol}  {t(f'tui.side.{p.side.value}')} {abs(p.qty):g} "
                 f"@ {p.entry_price:.6g}  {p.unrealized_pnl:+,.2f}") for p in snap.positions]

    def _order_symbols(self) -> list[tuple[str, str]]:
        snap = self.latest
        if snap is None:
            return []
        counts: dict[str, int] = {}
        for o in snap.open_orders:
            counts[o.symbol] = counts.get(o.symbol, 0) + 1
        return [(s, t("desk2.action.n_orders", symbol=s, n=n)) for s, n in counts.items()]

    def action_flatten(self) -> None:
        self.push_screen(PickScreen(t("desk2.action.flatten_pick"), self._positions(),
                                    t("desk2.action.no_positions")),
                         callback=partial(self._confirm_target, "flatten"))

    def action_cancel_orders(self) -> None:
        self.push_screen(PickScreen(t("desk2.action.cancel_pick"), self._order_symbols(),
                                    t("desk2.action.no_orders")),
                         callback=partial(self._confirm_target, "cancel_orders"))

    def _strategies(self, want_disabled: bool) -> list[tuple[str, str]]:
        snap = self.latest
        if snap is None:
            return []
        return [(s.name, f"{s.name}  ({status_label(s.status)})")
                for s in snap.strategies if (s.status == "disabled") == want_disabled]

    def action_disable_strategy(self) -> None:
        self.push_screen(PickScreen(t("desk2.action.disable_pick"), self._strategies(False),
                                    t("desk2.action.no_strategies")),
                         callback=partial(self._confirm_target, "disable"))

    def action_enable_strategy(self) -> None:
        self.push_screen(PickScreen(t("desk2.action.enable_pick"), self._strategies(True),
                                    t("desk2.action.no_disabled")),
                         callback=partial(self._confirm_target, "enable"))

    def _confirm_target(self, kind: str, target: str | None) -> None:
        if not target:
            return
        what = self.describe(TraderAction(kind, target))  # type: ignore[arg-type]
        self.push_screen(
            ConfirmAction(t(f"desk2.action.title.{kind}"), t(f"desk2.action.explain.{kind}",
                                                             what=what, target=target),
                          danger=kind != "enable"),
            callback=partial(self._confirmed, kind, target))

    def _confirmed(self, kind: str, target: str, answer: Confirmed | None) -> None:
        if answer is None:
            self.add_event("desk", t("desk2.action.cancelled"))
            return
        self._submit(TraderAction(kind, target, answer.reason))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ kill switch
    def action_kill_switch(self) -> None:
        if not isinstance(self.screen, KillSwitchDialog):
            self.push_screen(KillSwitchDialog(), callback=self._kill_switch_confirmed)

    def _kill_switch_confirmed(self, answer: Confirmed | None) -> None:
        if answer is not None:
            self._submit(TraderAction("kill", "", answer.reason, flatten=answer.flatten))

    async def engage_kill_switch(self, reason: str, flatten: bool = False) -> None:
        """Engage through the brain's queue (which journals the reason) and show it."""
        await self.submit_action(TraderAction("kill", "", reason, flatten=flatten))
        self.add_event("desk", t("tui.event.kill_switch", reason=reason))
        self.post_message(SnapshotReady(self.brain.snapshot))
        self.reload_journal()
