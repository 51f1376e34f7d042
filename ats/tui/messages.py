"""Messages and small records passed between the brain worker, the app and the widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ats.brain.state import BrainSnapshot


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """Something the desk itself noticed (lost connection, failed cycle) for the log panel."""

    ts: int
    kind: str
    text: str


class SnapshotReady(Message):
    """The brain produced a new snapshot. Only the latest matters, so queued ones coalesce."""

    def __init__(self, snapshot: BrainSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class OpenJournalRecord(Message):
    """A log line or search hit asks for its full journal record."""

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id


class ConnectionChanged(Message):
    """The venue connection went down or came back (never coalesced: each change is news)."""

    def __init__(self, connected: bool) -> None:
        super().__init__()
        self.connected = connected
