"""Schema and forward-only migrations keyed by ``PRAGMA user_version``.

Each migration runs in its own transaction together with the version bump, so a crash leaves
the file at the previous version, never half way. A file newer than this code is refused
rather than guessed at.

Search design: two *external-content* FTS5 tables, ``journal_fts`` over ``journal.text`` and
``logs_fts`` over ``logs.message``. External content keeps one copy of the text (the row) and
lets ``snippet()`` read it back; triggers keep the index in step on insert and delete (rows
are never updated in place). Retention deletes fire the same triggers.
"""

from __future__ import annotations

import apsw

V1 = """
CREATE TABLE runs (
    run_id     TEXT PRIMARY KEY,
    mode       TEXT NOT NULL,
    adapter    TEXT NOT NULL,
    started_ts INTEGER NOT NULL,
    ended_ts   INTEGER,
    meta       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    summary    TEXT CHECK (summary IS NULL OR json_valid(summary))
);
CREATE INDEX runs_started ON runs (started_ts);

CREATE TABLE instruments (
    venue          TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    asset_class    TEXT NOT NULL,
    tick_size      REAL NOT NULL,
    lot_step       REAL NOT NULL,
    min_qty        REAL NOT NULL,
    contract_size  REAL NOT NULL,
    quote_currency TEXT NOT NULL,
    has_funding    INTEGER NOT NULL,
    max_leverage   REAL NOT NULL,
    PRIMARY KEY (venue, symbol)
) WITHOUT ROWID;

CREATE TABLE bars (
    symbol    TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    open      REAL NOT NULL,
    high      REAL NOT NULL,
    low       REAL NOT NULL,
    close     REAL NOT NULL,
    volume    REAL NOT NULL,
    spread    REAL NOT NULL DEFAULT 0,
    source    TEXT NOT NULL,
    PRIMARY KEY (symbol, timeframe, ts)
) WITHOUT ROWID;

CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (run_id),
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    qty             REAL NOT NULL,
    type            TEXT NOT NULL,
    status          TEXT NOT NULL,
    ts              INTEGER NOT NULL,
    filled_qty      REAL NOT NULL,
    avg_price       REAL NOT NULL,
    limit_price     REAL,
    stop_price      REAL,
    reduce_only     INTEGER NOT NULL,
    tif             TEXT NOT NULL,
    venue_order_id  TEXT,
    reason          TEXT NOT NULL,
    strategy        TEXT NOT NULL,
    venue           TEXT NOT NULL,
    virtual_asset   TEXT
);
CREATE INDEX orders_run ON orders (run_id, ts);
CREATE INDEX orders_open ON orders (ts) WHERE status IN ('new', 'partial');

CREATE TABLE fills (
    venue           TEXT NOT NULL,
    fill_id         TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    run_id          TEXT NOT NULL REFERENCES runs (run_id),
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    qty             REAL NOT NULL,
    price           REAL NOT NULL,
    fee             REAL NOT NULL,
    ts              INTEGER NOT NULL,
    liquidity       TEXT NOT NULL,
    strategy        TEXT NOT NULL,
    virtual_asset   TEXT,
    PRIMARY KEY (venue, fill_id)
);
CREATE INDEX fills_ts ON fills (ts);
CREATE INDEX fills_run ON fills (run_id, ts);

CREATE TABLE positions (
    venue          TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    run_id         TEXT NOT NULL REFERENCES runs (run_id),
    qty            REAL NOT NULL,
    entry_price    REAL NOT NULL,
    ts             INTEGER NOT NULL,
    stop           REAL,
    take           REAL,
    unrealized_pnl REAL NOT NULL,
    realized_pnl   REAL NOT NULL,
    strategy       TEXT NOT NULL,
    virtual_asset  TEXT,
    PRIMARY KEY (venue, symbol)
);

CREATE TABLE equity_snapshots (
    id           INTEGER PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES runs (run_id),
    ts           INTEGER NOT NULL,
    equity       REAL NOT NULL,
    balance      REAL NOT NULL,
    drawdown_pct REAL NOT NULL,
    daily_pnl    REAL NOT NULL
);
CREATE INDEX equity_run_ts ON equity_snapshots (run_id, ts);
CREATE INDEX equity_ts ON equity_snapshots (ts);

CREATE TABLE signals (
    id         INTEGER PRIMARY KEY,
    run_id     TEXT NOT NULL REFERENCES runs (run_id),
    ts         INTEGER NOT NULL,
    strategy   TEXT NOT NULL,
    symbol     TEXT NOT NULL,
    timeframe  TEXT NOT NULL,
    side       TEXT NOT NULL,
    entry      REAL NOT NULL,
    stop_hint  REAL,
    take_hint  REAL,
    confidence REAL NOT NULL,
    reason     TEXT NOT NULL,
    is_exit    INTEGER NOT NULL,
    meta       TEXT NOT NULL CHECK (json_valid(meta)),
    accepted   INTEGER NOT NULL,
    decision   TEXT NOT NULL,
    shadow     INTEGER NOT NULL
);
CREATE INDEX signals_run_ts ON signals (run_id, ts);

CREATE TABLE journal (
    id     INTEGER PRIMARY KEY,
    doc    TEXT NOT NULL CHECK (json_valid(doc)),
    text   TEXT NOT NULL,
    kind   TEXT GENERATED ALWAYS AS (json_extract(doc, '$.kind')) VIRTUAL,
    run_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.run_id')) VIRTUAL,
    ts     INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.ts')) VIRTUAL
);
CREATE INDEX journal_kind ON journal (kind, id);
CREATE INDEX journal_run ON journal (run_id, id);
CREATE INDEX journal_ts ON journal (ts);

CREATE TABLE logs (
    id      INTEGER PRIMARY KEY,
    ts      INTEGER NOT NULL,
    level   TEXT NOT NULL,
    source  TEXT NOT NULL,
    run_id  TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX logs_ts ON logs (ts);

CREATE TABLE locks (
    name  TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (json_valid(state)),
    ts    INTEGER NOT NULL
);

CREATE TABLE sync_state (
    source     TEXT NOT NULL,
    symbol     TEXT NOT NULL,
    timeframe  TEXT NOT NULL,
    stream     TEXT NOT NULL,
    cursor_ts  INTEGER NOT NULL,
    updated_ts INTEGER NOT NULL,
    PRIMARY KEY (source, symbol, timeframe, stream)
) WITHOUT ROWID;
"""

