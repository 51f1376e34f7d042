"""The hand-over between ``ats audit`` (a separate command) and the running exporter.

An audit runs in its own process, but the alert on a breach must come from the exporter
Prometheus already scrapes. So the audit writes its result beside the database
(``<db>.audit.json``: ``{"breaches": N, "ts": <ms>}``) and every exporter on that database
publishes it as ``ats_audit_breaches``; the ``AuditBreach`` rule fires while it is above 0.
A missing file means "no audit yet" and reads 0; an unreadable one is logged, not guessed.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def audit_status_path(db_path: Path | str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".audit.json")


def write_audit_status(db_path: Path | str, breaches: int, ts_ms: int) -> Path:
    """Record an audit result atomically (what ``ats audit`` calls when it finishes)."""
    path = audit_status_path(db_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"breaches": int(breaches), "ts": int(ts_ms)}), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_audit_breaches(db_path: Path | str) -> int | None:
    """Breaches of the last audit; 0 when no audit ran; None when the file is unreadable."""
    path = audit_status_path(db_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return int(doc["breaches"])
    except FileNotFoundError:
        return 0
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("audit status %s unreadable: %s", path, exc)
        return None
