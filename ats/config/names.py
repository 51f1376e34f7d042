"""Names that become file or directory names (run ids, account names) use a safe alphabet.

``ats run --run-id ../../x`` once made ``ats report`` write outside ``reports/run_*``. Any
identifier that ends up in a path is checked here, once, so the rule is the same for every
command: letters, digits, ``.``, ``_`` and ``-``; starting with a letter or digit; at most
64 characters (so ``..``, ``/``, ``\\``, spaces, NUL and empty names are impossible).
"""

from __future__ import annotations

import re

from ats.config.errors import ConfigError

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SAFE_NAME_RULE = ("1-64 characters: letters, digits, '.', '_' or '-', "
                  "starting with a letter or digit")


def is_safe_name(value: str) -> bool:
    return bool(SAFE_NAME.fullmatch(value)) and ".." not in value


def check_name(what: str, value: str) -> str:
    """Return ``value`` if it is a safe name, else raise ``ConfigError`` naming ``what``
    (the flag or field, e.g. ``--run-id``)."""
    if not isinstance(value, str) or not is_safe_name(value):
        shown = value if isinstance(value, str) and len(value) <= 60 else str(value)[:57] + "..."
        raise ConfigError(what, "not a safe name", expected=SAFE_NAME_RULE, found=repr(shown))
    return value