V2 = """
CREATE VIRTUAL TABLE journal_fts USING fts5 (
    text, content='journal', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO journal_fts (rowid, text) SELECT id, text FROM journal;
CREATE TRIGGER journal_ai AFTER INSERT ON journal BEGIN
    INSERT INTO journal_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER journal_ad AFTER DELETE ON journal BEGIN
    INSERT INTO journal_fts (journal_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE VIRTUAL TABLE logs_fts USING fts5 (
    message, content='logs', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO logs_fts (rowid, message) SELECT id, message FROM logs;
CREATE TRIGGER logs_ai AFTER INSERT ON logs BEGIN
    INSERT INTO logs_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER logs_ad AFTER DELETE ON logs BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;

CREATE TABLE ticks (
    source   TEXT NOT NULL,
    symbol   TEXT NOT NULL,
    ts       INTEGER NOT NULL,
    bid      REAL NOT NULL,
    ask      REAL NOT NULL,
    bid_size REAL NOT NULL,
    ask_size REAL NOT NULL,
    last     REAL,
    PRIMARY KEY (source, symbol, ts)
) WITHOUT ROWID;
CREATE INDEX ticks_ts ON ticks (ts);

CREATE TABLE sync_logs (
    id          INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL,
    source      TEXT NOT NULL,
    symbol      TEXT NOT NULL,
    timeframe   TEXT NOT NULL,
    stream      TEXT NOT NULL,
    phase       TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error       TEXT
);
CREATE INDEX sync_logs_ts ON sync_logs (ts);
"""

# v3: "recent signals of a run" orders by id; index it that way instead of (run_id, ts).
V3 = """
CREATE INDEX signals_run_id ON signals (run_id, id);
DROP INDEX signals_run_ts;
"""

# v4 (account currency, funding): an instrument's margin currency; funding settlements per
# venue and symbol, kept across restarts for FundingReversion (storage.funding).
V4 = """
ALTER TABLE instruments ADD COLUMN margin_currency TEXT NOT NULL DEFAULT '';
CREATE TABLE funding_rates (
    venue  TEXT NOT NULL,
    symbol TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    rate   REAL NOT NULL,
    PRIMARY KEY (venue, symbol, ts)
) WITHOUT ROWID;
"""

