"""SQLite storage through apsw: schema and migrations, the DAO, the synchronizer, maintenance.

Public API:

- ``storage.dao.PersistDAO(path, readonly=False)`` implements ``storage.protocol.Persistence``
  (plus sync cursors, ticks, ``sync_logs``, ``load_instruments``, ``list_runs``,
  ``load_signals``);
- ``storage.errors`` — ``StorageError`` and its subclasses (``CorruptDatabaseError``,
  ``ReadOnlyDatabaseError``, ``DiskFullError``, ``DatabaseLockedError``, ``CannotOpenError``,
  ``SchemaVersionError``, ``InvalidDataError``), each naming the file and the way out;
- ``storage.sync.Synchronizer`` — backfill then follow a ``BrokerAdapter``;
- ``storage.maintenance`` — ``stats``, ``backup``, ``cleanup`` (Parquet archive), ``check``.

Submodules are imported explicitly (``from storage.dao import PersistDAO``) so that importing
``storage.protocol`` stays cheap for layers that only need the contract.
"""
