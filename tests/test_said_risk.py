"""The risk engine's, the portfolio's, the agents' and the locks' reasons are ``Said``: each
reads in Russian on a ru desk, a lock's cause survives a restart in both languages, and no
English reason can come back into the source unnoticed."""

from __future__ import annotations

import ast
import json
import math
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from ats.brain.locks import LockManager
from ats.brain.tools import ToolContext, default_registry
from ats.config.models import Governance
from ats.domain import InstrumentSpec, Quote, Regime, Side, StrategySignal
from ats.i18n.said import Said, from_record, render
from ats.portfolio import PortfolioController
from ats.risk import RiskEngine, RiskState, TradePlan
from ats.tui.widgets.banner import unlock_command
from tests.test_ru_complete import english_words
from tests.test_said import _said_keys_in_source

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "ats" / "i18n" / "messages" / "reasons_risk.yaml"
KEYS = sorted(yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")))


def latin_words(text: str) -> list[str]:
    """English words left in a ru text. Configuration keys and codes (``max_slippage_bps``,
    ``stop_atr_mult``) are typed as they are, so a word with an underscore is a name."""
    return [w for w in english_words(text)
            if "_" not in w and w.lower() not in ("nan", "inf", "none")]


# One sample per placeholder name: a nested reason where the template quotes one, a symbol,
# a figure everywhere else (the format spec of the template decides how it reads).
NESTED = {"reason", "kill", "daily", "regime", "source"}
TEXT_ARGS = {"symbol": "BTC/USDT:USDT", "a": "EURUSD", "b": "GBPUSD", "strategy": "s1",
             "name": "stop_atr_mult", "side": "s1", "currency": "JPY", "account": "USD",
             "timeframe": "4h", "venue": "mock", "order": "o-1", "path": "c/g.yaml",
             "date": "2026-01-05", "error": "E1", "detail": "BTC/USDT:USDT 0.5 != 0"}


def _sample(key: str) -> Said:
    args: dict[str, Any] = {}
    for _, field, spec, _ in string.Formatter().parse(_template(key)):
        if not field or field in args:
            continue
        if field in NESTED:
            args[field] = (Said("tui.regime.range_highvol") if field == "regime"
                           else Said("reason.budget_zero"))
        elif field in TEXT_ARGS and not spec:
            args[field] = TEXT_ARGS[field]
        else:
            args[field] = 0.0125 if spec else 1.5
    return Said(key, **args)


def _template(key: str) -> str:
    from ats.i18n import catalogue

    return catalogue()[key]["en"]


@pytest.mark.parametrize("key", KEYS)
def test_every_reason_reads_in_russian(key: str) -> None:
    said = _sample(key)
    ru = said.render("ru")
    assert ru != str(said) or not latin_words(str(said)), f"{key}: ru is the English text"
    assert not latin_words(ru), f"{key}: English left in ru: {latin_words(ru)} in {ru!r}"
    back = from_record(json.loads(json.dumps(said.record())))
    assert back is not None and back.render("ru") == ru


def test_the_sample_check_catches_english() -> None:
    assert latin_words("риск портфеля 1.25% > cap 3.00%") == ["cap"]
    assert latin_words("спред 1.5 bps выше max_slippage_bps 10") == []


def test_every_reason_in_the_catalogue_is_said_somewhere() -> None:
    used = {k for _, _, k in _said_keys_in_source()}
    unused = [k for k in KEYS if k not in used]
    assert not unused, f"reasons nobody says (remove them or use them): {unused}"


# ---------------------------------------------------------------- the call sites
SPEC = InstrumentSpec(symbol="BTC/USDT:USDT", venue="mock", asset_class="crypto",
                      tick_size=0.1, lot_step=0.001, min_qty=0.001, contract_size=1.0,
                      max_leverage=10.0)


def _sig(**kw: Any) -> StrategySignal:
    base: dict[str, Any] = {"strategy": "s1", "symbol": SPEC.symbol, "side": Side.BUY,
                            "entry": 100.0, "stop_hint": None, "confidence": 0.7, "timeframe": "1h",
                            "ts": 0, "reason": "x"}
    base.update(kw)
    return StrategySignal(**base)


STATE = RiskState(equity=10_000.0, daily_pnl_pct=0.0, trailing_dd_pct=0.0, open_risk_pct=0.0)


def _sizing_reasons() -> list[tuple[str, str]]:
    eng = RiskEngine()
    cases: list[tuple[StrategySignal, float, RiskState, float | None, dict[str, Any]]] = [
        (_sig(), 100.0, STATE, 1.0, {"quote_rate": math.nan}),
        (_sig(), 100.0, STATE, 1.0, {"cost_per_unit": -1.0}),
        (_sig(side=Side.BUY, stop_hint=101.0), 100.0, STATE, 1.0, {}),
        (_sig(side=Side.SELL, stop_hint=99.0), 100.0, STATE, 1.0, {}),
        (_sig(), 100.0, STATE, None, {}),
        (_sig(), 100.0, STATE, 1.0, {"edge": (0.2, 0.5, 40)}),
        (_sig(), 100.0, STATE, 1.0, {"confidence_mult": 0.0}),
        (_sig(), 100.0, STATE, 1.0, {"gross_exposure": 1e9}),
        (_sig(), 100.0, RiskState(equity=-1.0, daily_pnl_pct=0.0, trailing_dd_pct=0.0,
                                  open_risk_pct=0.0), 1.0, {}),
        (_sig(), -5.0, STATE, 1.0, {}),
        (_sig(), 100.0, STATE, -1.0, {}),
        (_sig(), 100.0, STATE, 1.0, {"stop_atr_mult": 0.0}),
        (_sig(), 100.0, STATE, None, {"fixed_stop_pct": 2.0}),
        (_sig(), 100.0, STATE, 1.0, {"confidence_mult": math.inf}),
        (_sig(), 100.0, STATE, 1.0, {"gross_exposure": -1.0}),
        (_sig(confidence=math.nan), 100.0, STATE, 1.0, {}),
        (_sig(), 100.0, RiskState(10_000.0, -0.02, 0.0, 0.0), 1.0, {}),
        (_sig(), 100.0, RiskState(10_000.0, 0.0, -0.04, 0.0), 1.0, {}),
        (_sig(), 100.0, RiskState(10_000.0, 0.0, 0.0, 0.05), 1.0, {}),
        (_sig(), 100.0, RiskState(10_000.0, math.nan, 0.0, 0.0), 1.0, {}),
    ]
    out = []
    for sig, entry, state, atr, kw in cases:
        r = eng.size_position(sig, entry, state, atr, SPEC, **kw)
        assert not r.ok and r.rejected is not None
        out.append((r.code, r.rejected))
    lots = InstrumentSpec(symbol="XAUUSD", venue="mock", asset_class="metal", tick_size=0.01,
                          lot_step=1.0, min_qty=10.0)
    r = eng.size_position(_sig(symbol="XAUUSD"), 100.0, RiskState(100.0, 0.0, 0.0, 0.0), 1.0,
                          lots)
    assert r.code == "below_min_qty" and r.rejected is not None
    return [*out, (r.code, r.rejected)]


def test_the_risk_engine_says_every_refusal_in_both_languages() -> None:
    seen = set()
    for code, reason in _sizing_reasons():
        assert isinstance(reason, Said), f"{code}: {reason!r} is plain text"
        ru = reason.render("ru")
        assert not latin_words(ru), f"{code}: {ru!r}"
        seen.add(reason.key)
    assert len(seen) >= 18, seen  # the cases above reach that many different refusals


def test_the_kelly_refusal_keeps_its_english_text() -> None:
    r = RiskEngine().size_position(_sig(), 100.0, STATE, 1.0, SPEC, edge=(0.2, 0.5, 40))
    assert r.rejected == "Kelly on s1's last 40 trades says no edge: win rate 20%, payoff 0.50R"
    assert isinstance(r.rejected, Said)
    assert r.rejected.render("ru") == ("критерий Келли по последним 40 сделкам s1 не видит "
                                       "преимущества: доля прибыльных 20%, отношение прибыли "
                                       "к убытку 0.50R")


def _plan(qty: float = 1.0, risk: float = 50.0) -> TradePlan:
    return TradePlan(symbol=SPEC.symbol, strategy="s1", side=Side.BUY, qty=qty, entry=100.0,
                     stop=95.0, take=None, risk_amount=risk, risk_pct=risk / 10_000.0,
                     notional=qty * 100.0)


def test_the_portfolio_says_its_refusals_in_both_languages() -> None:
    gov = Governance()
    pf = PortfolioController(gov, 10_000.0)
    reasons = [pf.can_allocate(_plan(qty=-1.0)).reason,
               pf.can_allocate(_plan(risk=1e6)).reason,
               pf.can_allocate(_plan(qty=1e4, risk=1.0)).reason,
               pf.can_allocate(_plan()).reason]
    for reason in reasons:
        assert isinstance(reason, Said), reason
        assert not latin_words(reason.render("ru")), reason.render("ru")
    assert reasons[1].startswith("portfolio risk 0.00% + ")


def test_the_tools_say_their_refusals_in_both_languages() -> None:
    gov = Governance()
    ctx = ToolContext(governance=gov)
    reg = default_registry()
    locks = gov.locks
    guard = reg.call("guard_drawdown", ctx, daily_pnl_pct=-locks.daily_max_loss - 0.01,
                     trailing_dd_pct=-locks.trailing_dd_kill_switch - 0.01)
    assert guard.kill_switch and guard.daily_lock
    assert guard.reason == f"{guard.kill_reason}; {guard.daily_reason}"
    liq = reg.call("liquidity_check", ctx, quote=Quote(SPEC.symbol, 0, 100.0, 90.0),
                   side=Side.BUY)
    wide = reg.call("liquidity_check", ctx, quote=Quote(SPEC.symbol, 0, 90.0, 110.0),
                    side=Side.BUY)
    slip = reg.call("slippage_estimator", ctx, qty=1.0, visible_depth=0.0, range_bps=1e6)
    for reason in (guard.reason, guard.kill_reason, guard.daily_reason, liq.reason,
                   wide.reason, slip.reason):
        assert isinstance(reason, Said), reason
        assert not latin_words(reason.render("ru")), reason.render("ru")


def test_selection_says_why_a_strategy_sits_out() -> None:
    s = Said("reason.not_for_regime", regime=Said(f"tui.regime.{Regime.PANIC.value}"))
    assert s.render("ru") == "не для режима «ПАНИКА»"


# ---------------------------------------------------------------- locks over a restart
class _DAO:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def save_lock_state(self, name: str, state: dict[str, Any], *, ts: int) -> None:
        self.rows[name] = json.dumps(state)  # what SQLite keeps: plain JSON

    def load_lock_state(self, name: str) -> dict[str, Any] | None:
        raw = self.rows.get(name)
        return json.loads(raw) if raw is not None else None


def test_a_lock_keeps_its_cause_in_both_languages_over_a_restart() -> None:
    dao = _DAO()
    gov = Governance()
    guard = default_registry().call("guard_drawdown", ToolContext(governance=gov),
                                    daily_pnl_pct=-0.05, trailing_dd_pct=0.0)
    lm = LockManager(dao, "desk-2")
    lm.apply_guard(guard, ts=5)
    lm.engage_kill("учения", ts=6)
    again = LockManager(dao, "desk-2")
    again.load()
    assert again.daily_lock and again.kill_switch
    assert isinstance(again.daily_reason, Said) and again.daily_reason == lm.daily_reason
    assert again.daily_reason.render("ru").startswith("дневной лимит убытка: PnL за день -5.00%")
    code, reason = again.status()
    assert code == "kill_switch" and reason == "kill switch engaged manually: учения"
    assert render(reason, None, "ru") == "аварийный стоп включён вручную: учения"


def test_a_lock_saved_before_records_loads_with_its_english_text() -> None:
    dao = _DAO()
    dao.save_lock_state("kill_switch", {"engaged": True, "reason": "kill switch: dd -3.6%"},
                        ts=1)
    dao.save_lock_state("daily_lock", {"engaged": True, "day": 3, "reason": "old cause",
                                       "said": {"key": "reason.gone", "args": {}}}, ts=1)
    lm = LockManager(dao)
    lm.load()
    assert lm.kill_reason == "kill switch: dd -3.6%" and not isinstance(lm.kill_reason, Said)
    assert lm.daily_reason == "old cause"  # a record this version cannot read: the text


@pytest.mark.parametrize(("account", "want"), [
    (None, 'ats unlock --kill-switch --reason "…"'),
    ("paper", 'ats unlock --kill-switch --reason "…"'),
    ("desk-2", 'ats unlock --kill-switch --reason "…" --account desk-2 --db x.db'),
])
def test_the_unlock_command_names_a_non_default_account(account: str | None,
                                                        want: str) -> None:
    db = "x.db" if account == "desk-2" else None
    assert unlock_command("--kill-switch", db, account) == want


# ---------------------------------------------------------------- no English comes back
# (call, index of the reason among the positional arguments, its keyword)
REASON_ARGS = {
    "SizingResult.reject": (1, "reason"), "reject": (1, "reason"),
    "Rejection": (3, "reason"), "AllocationDecision": (1, "reason"),
    "LockStatus": (2, "reason"), "ExitRequest": (3, "reason"), "LockEvent": (2, "reason"),
    "LiquidityResult": (1, "reason"), "SlippageEstimate": (2, "reason"),
    "CooldownStatus": (1, "reason"), "GuardResult": (3, "reason"),
    "RiskBudget": (-1, "blocked"),
}
REASON_TARGETS = {"kill_reason", "daily_reason", "governance_reason", "skipped", "refusals"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return ""


def _english(expr: ast.AST) -> bool:
    """A non-empty string literal or an f-string anywhere in ``expr``, outside ``Said(...)``
    (whose first argument is a catalogue key, not a text)."""
    if isinstance(expr, ast.Call) and _call_name(expr) == "Said":
        return False
    if isinstance(expr, ast.JoinedStr):
        return True
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str) and expr.value:
        return True
    return any(_english(child) for child in ast.iter_child_nodes(expr))


def _reason_exprs(tree: ast.AST, pairs: bool) -> list[tuple[int, str, ast.AST]]:
    out: list[tuple[int, str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in REASON_ARGS:
            name = _call_name(node)
            idx, kw = REASON_ARGS[name]
            if 0 <= idx < len(node.args) and not any(
                    isinstance(a, ast.Starred) for a in node.args[:idx + 1]):
                out.append((node.lineno, name, node.args[idx]))
            out += [(node.lineno, name, k.value) for k in node.keywords if k.arg == kw]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                base = target.value if isinstance(target, ast.Subscript) else target
                attr = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if attr in REASON_TARGETS:
                    out.append((node.lineno, f"{attr} =", node.value))
        elif pairs and isinstance(node, ast.Tuple) and len(node.elts) == 2:
            # (code, reason) pairs the risk engine hands to SizingResult.reject(*pair)
            code, reason = node.elts
            if (isinstance(code, ast.Constant) and isinstance(code.value, str)
                    and code.value.replace("_", "").isalpha() and code.value.islower()
                    and isinstance(reason, ast.JoinedStr | ast.Constant)
                    and not (isinstance(reason, ast.Constant)
                             and not isinstance(reason.value, str))):
                out.append((node.lineno, "(code, reason)", reason))
    return out


def english_reasons(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pairs = path.name == "engine.py" or path.parent == ROOT
        for line, what, expr in _reason_exprs(tree, pairs):
            if _english(expr):
                found.append(f"{path.relative_to(ROOT)}:{line} {what}: {ast.unparse(expr)}")
    return sorted(found, key=lambda f: int(f.split(":")[1].split()[0]))


def test_no_reason_in_the_source_is_english_text() -> None:
    files = sorted((ROOT / "ats").rglob("*.py"))
    found = english_reasons(files)
    assert not found, "reasons composed as English text (use Said):\n" + "\n".join(found)
    scanned = sum(len(_reason_exprs(ast.parse(p.read_text(encoding="utf-8")), True))
                  for p in files if p.name == "engine.py")
    scanned += sum(len(_reason_exprs(ast.parse(p.read_text(encoding="utf-8")), False))
                   for p in files if p.name != "engine.py")
    assert scanned > 60, f"the scan saw only {scanned} reasons: it is looking the wrong way"


def test_the_scan_catches_an_english_reason(tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text(
        "SizingResult.reject('no_budget', 'risk budget is zero')\n"
        "reject('x', f'{s} already has a plan')\n"
        "Rejection(s, t, 'c', reason='not sent: ' + e)\n"
        "reject('x', r.rejected or 'size is zero')\n"
        "self.kill_reason = f'kill switch engaged manually: {r}'\n"
        "res.skipped[name] = 'unknown strategy'\n"
        "bad = ('invalid_param', f'cost {c!r} must be >= 0')\n"
        "reject('x', Said('reason.size_zero'))\n"
        "Rejection(s, t, 'c', '')\n",
        encoding="utf-8")
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        found = english_reasons([src])
    finally:
        ROOT = old
    assert [int(f.split(":")[1].split()[0]) for f in found] == [1, 2, 3, 4, 5, 6, 7]
