"""``ats unlock --account NAME`` releases that account's locks only, journaled under it.

A real database with two accounts, both kill-switched by the brain's own ``LockManager``
(the state a running brain saves); after the CLI unlock, a fresh ``LockManager`` of each
account (what the next ``ats run`` loads) must see one free and the other still locked.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ats.brain.locks import LockManager
from ats.cli.main import main
from ats.i18n.said import render
from storage.dao import PersistDAO

T0 = 1_767_571_200_000


def cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--lang", "en", *args])
    return res.exit_code, res.output


def engaged(db: Path, account: str) -> tuple[bool, bool]:
    with PersistDAO(db, account=account) as dao:
        locks = LockManager(dao, account)
        locks.load()
        return locks.kill_switch, locks.daily_lock


def test_unlock_one_account_leaves_the_other_locked(tmp_path: Path) -> None:
    db = tmp_path / "two.db"
    for name in ("alpha", "beta"):
        code, out = cli("account", "new", name, "--db", str(db))
        assert code == 0, out
        with PersistDAO(db, account=name) as dao:
            LockManager(dao, name).engage_kill(f"test halt of {name}", T0)
    # the default paper account is locked too, and must stay so
    with PersistDAO(db) as dao:
        LockManager(dao, None).engage_kill("test halt of paper", T0)
    assert engaged(db, "alpha")[0] and engaged(db, "beta")[0] and engaged(db, "paper")[0]

    code, out = cli("unlock", "--kill-switch", "--account", "beta", "--reason", "checked",
                    "--db", str(db))
    assert code == 0, out
    assert "kill switch released: checked" in out
    assert engaged(db, "beta")[0] is False
    assert engaged(db, "alpha")[0] is True
    assert engaged(db, "paper")[0] is True
    with PersistDAO(db) as dao:
        rec = dao.journal_tail(5, kind="unlock")
    assert len(rec) == 1
    p = rec[0].payload
    assert {k: p[k] for k in ("lock", "account", "reason")} == \
        {"lock": "kill_switch", "account": "beta", "reason": "checked"}
    assert rec[0].text == "kill switch of account beta unlocked by the trader: checked"
    # the desk on a Russian screen says it again from the stored record
    assert render(rec[0].text, p["said"], "ru") == \
        "счёт beta: трейдер снял «аварийный стоп»: checked"

    # without --account: the default paper account, not alpha
    code, out = cli("unlock", "--kill-switch", "--reason", "ok", "--db", str(db))
    assert code == 0, out
    assert engaged(db, "paper")[0] is False
    assert engaged(db, "alpha")[0] is True


def test_unlock_unknown_account_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    code, out = cli("account", "new", "alpha", "--db", str(db))
    assert code == 0, out
    code, out = cli("unlock", "--kill-switch", "--account", "nosuch", "--reason", "x",
                    "--db", str(db))
    assert code != 0
    assert "account nosuch does not exist" in out
    code, out = cli("unlock", "--kill-switch", "--account", "bad name!", "--reason", "x",
                    "--db", str(db))
    assert code != 0


def test_unlock_in_russian_names_the_lock_in_russian(tmp_path: Path) -> None:
    from ats import i18n

    db = tmp_path / "ru.db"
    with PersistDAO(db) as dao:
        LockManager(dao, None).engage_kill("test halt", T0)
    try:
        res = CliRunner().invoke(main, ["--lang", "ru", "unlock", "--kill-switch", "--daily-lock",
                                        "--reason", "проверено", "--db", str(db)])
    finally:
        i18n.set_language("en")
    assert res.exit_code == 0, res.output
    assert "аварийный стоп снят: проверено" in res.output
    assert "дневная блокировка не включена" in res.output
    assert "kill_switch" not in res.output and "daily_lock" not in res.output
