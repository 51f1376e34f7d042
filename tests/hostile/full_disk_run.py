"""Run the real `ats` CLI with a disk that fills up at the first filled order.

The test battery starts this as a subprocess (``python full_disk_run.py MODE ats-args``):
it caps the database with SQLite's ``PRAGMA max_page_count`` the moment the first order
that is no longer ``new`` is recorded — a full disk, portably, without root or a tmpfs.
MODE ``cap`` only caps the file; ``cap+fail`` also makes that very order write fail once
(a disk with not even room for an update in place).
"""

from __future__ import annotations

import sys

from storage.dao import PersistDAO
from storage.errors import DiskFullError

MODE = sys.argv.pop(1)
_original = PersistDAO.record_order
_state = {"armed": False}


def record_order(self: PersistDAO, order, run_id):  # type: ignore[no-untyped-def]
    if not _state["armed"] and order.status.value != "new":
        _state["armed"] = True
        writer = self.db._writer
        pages = writer.execute("PRAGMA page_count").fetchall()[0][0]
        writer.execute(f"PRAGMA max_page_count = {pages}")
        if MODE == "cap+fail":
            raise DiskFullError("the disk is full (simulated)", path=self.path,
                                hint="Free disk space, then retry")
    return _original(self, order, run_id)


PersistDAO.record_order = record_order  # type: ignore[method-assign]

from ats.cli.main import main  # noqa: E402

main()
