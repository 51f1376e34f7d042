"""The trader's desk (``ats tui``): a Textual front end over the brain orchestrator.

The TUI only wires and shows: it reads ``BrainSnapshot`` objects and calls the orchestrator's
small command API; it never trades on its own.
"""