# v5: the account is the unit of durability. Accounts, their saved state (paper venue,
# portfolio, clock, cooldowns — one JSON document per key), the one trading process that
# holds an account, and audit verdicts. Trading rows say which account they belong to;
# rows written before accounts existed belong to the default paper account. Positions are
# rebuilt so one net position is kept per (account, venue, symbol).
V5 = """
CREATE TABLE accounts (
    name            TEXT PRIMARY KEY,
    currency        TEXT NOT NULL,
    starting_equity REAL NOT NULL CHECK (starting_equity > 0),
    created_ts      INTEGER NOT NULL,
    meta            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta))
);
CREATE TABLE account_state (
    account TEXT NOT NULL REFERENCES accounts (name),
    key     TEXT NOT NULL,
    state   TEXT NOT NULL CHECK (json_valid(state)),
    ts      INTEGER NOT NULL,
    PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE TABLE account_holders (
    account  TEXT PRIMARY KEY REFERENCES accounts (name),
    pid      INTEGER NOT NULL,
    host     TEXT NOT NULL,
    run_id   TEXT NOT NULL,
    since_ms INTEGER NOT NULL
);
CREATE TABLE audits (
    id       INTEGER PRIMARY KEY,
    account  TEXT NOT NULL,
    run_id   TEXT,
    ts       INTEGER NOT NULL,
    ok       INTEGER NOT NULL,
    breaches INTEGER NOT NULL,
    report   TEXT NOT NULL CHECK (json_valid(report))
);
CREATE INDEX audits_account ON audits (account, id);
ALTER TABLE runs ADD COLUMN account TEXT NOT NULL DEFAULT 'paper';
ALTER TABLE orders ADD COLUMN account TEXT NOT NULL DEFAULT 'paper';
ALTER TABLE fills ADD COLUMN account TEXT NOT NULL DEFAULT 'paper';
ALTER TABLE equity_snapshots ADD COLUMN account TEXT NOT NULL DEFAULT 'paper';
CREATE INDEX fills_account ON fills (account, ts);
CREATE INDEX equity_account_ts ON equity_snapshots (account, ts);
CREATE TABLE positions_v5 (
    account        TEXT NOT NULL DEFAULT 'paper',
    venue          TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    run_id         TEXT NOT NULL REFERENCES runs (run_id),
    qty            REAL NOT NULL,
    entry_price    REAL NOT NULL,
    ts             INTEGER NOT NULL,
    stop           REAL,
    take           REAL,
    unrealized_pnl REAL NOT NULL,
    realized_pnl   REAL NOT NULL,
    strategy       TEXT NOT NULL,
    virtual_asset  TEXT,
    PRIMARY KEY (account, venue, symbol)
);
INSERT INTO positions_v5 (venue, symbol, run_id, qty, entry_price, ts, stop, take,
    unrealized_pnl, realized_pnl, strategy, virtual_asset)
    SELECT venue, symbol, run_id, qty, entry_price, ts, stop, take, unrealized_pnl,
           realized_pnl, strategy, virtual_asset FROM positions;
DROP TABLE positions;
ALTER TABLE positions_v5 RENAME TO positions;
"""

MIGRATIONS: tuple[str, ...] = (V1, V2, V3, V4, V5)
LATEST = len(MIGRATIONS)


def user_version(conn: apsw.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchall()[0][0])


def migrate(conn: apsw.Connection, target: int = LATEST) -> tuple[int, int]:
    """Bring the file to ``target``; returns (from, to). Each step is its own transaction."""
    start = user_version(conn)
    if start > LATEST:
        # Raised by the caller as SchemaVersionError with the path; a bare ValueError here
        # keeps this module free of path bookkeeping.
        raise ValueError(f"database schema version {start} is newer than this ATS ({LATEST})")
    for version in range(start + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if user_version(conn) >= version:
                conn.execute("ROLLBACK")
                continue
            conn.execute(MIGRATIONS[version - 1])
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except BaseException:
            if not conn.getautocommit():
                conn.execute("ROLLBACK")
            raise
    return start, max(start, target)
